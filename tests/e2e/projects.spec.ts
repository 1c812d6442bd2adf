import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page, TestInfo } from "@playwright/test";
import { type DeskClaude, startDeskClaude } from "../fixtures/deskClaude.ts";
import { makeRepo } from "../fixtures/gitRepos.ts";
import { test as base, expect, type Stack } from "./fixtures.ts";
import { awaitCreated, conversation, sendMessage, turnDone } from "./helpers.ts";
import { openProjects } from "./support/app.ts";

/**
 * Projects on the phone: pick a project and start a session there; see the Claude Code sessions
 * of the desk in a project and continue one. The desk sessions are made by the real `claude`,
 * run interactively in a pseudo-terminal against the stack's fake API and config dir.
 */
// A stack of its own, not the one the screenshots share (an isolated stack is per worker, and
// Playwright reuses a worker for files with the same worker fixtures: this override makes them differ).
const test = base.extend({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
  serverEnv: [async ({}, use) => use({ POCKET_LOG_LEVEL: "warn" }), { scope: "worker" }],
});
test.use({ isolatedStack: true });
test.describe.configure({ mode: "serial", timeout: 150_000 });

const desks: DeskClaude[] = [];
test.afterAll(async () => {
  for (const desk of desks.splice(0)) await desk.kill();
});

async function desk(stack: Stack, cwd: string, prompt: string, keepRunning = false): Promise<string> {
  const claude = await startDeskClaude({ cwd, env: stack.claudeEnv, timeoutMs: 45_000 });
  desks.push(claude);
  await claude.ask(prompt, `Echo: ${prompt}`);
  const id = claude.sessionId();
  if (!keepRunning) await claude.exit();
  return id;
}

/** Makes a desk transcript look `ms` old (by its file's time only). */
function age(stack: Stack, sessionId: string, ms: number): void {
  const projects = join(stack.claudeEnv.CLAUDE_CONFIG_DIR ?? "", "projects");
  for (const dir of readdirSync(projects)) {
    const file = join(projects, dir, `${sessionId}.jsonl`);
    try {
      statSync(file);
    } catch {
      continue;
    }
    const when = new Date(Date.now() - ms);
    utimesSync(file, when, when);
    return;
  }
  throw new Error(`no transcript for ${sessionId}`);
}

/** Review shots on the phone size the issue names (390 × 844), attached to the test's report. */
async function look(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, animations: "disabled", caret: "hide" });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

let shop: string;
let billing: string;

test.beforeAll(async ({ stack }) => {
  shop = makeRepo(join(stack.workdir, "shop-api"));
  writeFileSync(join(shop, "notes.txt"), "uncommitted\n");
  billing = makeRepo(join(stack.workdir, "billing"), { branch: "feature/refunds" });
  mkdirSync(join(stack.workdir, "node_modules", "left-pad"), { recursive: true });
});

test.beforeEach(async ({ page }, testInfo) => {
  if (testInfo.project.name === "phone") await page.setViewportSize({ width: 390, height: 844 });
});

test("pick a project (searchable, remembered on this device) and start a session there", async ({
  page,
  frames,
}, testInfo) => {
  const projects = await openProjects(page);
  const list = projects.getByRole("list", { name: "Projects" });
  await expect(list.getByRole("button", { name: /^shop-api/ })).toBeVisible();
  await expect(list.getByRole("button", { name: /^billing/ })).toContainText("feature/refunds");
  await expect(list.getByRole("button", { name: /node_modules|left-pad/ })).toHaveCount(0);
  // Uncommitted changes show once the server has run git status (the sheet asks again for them).
  await expect(list.getByRole("button", { name: /^shop-api/ })).toContainText("changes");
  await look(page, testInfo, "projects-list");

  await projects.getByRole("searchbox", { name: "Search projects" }).fill("refunds");
  await expect(list.getByRole("button")).toHaveCount(1);
  await list.getByRole("button", { name: /^billing/ }).click();
  await expect(projects.getByRole("heading", { name: "billing", level: 2 })).toBeFocused();
  await expect(projects.getByText("No Claude Code sessions here yet")).toBeVisible();

  const mark = frames.mark();
  await projects.getByRole("button", { name: "New session here" }).click();
  const create = await frames.waitFor("sent", "session:create", () => true, 30_000, mark);
  expect(create.cwd).toBe(billing);
  const createdId = await awaitCreated(page, frames, mark);
  const created = frames.received("session:created").find((p) => p.id === createdId);
  expect(created?.branch).toBe("feature/refunds");
  await expect(projects).toBeHidden();
  await expect(page.locator("header")).toContainText("billing");

  // Remembered on this device: the next session (top bar's +) starts there too, after a reload.
  // Marked before the reload: the new page's connection can arrive before reload() returns.
  const reloaded = frames.mark();
  await page.reload();
  await frames.waitFor("received", "connection", () => true, 30_000, reloaded);
  const again = frames.mark();
  await page.getByRole("button", { name: "New session" }).click();
  expect((await frames.waitFor("sent", "session:create", () => true, 30_000, again)).cwd).toBe(billing);
  await awaitCreated(page, frames, again);
  await page.getByRole("button", { name: "Sessions" }).click();
  // Each row names its project and the branch checked out there.
  const row = page.getByRole("dialog", { name: "Sessions" }).locator(`[data-session-id="${createdId}"]`);
  await expect(row).toContainText("billing");
  await expect(row).toContainText("feature/refunds");
  await look(page, testInfo, "sessions-with-branch");
  await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "New", exact: true }).click();
  await expect(
    page.getByRole("dialog", { name: "New session" }).getByRole("button", { name: /^Project: billing/ }),
  ).toBeVisible();
  await page.keyboard.press("Escape");
});

