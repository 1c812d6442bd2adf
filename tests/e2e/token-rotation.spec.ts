import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test as base, expect } from "./fixtures.ts";

/**
 * `pocket-agent token rotate` on a phone that is using the app: the server drops its connection,
 * the app reconnects, is refused, and asks to pair again; the new token pairs it
 * (decision 041). The token lives in the data dir here (no POCKET_TOKEN), as for a user.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const bun = join(root, "node_modules/.bin/bun");

const test = base.extend({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
  serverEnv: [async ({}, use) => use({ POCKET_TOKEN: "" }), { scope: "worker" }],
});
test.use({ isolatedStack: true, paired: false });

test("rotating the token signs the phone out at once, and the new token pairs it again", async ({
  page,
  frames,
  stack,
}) => {
  const tokenFile = join(stack.dataDir, "token");
  const oldToken = readFileSync(tokenFile, "utf8").trim();
  await page.goto(`/?token=${oldToken}`);
  await frames.waitFor("received", "connection");
  await expect(page.getByText("Connected.", { exact: true })).toBeAttached();
  const before = frames.all.length;

  // The real command, as the user types it (from the repository).
  const { POCKET_TOKEN: _unset, ...env } = process.env;
  const rotated = spawnSync(bun, ["src/cli/main.ts", "token", "rotate", "--data-dir", stack.dataDir], {
    cwd: root,
    env: { ...env, POCKET_LOG_LEVEL: "error" },
    encoding: "utf8",
  });
  expect(rotated.status).toBe(0);
  const newToken = readFileSync(tokenFile, "utf8").trim();
  expect(newToken).not.toBe(oldToken);
  expect(rotated.stdout).toContain(`/?token=${newToken}`);

  await expect(page.getByRole("heading", { name: "Pair this device" })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("signed-out-after-rotation.png"), fullPage: true });

  await page.getByRole("textbox", { name: "Token" }).fill(newToken);
  await page.getByRole("button", { name: "Pair" }).click();
  await frames.waitFor("received", "connection", () => true, 30_000, before);
  await expect(page.getByRole("heading", { name: "Pair this device" })).toHaveCount(0);
  await expect(page.getByText("Connected.", { exact: true })).toBeAttached();
});
