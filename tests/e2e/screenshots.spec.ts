import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page, TestInfo } from "@playwright/test";
import { startDeskClaude } from "../fixtures/deskClaude.ts";
import { startFakePushService, subscriptionJson } from "../fixtures/fakePushService.ts";
import { git, makeRepo } from "../fixtures/gitRepos.ts";
import { expect, test } from "./fixtures.ts";
import {
  awaitCreated,
  conversation,
  newSession,
  savedCopy,
  sendMessage,
  sessionRow,
  TURN_TIMEOUT_MS,
  turnDone,
} from "./helpers.ts";
import { allowUntilDone, inScheme, openProjects } from "./support/app.ts";
import { ANDROID_CHROME, stubPushNetworkLeg } from "./support/push.ts";

/**
 * The screenshots in docs/screenshots/, `<screen>-<phone|phone390|desktop>-<light|dark>.png`, taken
 * from the real app on a stack of its own (the first-run screen needs an empty database). `phone` is
 * 375×667, `phone390` the same page resized to 390×844.
 */
const OUT = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
const SCHEMES = ["light", "dark"] as const;

test.use({ isolatedStack: true });
test.describe.configure({ mode: "serial", timeout: 150_000 });

/** The phone project's 375×667 (a small phone), and a current one's 390×844 as well. */
const TALL_PHONE = { width: 390, height: 844 };

