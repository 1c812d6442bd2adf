/**
 * Rasterises the app icons from their SVG sources into src/client/public/icons
 * (run once after changing an SVG, then commit the PNGs):
 *
 *   bun scripts/icons.ts
 *
 * Uses playwright-core with the system Chromium (no browser download).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ICONS = resolve(import.meta.dir, "../src/client/public/icons");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const targets = [
  { source: "icon.svg", out: "icon-192.png", size: 192, transparent: true },
  { source: "icon.svg", out: "icon-512.png", size: 512, transparent: true },
  // Full-bleed, glyph inside the 80 % safe zone: platforms crop these to their own shape.
  { source: "icon-maskable.svg", out: "icon-maskable-512.png", size: 512, transparent: false },
  // iOS rounds the corners itself and shows transparency as black: full-bleed too.
  { source: "icon-maskable.svg", out: "apple-touch-icon.png", size: 180, transparent: false },
] as const;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const target of targets) {
    const svg = await readFile(join(ICONS, target.source), "utf8");
    const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
    await page.setViewportSize({ width: target.size, height: target.size });
    await page.setContent(
      `<!doctype html><html><body style="margin:0;background:transparent"><img src="${src}" width="${target.size}" height="${target.size}" style="display:block"></body></html>`,
    );
    await page.waitForFunction(() => document.images[0]?.complete === true);
    await page.screenshot({ path: join(ICONS, target.out), omitBackground: target.transparent, type: "png" });
    console.log(`icons/${target.out} (${target.size}×${target.size})`);
  }
} finally {
  await browser.close();
}
