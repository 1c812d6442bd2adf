import { expect, test } from "./fixtures.ts";

/**
 * The app is as tall as the visual viewport (src/client/app/viewport.ts). iOS Safari shrinks only
 * the visual viewport when the keyboard opens; the app follows it so the composer stays above the
 * keyboard. Here the visual viewport is shrunk by zooming the page through the DevTools protocol.
 */

const appHeight = () => document.documentElement.style.getPropertyValue("--app-height");

test("the app follows the visual viewport and leaves the page alone while it is whole", async ({ page }) => {
  // Nothing to follow: 100dvh fits, and writing the same height would restyle the whole page.
  await expect(page.getByRole("textbox", { name: "Message" })).toBeVisible();
  await page.evaluate(() => new Promise(requestAnimationFrame));
  expect(await page.evaluate(appHeight)).toBe("");

  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setPageScaleFactor", { pageScaleFactor: 2 });
  const visible = await page.evaluate(() => Math.round(window.visualViewport?.height ?? 0));
  const innerHeight = await page.evaluate(() => window.innerHeight);
  expect(visible).toBeLessThan(innerHeight);
  await expect.poll(() => page.evaluate(appHeight)).toBe(`${visible}px`);
  // The composer's form ends inside the visual viewport.
  const formBottom = await page
    .getByRole("textbox", { name: "Message" })
    .evaluate((field) => field.closest("form")?.getBoundingClientRect().bottom ?? Number.POSITIVE_INFINITY);
  expect(formBottom).toBeLessThanOrEqual(visible);

  await cdp.send("Emulation.setPageScaleFactor", { pageScaleFactor: 1 });
  await expect.poll(() => page.evaluate(appHeight)).toBe("");
});