async function shoot(page: Page, testInfo: TestInfo, screen: string, check?: () => Promise<void>): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const base = page.viewportSize();
  const sizes: { name: string; viewport: { width: number; height: number } | null }[] = [
    { name: testInfo.project.name, viewport: null },
    ...(testInfo.project.name === "phone" ? [{ name: "phone390", viewport: TALL_PHONE }] : []),
  ];
  for (const size of sizes) {
    if (size.viewport) await page.setViewportSize(size.viewport);
    for (const scheme of SCHEMES) {
      // The app follows the system theme ("System" is the default choice).
      await inScheme(page, scheme);
      await check?.();
      const path = join(OUT, `${screen}-${size.name}-${scheme}.png`);
      await page.screenshot({ path, animations: "disabled", caret: "hide" });
      await testInfo.attach(`${screen}-${size.name}-${scheme}`, { path, contentType: "image/png" });
    }
    if (size.viewport && base) await page.setViewportSize(base);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

test("empty state (first run, no session yet)", async ({ page }, testInfo) => {
  await expect(page.getByRole("heading", { name: "Start a session" })).toBeVisible();
  await shoot(page, testInfo, "empty");
});

test("conversation, logs, live activity and sessions", async ({ page, frames, stack }, testInfo) => {
  // Something for the agent to look at.
  writeFileSync(
    join(stack.workdir, "package.json"),
    `${JSON.stringify({ name: "shop-api", version: "2.3.0", scripts: { test: "vitest run" } }, null, 2)}\n`,
  );
  writeFileSync(join(stack.workdir, "README.md"), "# shop-api\n\nOrders and payments service.\n");
  const listFiles = {
    kind: "message",
    blocks: [{ type: "tool_use", name: "Bash", input: { command: "ls -la", description: "List files" } }],
  };
  const readPackage = {
    kind: "message",
    blocks: [{ type: "tool_use", name: "Read", input: { file_path: join(stack.workdir, "package.json") } }],
  };

  // An earlier session, so the sessions sheet has more than the current ones.
  const earlier = "Summarise the open TODOs in src/server";
  await newSession(page, frames);
  await stack.script(
    [
      {
        kind: "message",
        blocks: [{ type: "text", text: "There are **3** open TODOs, all in `src/server/orders.ts`." }],
      },
    ],
    earlier,
  );
  await turnDone(frames, (await sendMessage(page, frames, earlier)).requestId);

  // A finished turn: two tool calls, then a Markdown reply.
  await newSession(page, frames);
  const prompt = "Run the tests and summarise any failures";
  const reply = [
    "## Test run",
    "",
    "**41 passed, 2 failed** in `vitest run` (3.8 s).",
    "",
    "- `orders.test.ts` › *refund after partial shipment*: expected `status` to be `refunded`",
    "- `checkout.test.ts` › *applies coupon once*: timed out after 5000 ms",
    "",
    "The coupon failure comes from the missing `await`:",
    "",
    "```ts",
    "const total = applyCoupon(cart, code); // returns a Promise<number>, so total is never a number",
    "```",
    "",
    "Want me to fix both? See [the vitest docs](https://vitest.dev/guide/) for `--retry`.",
  ].join("\n");
  await stack.script([listFiles, readPackage, { kind: "message", blocks: [{ type: "text", text: reply }] }], prompt);
  const sent = await sendMessage(page, frames, prompt);
  await turnDone(frames, sent.requestId);
  const turn = conversation(page).locator(`[data-turn="${sent.requestId}"]`);
  await expect(turn.getByRole("heading", { name: "Test run" })).toBeVisible();
  const logsButton = turn.getByRole("button", { name: /^Developer details/ });
  await expect(logsButton).toBeVisible();
  await shoot(page, testInfo, "conversation");

  // The logs sheet, with the Read call opened.
  await logsButton.click();
  const logs = page.getByRole("dialog", { name: "Agent logs" });
  await expect(logs).toBeVisible();
  const readEntry = logs.locator("ol > li > details").filter({ hasText: "Read: package.json" }).first();
  await readEntry.locator("summary").first().click();
  await expect(readEntry).toHaveAttribute("open");
  await shoot(page, testInfo, "logs");
  await page.keyboard.press("Escape");
  await expect(logs).toBeHidden();

  // Working: two tool calls done, the model still thinking (its next answer never comes: a hung API call).
  await newSession(page, frames);
  const working = "Fix both failures and run the tests again";
  await stack.script([listFiles, readPackage, { kind: "hang" }], working);
  const pending = await sendMessage(page, frames, working);
  const running = conversation(page).locator(`[data-turn="${pending.requestId}"] [aria-busy=true]`);
  await expect(running.getByText("ls -la")).toBeVisible({ timeout: TURN_TIMEOUT_MS });
  await expect(running.getByText("package.json")).toBeVisible({ timeout: TURN_TIMEOUT_MS });
  // Both steps finished (no spinner left on a step); the turn is still busy.
  await expect(running.locator("li svg.animate-spin")).toHaveCount(0, { timeout: TURN_TIMEOUT_MS });
  await shoot(page, testInfo, "activity");

  // The sessions sheet: the working session on top, the others below.
  await page.getByRole("button", { name: "Sessions" }).click();
  const sessions = page.getByRole("dialog", { name: "Sessions" });
  await expect(sessionRow(sessions, working)).toHaveAttribute("aria-current", "true");
  // What the agent is doing now (its latest tool use), the other rows' last lines.
  await expect(sessionRow(sessions, working)).toContainText("Reading package.json…");
  await expect(sessionRow(sessions, prompt)).toContainText("Want me to fix both? See the vitest docs for --retry.");
  await expect(sessionRow(sessions, prompt)).toBeVisible();
  await expect(sessionRow(sessions, earlier)).toBeVisible();
  await shoot(page, testInfo, "sessions");
  await page.keyboard.press("Escape");

  // Leave nothing running.
  await page.getByRole("button", { name: "Stop" }).click();
  const stopped = await frames.waitFor("received", "chat:error", (p) => p.requestId === pending.requestId);
  expect(stopped.code).toBe("CANCELLED");
});

test("the saved conversation, offline", async ({ page, context, frames }, testInfo) => {
  // The finished turn of the test above, opened from the sessions sheet.
  await page.getByRole("button", { name: "Sessions" }).click();
  const sessions = page.getByRole("dialog", { name: "Sessions" });
  const mark = frames.mark();
  await sessionRow(sessions, "Run the tests and summarise any failures").click();
  const subscribe = await frames.waitFor("sent", "session:subscribe", () => true, 30_000, mark);
  const sessionId = subscribe.sessionId as string;
  await expect(conversation(page).getByRole("heading", { name: "Test run" })).toBeVisible();
  await expect.poll(async () => (await savedCopy(page, sessionId))?.responses.length).toBe(1);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole("status").filter({ hasText: "Offline: showing the saved conversation" })).toBeVisible();
  await expect(conversation(page).getByRole("heading", { name: "Test run" })).toBeVisible();
  await shoot(page, testInfo, "offline");
  await context.setOffline(false);
});