test("see the desk's Claude Code sessions in a project and continue one: the agent remembers", async ({
  page,
  frames,
  stack,
}, testInfo) => {
  const finished = await desk(stack, shop, "the secret fruit is quince");
  age(stack, finished, 20 * 60_000);
  const live = await desk(stack, shop, "refactor the cart totals", true);

  const projects = await openProjects(page);
  await projects
    .getByRole("list", { name: "Projects" })
    .getByRole("button", { name: /^shop-api/ })
    .click();
  const sessions = projects.getByRole("list", { name: "Claude Code sessions" });
  const quince = sessions.getByRole("article", { name: "the secret fruit is quince" });
  const cart = sessions.getByRole("article", { name: "refactor the cart totals" });
  await expect(quince.getByRole("button", { name: "Continue on this phone" })).toBeVisible();
  await expect(cart).toContainText("Still in use at the desk");
  await expect(cart.getByRole("button", { name: "Continue as a fork on this phone" })).toBeVisible();
  await look(page, testInfo, "desk-sessions");

  const mark = frames.mark();
  await quince.getByRole("button", { name: "Continue on this phone" }).click();
  const sent = await frames.waitFor("sent", "session:import", () => true, 30_000, mark);
  expect(sent).toMatchObject({ claudeSessionId: finished, path: shop });
  const created = await frames.waitFor("received", "session:created", (p) => p.requestId === sent.requestId);
  expect(created).toMatchObject({ claudeSessionId: finished, project: shop });
  await expect(projects).toBeHidden();

  // The desk's conversation is the history; the title bar names the project.
  await expect(conversation(page).getByText("the secret fruit is quince", { exact: true })).toBeVisible();
  await expect(conversation(page).getByText("Echo: the secret fruit is quince")).toBeVisible();
  await expect(page.locator("header")).toContainText("shop-api");
  await look(page, testInfo, "continued");

  // The next message resumes the desk's conversation.
  const question = await sendMessage(page, frames, "which fruit did I name");
  await turnDone(frames, question.requestId);
  const requests = (await (await fetch(`${stack.apiUrl}/__requests`)).json()) as { userText: string; body: unknown }[];
  const asked = requests.findLast((r) => r.userText === "which fruit did I name");
  expect(JSON.stringify(asked?.body)).toContain("the secret fruit is quince");

  // Listed as continued now; "Open" goes back to it.
  const again = await openProjects(page);
  await again
    .getByRole("list", { name: "Projects" })
    .getByRole("button", { name: /^shop-api/ })
    .click();
  const continued = again.getByRole("article", { name: "the secret fruit is quince" });
  await expect(continued).toContainText("Continued on this phone");
  await expect(continued.getByRole("button", { name: "Open" })).toBeVisible();

  // The one still open at the desk continues as a fork.
  const forkMark = frames.mark();
  await again.getByRole("article", { name: "refactor the cart totals" }).getByRole("button", { name: /fork/ }).click();
  const forked = await frames.waitFor("received", "session:created", (p) => p.forkedFrom === live, 30_000, forkMark);
  expect(forked.claudeSessionId).not.toBe(live);
  await expect(again).toBeHidden();
  await expect(conversation(page).getByText("Echo: refactor the cart totals")).toBeVisible();
  await expect(conversation(page)).toContainText("Continued from the desk as a fork");
  await look(page, testInfo, "forked");

  // The sessions sheet groups sessions by project; the current one's project is on top.
  await page.getByRole("button", { name: "Sessions" }).click();
  const sheet = page.getByRole("dialog", { name: "Sessions" });
  await expect(sheet.getByRole("list", { name: "Sessions in shop-api" }).getByRole("button")).toHaveCount(4);
  await expect(sheet.getByRole("list", { name: "Sessions in billing" })).toBeVisible();
  await look(page, testInfo, "sessions-by-project");
});
