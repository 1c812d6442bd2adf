import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git, makeRepo } from "../fixtures/gitRepos.ts";
import { test as base, expect } from "./fixtures.ts";
import { TURN_TIMEOUT_MS } from "./helpers.ts";
import { allowUntilDone, createSession, inScheme, sendMessage } from "./support/app.ts";

/**
 * Changes and files on the phone, with the real Claude Code CLI: the fake API makes the model edit
 * a file and write another with Bash (both approved on the card), the turn ends with its summary,
 * the changes sheet shows that turn's diffs and then the folder's changes against HEAD (git), and
 * the file viewer opens a file, coloured. The work folder is a git repository of this file's own
 * (an isolated stack).
 */
const test = base.extend({
  // A worker fixture of its own, so this file never shares its stack (and its sessions and git
  // repository) with another isolated file such as the screenshots spec, which needs an empty one.
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
  serverEnv: [async ({}, use) => use({ POCKET_LOG_LEVEL: "warn" }), { scope: "worker" }],
});
test.use({ isolatedStack: true });
test.describe.configure({ timeout: 120_000 });

const APP_TS = `export function total(price: number, count: number): number {
  // multiply the two
  return price * count;
}

export const greeting = "hello";
`;

test("a turn's changes, the folder's changes and a file, with the frames behind them", async ({
  page,
  frames,
  stack,
}, testInfo) => {
  const repo = makeRepo(stack.workdir);
  writeFileSync(join(repo, "app.ts"), APP_TS);
  writeFileSync(join(repo, "wide.txt"), `${"a very long line that goes on ".repeat(12)}\n`);
  git(repo, "add", ".");
  git(repo, "commit", "-qm", "app");
  const appPath = join(repo, "app.ts");
  const prompt = `rename count to amount ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(
    [
      { kind: "message", blocks: [{ type: "tool_use", name: "Read", input: { file_path: appPath } }] },
      {
        kind: "message",
        blocks: [
          {
            type: "tool_use",
            name: "Edit",
            input: { file_path: appPath, old_string: "return price * count;", new_string: "return price * amount;" },
          },
        ],
      },
      {
        kind: "message",
        blocks: [
          {
            type: "tool_use",
            name: "Bash",
            input: { command: "printf '# Notes\\nRenamed count.\\n' > NOTES.md", description: "Write notes" },
          },
        ],
      },
      { kind: "message", blocks: [{ type: "text", text: "Renamed it and wrote notes." }] },
    ],
    prompt,
  );

  const sessionId = await createSession(page, frames);
  const sent = await sendMessage(page, frames, prompt);
  await allowUntilDone(page, frames, sent.requestId);

  // The turn's changes: one stored event, before the response, with both files.
  const changes = await frames.waitFor("received", "turn:changes", (p) => p.requestId === sent.requestId);
  expect(changes.sessionId).toBe(sessionId);
  const files = changes.files as { path: string; status: string; additions: number; deletions: number }[];
  expect(files.map(({ path, status, additions, deletions }) => ({ path, status, additions, deletions }))).toEqual([
    { path: "app.ts", status: "modified", additions: 1, deletions: 1 },
    { path: "NOTES.md", status: "added", additions: 2, deletions: 0 },
  ]);

  const summary = page.getByRole("button", { name: /2 files changed, 3 lines added, 1 removed/ });
  await expect(summary).toHaveText("2 files changed · +3 −1");
  // The turn says what it cost.
  await expect(page.locator("[data-usage=turn]").last()).toContainText(/\d+(\.\d)? s · [\d.]+k? tokens/);
  await page.screenshot({ path: testInfo.outputPath("turn-summary.png") });

  await summary.click();
  const sheet = page.getByRole("dialog", { name: "This turn's changes" });
  await expect(sheet).toBeVisible();
  const appFile = sheet.locator('[data-file="app.ts"]');
  await appFile.getByRole("button", { expanded: false }).click();
  await expect(appFile.locator('[data-diff="del"]')).toContainText("return price * count;");
  await expect(appFile.locator('[data-diff="add"]')).toContainText("return price * amount;");
  // Word-level: only the changed word is marked on each side.
  await expect(appFile.locator('mark[data-word="del"]')).toHaveText("count");
  await expect(appFile.locator('mark[data-word="add"]')).toHaveText("amount");
  await expect(appFile.locator("[data-wrap]")).toHaveText("Long lines wrap.");
  await page.screenshot({ path: testInfo.outputPath("turn-changes.png") });
  await sheet.getByRole("button", { name: "Close" }).click();
  await expect(sheet).toBeHidden();

  // The folder's changes against HEAD, from the top bar.
  const asked = frames.mark();
  await page.getByRole("button", { name: "Changes" }).click();
  const get = await frames.waitFor("sent", "changes:get", () => true, 10_000, asked);
  expect(get).toEqual({ sessionId, requestId: expect.any(String) });
  const result = await frames.waitFor("received", "changes:result", (p) => p.requestId === get.requestId);
  expect(result).toMatchObject({ sessionId, isGit: true, branch: "main" });
  const resultFiles = result.files as { path: string; status: string; diff: string }[];
  expect(resultFiles.map((f) => [f.path, f.status])).toEqual([
    ["app.ts", "modified"],
    ["NOTES.md", "untracked"],
  ]);
  expect(resultFiles[0]?.diff).toContain("-  return price * count;\n+  return price * amount;");

  const folder = page.getByRole("dialog", { name: "Changes" });
  await expect(folder.locator("[data-branch]")).toHaveText("main");
  await expect(folder).toContainText("2 files changed · +3 −1");
  await expect(folder.locator('[data-file="NOTES.md"][data-status="untracked"]')).toBeVisible();
  await folder.locator('[data-file="app.ts"]').getByRole("button", { expanded: false }).click();
  await expect(folder.locator('[data-file="app.ts"] mark[data-word="add"]')).toHaveText("amount");
  await page.screenshot({ path: testInfo.outputPath("folder-changes.png") });

  // Scroll instead of wrap: the view says which.
  const diffFile = folder.locator('[data-file="app.ts"]');
  await diffFile.getByRole("button", { name: "Scroll instead" }).click();
  await expect(diffFile.locator("[data-wrap]")).toHaveText("Long lines scroll sideways.");

  // The file viewer.
  const reading = frames.mark();
  await diffFile.getByRole("button", { name: "Open file" }).click();
  const read = await frames.waitFor("sent", "file:read", () => true, 10_000, reading);
  expect(read).toEqual({ sessionId, path: "app.ts", requestId: expect.any(String) });
  const content = await frames.waitFor("received", "file:content", (p) => p.requestId === read.requestId);
  expect(content).toMatchObject({ sessionId, path: "app.ts", truncated: false });
  expect(content.content).toContain("return price * amount;");
  const viewer = page.getByRole("dialog", { name: "File" });
  const code = viewer.getByRole("region", { name: "Content of app.ts" });
  await expect(code).toContainText("return price * amount;");
  await expect(code).toHaveAttribute("data-highlighted", "true");
  await expect(code.locator('[data-token="keyword"]').first()).toHaveText("export");
  await expect(code.locator('[data-token="comment"]')).toHaveText("// multiply the two");
  await expect(viewer).toContainText("6 lines");
  await page.screenshot({ path: testInfo.outputPath("file-viewer.png") });
  await inScheme(page, "dark");
  await page.screenshot({ path: testInfo.outputPath("file-viewer-dark.png"), animations: "disabled" });
  await inScheme(page, "light");

  // Back to the list.
  await viewer.getByRole("button", { name: "Back" }).click();
  await expect(page.getByRole("dialog", { name: "Changes" })).toBeVisible();
});

test("a clean work tree says so; an empty session's changes sheet is not an error", async ({ page, frames, stack }) => {
  // The stack is this file's own: the first test may have made it a repository already.
  if (!existsSync(join(stack.workdir, ".git"))) makeRepo(stack.workdir);
  git(stack.workdir, "add", "-A");
  git(stack.workdir, "commit", "-qm", "everything", "--allow-empty");
  await createSession(page, frames);
  const asked = frames.mark();
  await page.getByRole("button", { name: "Changes" }).click();
  const get = await frames.waitFor("sent", "changes:get", () => true, 10_000, asked);
  const result = await frames.waitFor("received", "changes:result", (p) => p.requestId === get.requestId);
  expect(result.files).toEqual([]);
  const sheet = page.getByRole("dialog", { name: "Changes" });
  await expect(sheet.locator("[data-empty=changes]")).toHaveText(
    "No uncommitted changes: the working tree matches the last commit.",
  );
});

test("the folder's changes stay current: a turn that ends while the sheet is open makes it look again", async ({
  page,
  frames,
  stack,
}) => {
  if (!existsSync(join(stack.workdir, ".git"))) makeRepo(stack.workdir);
  git(stack.workdir, "add", "-A");
  git(stack.workdir, "commit", "-qm", "everything", "--allow-empty");
  const prompt = `slow ${crypto.randomUUID().slice(0, 8)}`;
  // Slow enough to open the sheet while it runs.
  await stack.script(
    [{ kind: "message", blocks: [{ type: "text", text: "Done writing.", chunkChars: 1, delayMs: 150 }] }],
    prompt,
  );
  await createSession(page, frames);
  const sent = await sendMessage(page, frames, prompt);
  await frames.waitFor("received", "chat:started", (p) => p.requestId === sent.requestId);
  const asked = frames.mark();
  await page.getByRole("button", { name: "Changes" }).click();
  const sheet = page.getByRole("dialog", { name: "Changes" });
  await expect(sheet.locator("[data-empty=changes]")).toBeVisible();

  // Something writes in the folder (as the agent's command would); the turn then ends.
  const name = `live-${crypto.randomUUID().slice(0, 8)}.txt`;
  writeFileSync(join(stack.workdir, name), "new\n");
  await frames.waitFor("received", "chat:response", (p) => p.requestId === sent.requestId, TURN_TIMEOUT_MS);
  await expect(sheet.getByRole("button", { name: new RegExp(name.replace(".", "\\.")) })).toBeVisible();
  const gets = frames.sent("changes:get");
  expect(gets.length).toBeGreaterThanOrEqual(2);
  const last = await frames.waitFor(
    "received",
    "changes:result",
    (p) => p.requestId === gets.at(-1)?.requestId,
    10_000,
    asked,
  );
  expect((last.files as { path: string }[]).map((file) => file.path)).toContain(name);
});

test("a usage limit says when it resets; the session settings show the session's totals", async ({
  page,
  frames,
  stack,
}, testInfo) => {
  const id = crypto.randomUUID().slice(0, 8);
  const reset = Math.floor(Date.now() / 1000) + 2 * 3600;
  await stack.script([{ kind: "message", blocks: [{ type: "text", text: "First answer." }] }], `first ${id}`);
  await stack.script(
    [{ kind: "httpError", status: 429, message: `Claude AI usage limit reached|${reset}` }],
    `second ${id}`,
  );
  await createSession(page, frames);
  const first = await sendMessage(page, frames, `first ${id}`);
  const response = await frames.waitFor(
    "received",
    "chat:response",
    (p) => p.requestId === first.requestId,
    TURN_TIMEOUT_MS,
  );
  const usage = response.usage as { inputTokens: number; outputTokens: number };
  expect(usage.inputTokens).toBeGreaterThan(0);
  expect(usage.outputTokens).toBeGreaterThan(0);
  // The server counts the session's totals and announces them with the session.
  const counted = await frames.waitFor(
    "received",
    "session:updated",
    (p) => (p.session as { totals?: { turns: number } }).totals?.turns === 1,
  );
  expect((counted.session as { totals: object }).totals).toEqual({
    turns: 1,
    durationMs: response.durationMs,
    costUsd: response.costUsd,
    usage: response.usage,
  });

  const second = await sendMessage(page, frames, `second ${id}`);
  const error = await frames.waitFor(
    "received",
    "chat:error",
    (p) => p.requestId === second.requestId,
    TURN_TIMEOUT_MS,
  );
  expect(error).toMatchObject({ code: "API_USAGE_LIMIT", resetsAt: new Date(reset * 1000).toISOString() });
  const box = page.locator('[data-error-code="API_USAGE_LIMIT"]');
  await expect(box).toContainText("The account's Claude usage limit was reached.");
  await expect(box).not.toContainText(String(reset));
  await expect(box.locator("[data-resets-at]")).toHaveText(/^Resets (at )?.*\d\d:\d\d/);
  await page.screenshot({ path: testInfo.outputPath("usage-limit.png") });

  await page.getByRole("button", { name: "Session settings" }).click();
  const totals = page.getByRole("dialog", { name: "Session settings" }).locator("[data-usage=session]");
  await expect(totals).toContainText(/1 message · [\d.]+ s · [\d.]+k? tokens · \$/);
  await page.screenshot({ path: testInfo.outputPath("session-usage.png") });
});