test("projects and the desk's Claude Code sessions", async ({ page, stack }, testInfo) => {
  // A few repositories, one with uncommitted work, and two sessions started at the desk.
  const shop = makeRepo(join(stack.workdir, "shop-api"));
  writeFileSync(join(shop, "orders.ts"), "export const orders = [];\n");
  makeRepo(join(stack.workdir, "billing"), { branch: "feature/refunds" });
  const portal = makeRepo(join(stack.workdir, "clients", "acme", "portal"), { branch: "release/2.4" });
  git(portal, "checkout", "-q", "-b", "fix/login-redirect");
  for (const prompt of ["Why does the refund job retry forever?", "Add pagination to GET /orders"]) {
    const desk = await startDeskClaude({ cwd: shop, env: stack.claudeEnv, timeoutMs: 45_000 });
    await desk.ask(prompt, `Echo: ${prompt}`);
    if (prompt.startsWith("Why")) {
      await desk.exit();
      // Finished an hour ago: continued as it is, not as a fork.
      const projects = join(stack.claudeEnv.CLAUDE_CONFIG_DIR ?? "", "projects");
      for (const dir of readdirSync(projects)) {
        for (const file of readdirSync(join(projects, dir))) {
          if (!file.endsWith(".jsonl")) continue;
          const hourAgo = new Date(Date.now() - 60 * 60_000);
          utimesSync(join(projects, dir, file), hourAgo, hourAgo);
        }
      }
    } else await desk.kill(); // just now: still in use, so a fork
  }

  await page.getByRole("button", { name: "Sessions" }).click();
  await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "New", exact: true }).click();
  const newSheet = page.getByRole("dialog", { name: "New session" });
  await expect(newSheet).toBeVisible();
  await shoot(page, testInfo, "new-session");
  await newSheet.getByRole("button", { name: /^Project:/ }).click();
  const projects = page.getByRole("dialog", { name: "Projects" });
  const shopRow = projects.getByRole("list", { name: "Projects" }).getByRole("button", { name: /^shop-api/ });
  await expect(shopRow).toContainText("changes");
  await expect(shopRow).toContainText("2 from the desk");
  await shoot(page, testInfo, "projects");

  await shopRow.click();
  const desk = projects.getByRole("list", { name: "Claude Code sessions" });
  await expect(desk.getByRole("article")).toHaveCount(2);
  await expect(desk.getByRole("button", { name: "Continue as a fork on this phone" })).toBeVisible();
  await projects.getByRole("heading", { name: "shop-api" }).blur();
  await shoot(page, testInfo, "desk-sessions");
  for (const sheet of ["Projects", "New session", "Sessions"]) {
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog", { name: sheet })).toBeHidden();
  }
});

