import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, pairContext, test } from "./fixtures.ts";
import { askForBash, createSession, inScheme, scriptBash, sendMessage } from "./support/app.ts";

/**
 * Tool approvals with the real Claude Code CLI: the fake Anthropic API makes
 * the model ask for a Bash command, the CLI asks permission, the server sends
 * `permission:request`, the card appears above the composer, and the answer
 * goes back as `permission:respond` → `permission:resolved`.
 */

const TURN_MS = 45_000;

test("Allow: the card shows the command, Allow answers it, the command runs", async ({ page, frames, stack }) => {
  const prompt = `make a file ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(scriptBash("touch e2e-approved.txt", "Created e2e-approved.txt."), prompt);
  const { sessionId, sent, request } = await askForBash(page, frames, prompt);
  expect(request).toMatchObject({ sessionId, toolName: "Bash", input: { command: "touch e2e-approved.txt" } });
  expect(typeof request.permissionId).toBe("string");

  const card = page.getByRole("region", { name: /touch e2e-approved\.txt|Run a command/ });
  await expect(card).toBeVisible();
  await expect(card.locator("pre code")).toHaveText("touch e2e-approved.txt");
  await expect(card.getByRole("button", { name: "Always allow…" })).toBeVisible();
  await expect(card).toContainText("Create the marker file");
  await expect(page.getByRole("banner")).toContainText("Needs approval");
  // The turn shows where it stopped.
  await expect(page.locator(`[data-permission="${request.permissionId}"]`)).toContainText("Waiting for you");
  // Its step says the command waits: never "Ran" before the user has answered.
  const turn = page.locator(`[data-turn="${sent.requestId}"]`);
  await expect(turn.getByText("Wants to run", { exact: true })).toBeVisible();
  await expect(turn.getByText("Ran", { exact: true })).toHaveCount(0);

  // The card is pinned above the composer, fully on screen at 375×667.
  const box = await card.boundingBox();
  const composer = await page.getByRole("textbox", { name: "Message" }).boundingBox();
  const viewport = page.viewportSize();
  expect(box && composer && viewport).toBeTruthy();
  if (box && composer && viewport) {
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(composer.y);
  }
  const phone = viewport?.width === 375;
  await page.screenshot({
    path: phone ? "docs/screenshots/approval-card-phone.png" : test.info().outputPath("approval-card.png"),
  });
  await inScheme(page, "dark");
  await page.screenshot({ path: test.info().outputPath("approval-card-dark.png"), animations: "disabled" });

  await card.getByRole("button", { name: "Allow", exact: true }).click();
  const respond = await frames.waitFor("sent", "permission:respond", (p) => p.permissionId === request.permissionId);
  expect(respond).toMatchObject({ sessionId, permissionId: request.permissionId, decision: "allow" });
  expect(respond.requestId).toEqual(expect.any(String));
  expect(respond.message).toBeUndefined();
  const resolved = await frames.waitFor(
    "received",
    "permission:resolved",
    (p) => p.permissionId === request.permissionId,
  );
  expect(resolved).toMatchObject({ decision: "allow", requestId: sent.requestId, sessionId });

  // The card collapses to its one-line result; the turn finishes; the command really ran.
  await expect(card).toHaveCount(0);
  await expect(page.locator(`[data-permission="${request.permissionId}"]`)).toContainText("Allowed");
  await frames.waitFor("received", "chat:response", (p) => p.requestId === sent.requestId, TURN_MS);
  await expect(page.getByText("Created e2e-approved.txt.")).toBeVisible();
  await expect(turn.getByText("Ran", { exact: true })).toBeVisible();
  expect(existsSync(join(stack.workdir, "e2e-approved.txt"))).toBe(true);
  await expect(page.getByRole("banner")).not.toContainText("Needs approval");
});

test("Always allow… names each scope; a prefix rule lets the next command run unasked; settings list it and Revoke asks again", async ({
  page,
  frames,
  stack,
}) => {
  const first = `first touch ${crypto.randomUUID().slice(0, 8)}`;
  const second = `second touch ${crypto.randomUUID().slice(0, 8)}`;
  const third = `third touch ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(scriptBash("touch e2e-rule-1.txt", "Made the first."), first);
  await stack.script(scriptBash("touch e2e-rule-2.txt", "Made the second."), second);
  await stack.script(scriptBash("touch e2e-rule-3.txt", "Made the third."), third);
  const { sessionId, sent, request } = await askForBash(page, frames, first);

  const card = page.getByRole("region", { name: /touch e2e-rule-1\.txt|Run a command/ });
  await card.getByRole("button", { name: "Always allow…" }).click();
  const choice = card.getByRole("group", { name: "From now on in this session, allow without asking:" });
  const options = choice.getByRole("radio");
  await expect(options).toHaveCount(3);
  await expect(choice.getByRole("radio", { name: "Only touch e2e-rule-1.txt" })).toBeChecked();
  await expect(choice.getByRole("radio", { name: "Only touch e2e-rule-1.txt" })).toBeFocused();
  await expect(choice.getByRole("radio", { name: "Commands starting with touch" })).toBeVisible();
  await expect(choice.getByRole("radio", { name: "Any command" })).toBeVisible();
  // The arrow keys move the choice, as in any radio group.
  await page.keyboard.press("ArrowDown");
  await expect(choice.getByRole("radio", { name: "Commands starting with touch" })).toBeChecked();
  if (page.viewportSize()?.width === 375) {
    await page.screenshot({ path: "docs/screenshots/approval-always-phone.png" });
    await inScheme(page, "dark");
    await page.screenshot({ path: "docs/screenshots/approval-always-phone-dark.png", animations: "disabled" });
    await inScheme(page, "light");
  }
  await card.getByRole("button", { name: "Always allow", exact: true }).click();

  const respond = await frames.waitFor("sent", "permission:respond", (p) => p.permissionId === request.permissionId);
  expect(respond).toMatchObject({ decision: "allow_always", scope: { kind: "prefix", prefix: "touch" } });
  const resolved = await frames.waitFor(
    "received",
    "permission:resolved",
    (p) => p.permissionId === request.permissionId,
  );
  expect(resolved).toMatchObject({
    decision: "allow_always",
    rule: { toolName: "Bash", kind: "prefix", content: "touch" },
  });
  await expect(page.locator(`[data-permission="${request.permissionId}"]`)).toContainText(
    "Always allowed: commands starting with touch",
  );
  await frames.waitFor("received", "chat:response", (p) => p.requestId === sent.requestId, TURN_MS);

  // The rule answers the next one: no request reaches the phone, and the command ran.
  const next = await sendMessage(page, frames, second);
  await frames.waitFor("received", "chat:response", (p) => p.requestId === next.requestId, TURN_MS);
  expect(frames.received("permission:request").filter((p) => p.requestId === next.requestId)).toEqual([]);
  expect(existsSync(join(stack.workdir, "e2e-rule-2.txt"))).toBe(true);

  // The session settings list it, and Revoke forgets it.
  await page.getByRole("button", { name: "Session settings" }).click();
  const settings = page.getByRole("dialog", { name: "Session settings" });
  const rules = settings.getByRole("list", { name: "Rules allowed in this session" });
  await expect(rules.getByRole("listitem")).toHaveCount(1);
  await expect(rules).toContainText("Commands starting with touch");
  await rules.getByRole("button", { name: "Revoke: Commands starting with touch" }).scrollIntoViewIfNeeded();
  if (page.viewportSize()?.width === 375) await page.screenshot({ path: "docs/screenshots/allowed-rules-phone.png" });
  await rules.getByRole("button", { name: "Revoke: Commands starting with touch" }).click();
  const revoke = await frames.waitFor("sent", "permission:revoke", (p) => p.sessionId === sessionId);
  expect(revoke.ruleId).toBe((resolved.rule as { id: string }).id);
  await frames.waitFor("received", "permission:revoked", (p) => p.requestId === revoke.requestId);
  await expect(settings.getByText("Nothing yet.")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(settings).toBeHidden();

  const last = await sendMessage(page, frames, third);
  const askedAgain = await frames.waitFor(
    "received",
    "permission:request",
    (p) => p.requestId === last.requestId,
    TURN_MS,
  );
  expect(askedAgain.input).toMatchObject({ command: "touch e2e-rule-3.txt" });
});

test("two reads at once: the cards stack (1 of 2); a rule chosen on the first answers the second too", async ({
  page,
  frames,
  stack,
}) => {
  // Reads outside the session's folder are asked about, and Claude Code runs reads in parallel.
  const outside = mkdtempSync(join(tmpdir(), "pocket-e2e-outside-"));
  const files = ["notes-1.txt", "notes-2.txt"].map((name) => join(outside, name));
  for (const file of files) writeFileSync(file, `${file}\n`);
  const prompt = `two at once ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(
    [
      {
        kind: "message",
        blocks: files.map((file) => ({ type: "tool_use", name: "Read", input: { file_path: file } })),
      },
      { kind: "message", blocks: [{ type: "text", text: "Read both." }] },
    ],
    prompt,
  );
  try {
    await createSession(page, frames);
    const sent = await sendMessage(page, frames, prompt);
    const asked = (n: number) =>
      frames.waitFor(
        "received",
        "permission:request",
        (p) =>
          p.requestId === sent.requestId &&
          frames.received("permission:request").filter((r) => r.requestId === sent.requestId).length >= n,
        TURN_MS,
      );
    await asked(2);
    const requests = frames.received("permission:request").filter((p) => p.requestId === sent.requestId);
    const dock = page.getByRole("complementary", { name: "Pending approvals" });
    await expect(dock.locator("[data-approval-stack]")).toHaveAttribute("data-approval-stack", "2");
    await expect(dock.getByRole("region")).toHaveCount(1);
    await expect(dock.getByRole("region")).toContainText("1 of 2");
    if (page.viewportSize()?.width === 375) {
      await page.screenshot({ path: "docs/screenshots/approvals-stacked-phone.png" });
    }

    const card = dock.getByRole("region");
    await card.getByRole("button", { name: "Always allow…" }).click();
    await card.getByRole("button", { name: "Always allow", exact: true }).click();
    // The new rule covers the other waiting read: the server resolves it without a second tap.
    const resolved = await Promise.all(
      requests.map((request) =>
        frames.waitFor("received", "permission:resolved", (p) => p.permissionId === request.permissionId),
      ),
    );
    expect(resolved.map((p) => p.decision).sort()).toEqual(["allow", "allow_always"]);
    expect(frames.sent("permission:respond")).toHaveLength(1);
    await frames.waitFor("received", "chat:response", (p) => p.requestId === sent.requestId, TURN_MS);
    await expect(dock).toHaveCount(0);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test("with the keyboard up, the card stays usable: its buttons can be reached and answer", async ({
  page,
  frames,
  stack,
}) => {
  const prompt = `keyboard ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(scriptBash("touch e2e-keyboard.txt", "Done."), prompt);
  const { request } = await askForBash(page, frames, prompt);
  const card = page.getByRole("region", { name: /touch e2e-keyboard\.txt|Run a command/ });
  await expect(card).toBeVisible();

  // The keyboard takes half the screen: only the visual viewport shrinks (as on iOS), which the app follows.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setPageScaleFactor", { pageScaleFactor: 2 });
  const visible = await page.evaluate(() => Math.round(window.visualViewport?.height ?? 0));
  await expect
    .poll(() => page.evaluate(() => document.documentElement.style.getPropertyValue("--app-height")))
    .toBe(`${visible}px`);

  // The dock scrolls within what is left; Allow comes into view inside it and still answers.
  const allow = card.getByRole("button", { name: "Allow", exact: true });
  await allow.scrollIntoViewIfNeeded();
  const box = await allow.evaluate((button) => {
    const rect = button.getBoundingClientRect();
    return { top: rect.top, bottom: rect.bottom };
  });
  expect(box.top).toBeGreaterThanOrEqual(0);
  expect(box.bottom).toBeLessThanOrEqual(visible);
  await allow.click();
  const respond = await frames.waitFor("sent", "permission:respond", (p) => p.permissionId === request.permissionId);
  expect(respond.decision).toBe("allow");
  await frames.waitFor("received", "permission:resolved", (p) => p.permissionId === request.permissionId);
  await cdp.send("Emulation.setPageScaleFactor", { pageScaleFactor: 1 });
});

test("Deny with a reason: the agent is told, nothing runs", async ({ page, frames, stack }) => {
  const prompt = `make another file ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(scriptBash("touch e2e-denied.txt", "Understood, I left it alone."), prompt);
  const { sessionId, sent, request } = await askForBash(page, frames, prompt);

  const card = page.getByRole("region", { name: /touch e2e-denied\.txt|Run a command/ });
  await card.getByRole("button", { name: "Deny" }).click();
  const reason = card.getByRole("textbox", { name: /Reason/ });
  await expect(reason).toBeFocused();
  // Back returns to the buttons without answering.
  await card.getByRole("button", { name: "Back" }).click();
  await expect(card.getByRole("button", { name: "Deny" })).toBeFocused();
  expect(frames.sent("permission:respond")).toEqual([]);

  await card.getByRole("button", { name: "Deny" }).click();
  await reason.fill("Use a temporary folder instead");
  await card.getByRole("button", { name: "Confirm deny" }).click();

  const respond = await frames.waitFor("sent", "permission:respond", (p) => p.permissionId === request.permissionId);
  expect(respond).toMatchObject({
    sessionId,
    permissionId: request.permissionId,
    decision: "deny",
    message: "Use a temporary folder instead",
  });
  const resolved = await frames.waitFor(
    "received",
    "permission:resolved",
    (p) => p.permissionId === request.permissionId,
  );
  expect(resolved).toMatchObject({ decision: "deny", message: "Use a temporary folder instead" });

  await expect(card).toHaveCount(0);
  await expect(page.locator(`[data-permission="${request.permissionId}"]`)).toContainText(
    "Denied: Use a temporary folder instead",
  );
  const response = await frames.waitFor("received", "chat:response", (p) => p.requestId === sent.requestId, TURN_MS);
  expect(existsSync(join(stack.workdir, "e2e-denied.txt"))).toBe(false);
  // The CLI logged the denied call as a failed result; the turn says it never ran, by the request's toolUseId.
  expect(request.toolUseId).toEqual(expect.any(String));
  expect((response.logs as string[]).some((data) => data.includes(`"tool_use_id":"${request.toolUseId}"`))).toBe(true);
  const steps = page.locator(`[data-turn="${sent.requestId}"]`).getByRole("list", { name: "Steps" });
  await expect(steps.getByText("Tried to run", { exact: true })).toBeVisible();
  await expect(steps.getByRole("img", { name: "not run" })).toBeVisible();
  await expect(steps.getByText("Ran", { exact: true })).toHaveCount(0);
  await expect(page.locator(`[data-turn="${sent.requestId}"] [data-steps-summary]`)).toHaveText(/^1 step not run · /);
});

test("Stop while an approval waits: the request is cancelled, and the turn's step reads Tried to run", async ({
  page,
  frames,
  stack,
}) => {
  const prompt = `stop while asked ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(scriptBash("touch e2e-stopped.txt", "Should not be said."), prompt);
  const { sent, request } = await askForBash(page, frames, prompt);
  const card = page.getByRole("region", { name: /touch e2e-stopped\.txt|Run a command/ });
  await expect(card).toBeVisible();

  await page.getByRole("button", { name: "Stop" }).click();
  const resolved = await frames.waitFor(
    "received",
    "permission:resolved",
    (p) => p.permissionId === request.permissionId,
  );
  expect(resolved.decision).toBe("cancelled");
  const ended = await frames.waitFor("received", "chat:error", (p) => p.requestId === sent.requestId, TURN_MS);
  expect(ended.code).toBe("CANCELLED");

  await expect(card).toHaveCount(0);
  expect(existsSync(join(stack.workdir, "e2e-stopped.txt"))).toBe(false);
  const turn = page.locator(`[data-turn="${sent.requestId}"]`);
  const steps = turn.getByRole("list", { name: "Steps" });
  await expect(steps.getByText("Tried to run", { exact: true })).toBeVisible();
  await expect(steps.getByText("touch e2e-stopped.txt")).toBeVisible();
  await expect(turn.getByText("Ran", { exact: true })).toHaveCount(0);
  await expect(turn.locator("[data-steps-summary]")).toHaveText(/^1 step not run/);
  await page.screenshot({ path: test.info().outputPath("stopped-approval.png") });
});

test("answered on another device: this one's card collapses too", async ({ page, frames, stack, freshContext }) => {
  const prompt = `make a shared file ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(scriptBash("touch e2e-elsewhere.txt", "Done elsewhere."), prompt);
  const { sessionId, request } = await askForBash(page, frames, prompt);
  const card = page.getByRole("region", { name: /touch e2e-elsewhere\.txt|Run a command/ });
  await expect(card).toBeVisible();

  // A second device, paired, opens the same session and allows it.
  const other = await freshContext();
  await pairContext(other, stack.baseURL);
  const otherPage = await other.newPage();
  await otherPage.goto(`/?session=${sessionId}`);
  const otherCard = otherPage.getByRole("region", { name: /touch e2e-elsewhere\.txt|Run a command/ });
  await otherCard.getByRole("button", { name: "Allow", exact: true }).click();

  await frames.waitFor("received", "permission:resolved", (p) => p.permissionId === request.permissionId);
  await expect(card).toHaveCount(0);
  await expect(page.locator(`[data-permission="${request.permissionId}"]`)).toContainText("Allowed");
  expect(frames.sent("permission:respond")).toEqual([]);
});

test("AskUserQuestion: the choices are the card; choosing answers with decision allow and answers", async ({
  page,
  frames,
  stack,
}) => {
  const prompt = `set up a database ${crypto.randomUUID().slice(0, 8)}`;
  const question = "Which database should I use?";
  await stack.script(
    [
      {
        kind: "message",
        blocks: [
          {
            type: "tool_use",
            name: "AskUserQuestion",
            input: {
              questions: [
                {
                  question,
                  header: "Database",
                  multiSelect: false,
                  options: [
                    { label: "Postgres", description: "A server, for production" },
                    { label: "SQLite", description: "A file, for local work" },
                  ],
                },
              ],
            },
          },
        ],
      },
      { kind: "message", blocks: [{ type: "text", text: "SQLite it is." }] },
    ],
    prompt,
  );
  const sessionId = await createSession(page, frames);
  const sent = await sendMessage(page, frames, prompt);
  const request = await frames.waitFor(
    "received",
    "permission:request",
    (p) => p.requestId === sent.requestId,
    TURN_MS,
  );
  expect(request.toolName).toBe("AskUserQuestion");

  const card = page.getByRole("region", { name: /question/i });
  await expect(card.getByRole("group", { name: /Which database should I use\?/ })).toBeVisible();
  await expect(card.getByRole("button", { name: "Send answer" })).toBeDisabled();
  await card.getByRole("radio", { name: /SQLite/ }).check();
  await card.getByRole("button", { name: "Send answer" }).click();

  const respond = await frames.waitFor("sent", "permission:respond", (p) => p.permissionId === request.permissionId);
  expect(respond).toMatchObject({ sessionId, decision: "allow", answers: { [question]: "SQLite" } });
  const resolved = await frames.waitFor(
    "received",
    "permission:resolved",
    (p) => p.permissionId === request.permissionId,
  );
  // Every device learns what was chosen, not only that the question was answered.
  expect(resolved).toMatchObject({ decision: "allow", answers: { [question]: "SQLite" } });
  await expect(page.locator(`[data-permission="${request.permissionId}"]`)).toContainText("Answered: SQLite");
  await frames.waitFor("received", "chat:response", (p) => p.requestId === sent.requestId, TURN_MS);
});

test("another session starts waiting: a toast names it, and Review opens its approval", async ({
  page,
  frames,
  stack,
  freshContext,
}) => {
  const waitingId = await createSession(page, frames);
  const here = await createSession(page, frames);
  expect(here).not.toBe(waitingId);

  // At the desk, the other session's agent asks for a command while this page shows `here`.
  const prompt = `make a desk file ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(scriptBash("touch e2e-toast.txt", "Made it."), prompt);
  const desk = await freshContext();
  await pairContext(desk, stack.baseURL);
  const deskPage = await desk.newPage();
  await deskPage.goto(`/?session=${waitingId}`);
  await deskPage.getByRole("textbox", { name: "Message" }).fill(prompt);
  await deskPage.getByRole("button", { name: "Send" }).click();

  const toast = page.getByRole("status").filter({ hasText: "needs approval" });
  await expect(toast).toBeVisible({ timeout: TURN_MS });
  await expect(toast).toContainText(prompt.slice(0, 20));
  const mark = frames.mark();
  await toast.getByRole("button", { name: "Review" }).click();
  const subscribe = await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId === waitingId, 30_000, mark);
  await frames.waitFor("received", "session:subscribed", (p) => p.requestId === subscribe.requestId);
  await expect(page.getByRole("region", { name: /touch e2e-toast\.txt|Run a command/ })).toBeVisible();
  await expect(toast).toHaveCount(0);
});
