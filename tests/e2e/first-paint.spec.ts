import { STATIC_SHELL_ATTRIBUTE } from "../../src/client/startup/staticShell.ts";
import { expect, test } from "./fixtures.ts";

/**
 * The first screen is static HTML in dist/index.html (src/client/startup/shell.tsx, decisions 009 and 011):
 * it is on screen before the app's script has even arrived, nobody can press its buttons, and React
 * hydrates it: the app keeps the very elements the browser painted.
 */

// Requests a service worker answers never reach page.route.
test.use({ serviceWorkers: "block" });

test("the first screen paints before the app's script runs; the app then adopts it", async ({ page, frames }) => {
  let releaseScripts = () => {};
  const scriptsReleased = new Promise<void>((resolve) => {
    releaseScripts = resolve;
  });
  let heldScripts = 0;
  await page.route(/\/chunk-[\w-]+\.js$/, async (route) => {
    heldScripts += 1;
    await scriptsReleased;
    await route.continue();
  });
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  const framesBefore = frames.all.length;
  const socketsBefore = frames.sockets;

  // Module scripts hold back `load`: wait only for the document.
  await page.reload({ waitUntil: "commit" });
  const shell = page.locator(`#root[${STATIC_SHELL_ATTRIBUTE}]`);
  await expect(shell.getByRole("heading", { name: "Pocket Agent", includeHidden: true })).toBeVisible();
  await expect(shell.getByRole("textbox", { name: "Message", includeHidden: true })).toBeVisible();
  await expect.poll(() => heldScripts).toBeGreaterThan(0);
  // Inert and hidden from assistive technology while it cannot do anything.
  await expect(shell).toHaveAttribute("inert", "");
  await expect(shell).toHaveAttribute("aria-hidden", "true");
  await expect(page.getByRole("button", { name: "Sessions" })).toHaveCount(0);
  expect(frames.sockets).toBe(socketsBefore);
  const shellField = await shell.getByRole("textbox", { name: "Message", includeHidden: true }).elementHandle();

  releaseScripts();
  await frames.waitFor("received", "connection", () => true, 30_000, framesBefore);
  await expect(shell).toHaveCount(0);
  const root = page.locator("#root");
  await expect(root).not.toHaveAttribute("inert");
  await expect(root).not.toHaveAttribute("aria-hidden");
  await expect(page.getByRole("button", { name: "Sessions" })).toBeEnabled();
  await expect(page.getByRole("log", { name: "Conversation" })).toBeVisible();
  // Hydrated, not replaced: the field on screen is the element the static HTML created.
  const field = page.getByRole("textbox", { name: "Message" });
  expect(await field.evaluate((element, original) => element === original, shellField)).toBe(true);
  expect(problems).toEqual([]);
  expect(frames.sockets).toBe(socketsBefore + 1);
});

test("when part of the app's code cannot load, the page says so and reloads on request", async ({ page, frames }) => {
  const html = await (await page.request.get("/")).text();
  // The last start-up stage's chunk (scripts/build.ts preloads the stages after Bun's own preloads).
  const stages = [...html.matchAll(/<link rel="modulepreload"[^>]*href="(\/chunk-[\w-]+\.js)"/g)].map((m) => m[1]);
  const lastStage = stages.at(-1);
  expect(lastStage).toBeDefined();
  let refused = 0;
  await page.route(`**${lastStage}`, (route) => {
    refused += 1;
    return route.abort("connectionrefused");
  });

  await page.reload({ waitUntil: "commit" });
  const alert = page.getByRole("alert").filter({ hasText: "Pocket Agent could not load" });
  await expect(alert).toBeVisible();
  expect(refused).toBeGreaterThan(0);
  // The static first screen stays inert: nothing on it works without the code.
  await expect(page.locator(`#root[${STATIC_SHELL_ATTRIBUTE}]`)).toHaveAttribute("inert", "");

  await page.unroute(`**${lastStage}`);
  const framesBefore = frames.all.length;
  await alert.getByRole("button", { name: "Reload" }).click();
  await frames.waitFor("received", "connection", () => true, 30_000, framesBefore);
  await expect(page.getByRole("button", { name: "Sessions" })).toBeEnabled();
  await expect(page.getByRole("alert").filter({ hasText: "Pocket Agent could not load" })).toHaveCount(0);
});