test("a turn's changes, the folder's changes and a file", async ({ page, frames, stack }, testInfo) => {
  // The projects test's shop-api (the projects list is cached for 10 s: a new repository would not be in it yet).
  const web = join(stack.workdir, "shop-api");
  mkdirSync(join(web, "src"));
  const cart = join(web, "src", "cart.ts");
  writeFileSync(
    cart,
    [
      'import { applyCoupon } from "./coupons";',
      "",
      "/** The cart's total, coupon applied once. */",
      "export async function total(cart: Cart, code?: string): Promise<number> {",
      "  const subtotal = cart.items.reduce((sum, item) => sum + item.price * item.quantity, 0);",
      "  if (!code) return subtotal;",
      "  return applyCoupon(subtotal, code);",
      "}",
      "",
    ].join("\n"),
  );
  git(web, "add", "src");
  git(web, "commit", "-qm", "cart");
  const prompt = "Fix the coupon bug and note it in the changelog";
  await stack.script(
    [
      { kind: "message", blocks: [{ type: "tool_use", name: "Read", input: { file_path: cart } }] },
      {
        kind: "message",
        blocks: [
          {
            type: "tool_use",
            name: "Edit",
            input: {
              file_path: cart,
              old_string: "  return applyCoupon(subtotal, code);",
              new_string: "  return await applyCoupon(subtotal, code.trim());",
            },
          },
        ],
      },
      {
        kind: "message",
        blocks: [
          {
            type: "tool_use",
            name: "Bash",
            input: {
              command: "printf '## 2.3.1\\n\\n- Coupons apply once, even with spaces.\\n' > CHANGELOG.md",
              description: "Add a changelog entry",
            },
          },
        ],
      },
      { kind: "message", blocks: [{ type: "text", text: "Fixed: the coupon is awaited and trimmed." }] },
    ],
    prompt,
  );

  // A session in that project: Sessions → New → Project → shop-api → New session here.
  const projects = await openProjects(page);
  await projects
    .getByRole("list", { name: "Projects" })
    .getByRole("button", { name: /^shop-api/ })
    .click();
  const mark = frames.mark();
  await projects.getByRole("button", { name: "New session here" }).click();
  await awaitCreated(page, frames, mark);
  const sent = await sendMessage(page, frames, prompt);
  await allowUntilDone(page, frames, sent.requestId);
  await frames.waitFor("received", "turn:changes", (p) => p.requestId === sent.requestId);
  await expect(page.getByRole("button", { name: /^2 files changed/ })).toBeVisible();
  await shoot(page, testInfo, "turn-changes");

  await page.getByRole("button", { name: "Changes" }).click();
  const sheet = page.getByRole("dialog", { name: "Changes" });
  const file = sheet.locator('[data-file="src/cart.ts"]');
  await file.getByRole("button", { expanded: false }).click();
  await expect(file.locator('mark[data-word="add"]').first()).toBeVisible();
  await shoot(page, testInfo, "changes");

  await file.getByRole("button", { name: "Open file" }).click();
  const code = page.getByRole("region", { name: "Content of src/cart.ts" });
  await expect(code).toHaveAttribute("data-highlighted", "true");
  await shoot(page, testInfo, "file");
  await page.keyboard.press("Escape");
});

test.describe("notifications", () => {
  // Web push works in an Android phone's tab; the phone project's iPhone gets the Home Screen screen (below).
  test.use({
    userAgent: async ({ userAgent }, use) => use(userAgent?.includes("iPhone") ? ANDROID_CHROME : userAgent),
  });

  test("notification settings, on", async ({ page, context, frames, baseURL }, testInfo) => {
    // A subscription at a fake push service: this browser cannot reach a real one (see support/push.ts).
    const push = await startFakePushService();
    const { vapidPublicKey } = (await (await page.request.get("/api/push/status")).json()) as {
      vapidPublicKey: string;
    };
    const subscription = push.subscribe(vapidPublicKey);
    await context.grantPermissions(["notifications"], { origin: baseURL });
    await stubPushNetworkLeg(context, subscriptionJson(subscription));
    const reloaded = frames.mark();
    await page.reload();
    await frames.waitFor("received", "connection", () => true, 30_000, reloaded);
    await page.getByRole("button", { name: /^Sessions/ }).click();
    await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "Notifications" }).click();
    const sheet = page.getByRole("dialog", { name: "Notifications" });
    await sheet.getByRole("button", { name: "Turn on notifications" }).click();
    await expect(sheet.getByRole("status")).toHaveText("On for this device");
    await sheet.getByRole("textbox", { name: "Device name" }).fill("Pixel 8");
    const saved = frames.mark();
    await sheet.getByRole("button", { name: "Save" }).click();
    await frames.waitFor("received", "push:subscribed", () => true, 30_000, saved);
    await sheet.getByRole("checkbox", { name: "Finished replies" }).uncheck();
    await expect(sheet.getByRole("button", { name: "Save" })).toBeDisabled();
    await sheet.evaluate((el) => el.querySelector(".overflow-y-auto")?.scrollTo(0, 0));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.mouse.move(0, 0);
    await shoot(page, testInfo, "notifications", async () => {
      await expect(sheet.getByRole("status")).toHaveText("On for this device");
    });
    // Leave no device behind on this stack.
    await sheet.getByRole("button", { name: "Turn off on this device" }).click();
    await expect(sheet.getByRole("status")).toHaveText("Off");
    await push.close();
  });
});

test("notification settings on an iPhone, in a Safari tab", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "phone", "the iPhone screen is the phone project's");
  await page.getByRole("button", { name: /^Sessions/ }).click();
  await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "Notifications" }).click();
  const sheet = page.getByRole("dialog", { name: "Notifications" });
  await expect(sheet.getByRole("status")).toHaveText("Add to Home Screen first");
  await shoot(page, testInfo, "notifications-ios");
});
