import { expect, test } from "./fixtures.ts";
import {
  conversation,
  marker,
  newSession,
  SESSION_EVENTS,
  sendMessage,
  sessionRow,
  TURN_TIMEOUT_MS,
  turnDone,
  UUID_V4,
} from "./helpers.ts";

test.describe.configure({ timeout: 120_000 });

test.describe("the composer steers", () => {
  test("a draft stays in its own session, across a switch and a reload; the other session's composer is empty", async ({
    page,
    frames,
  }) => {
    const box = page.getByRole("textbox", { name: "Message" });
    await newSession(page, frames);
    const titleA = marker("draft-a");
    const a = await sendMessage(page, frames, titleA); // names session A after its first message
    await turnDone(frames, a.requestId);
    await box.fill("half a thought for A");

    await newSession(page, frames);
    await expect(box).toHaveValue("");
    await box.fill("something for B");

    await page.getByRole("button", { name: "Sessions" }).click();
    await sessionRow(page.getByRole("dialog", { name: "Sessions" }), titleA).click();
    await expect(page.getByRole("heading", { level: 1 })).toContainText(titleA);
    await expect(box).toHaveValue("half a thought for A");

    await page.reload();
    await expect(page.getByRole("heading", { level: 1 })).toContainText(titleA);
    await expect(box).toHaveValue("half a thought for A");
    // Nothing was sent by any of this.
    expect(frames.sent("chat:send").map((p) => p.message)).toEqual([titleA]);
  });

  test("while a turn runs with text in the composer, Stop is there and cancels it; the text stays", async ({
    page,
    frames,
    stack,
  }) => {
    await newSession(page, frames);
    const prompt = marker("long-job");
    await stack.script([{ kind: "hang" }], prompt);
    const sent = await sendMessage(page, frames, prompt);
    await frames.waitFor("received", "chat:started", (p) => p.requestId === sent.requestId, TURN_TIMEOUT_MS);

    const box = page.getByRole("textbox", { name: "Message" });
    await box.fill("do this instead");
    const stop = page.getByRole("button", { name: "Stop" });
    await expect(stop).toBeEnabled();
    await expect(page.getByRole("button", { name: "Send" })).toBeEnabled();
    await stop.click();
    const cancel = await frames.waitFor("sent", "chat:cancel", (p) => p.targetRequestId === sent.requestId);
    expect(cancel.requestId).toMatch(UUID_V4);
    const ended = await frames.waitFor(
      "received",
      "chat:error",
      (p) => p.requestId === sent.requestId,
      TURN_TIMEOUT_MS,
    );
    expect(ended.code).toBe("CANCELLED");
    await expect(box).toHaveValue("do this instead");
    // The user's own Stop reads as an outcome, not as an error.
    const turn = conversation(page).locator(`[data-turn="${sent.requestId}"]`);
    await expect(turn.getByText("Stopped", { exact: true })).toBeVisible();
    await expect(turn.locator("[data-error-code]")).toHaveCount(0);
  });

  test("Interrupt and send, from Send's menu while a turn runs: the turn stops and the text goes out at once", async ({
    page,
    frames,
    stack,
  }) => {
    await newSession(page, frames);
    const prompt = marker("runaway");
    await stack.script([{ kind: "hang" }], prompt);
    const sent = await sendMessage(page, frames, prompt);
    await frames.waitFor("received", "chat:started", (p) => p.requestId === sent.requestId, TURN_TIMEOUT_MS);

    const instead = marker("instead");
    await page.getByRole("textbox", { name: "Message" }).fill(instead);
    // The long press's other way in (a right click, or a long press that opens the context menu).
    await page.getByRole("button", { name: "Send" }).click({ button: "right" });
    const offer = page.getByRole("button", { name: "Interrupt and send" });
    await expect(offer).toBeVisible();
    await expect(offer).toBeFocused();
    const mark = frames.mark();
    await offer.click();

    const cancel = await frames.waitFor(
      "sent",
      "chat:cancel",
      (p) => p.targetRequestId === sent.requestId,
      30_000,
      mark,
    );
    const resent = await frames.waitFor("sent", "chat:send", (p) => p.message === instead, 30_000, mark);
    // Stop first, then the message: it is not queued behind the turn it replaces.
    const at = (payload: Record<string, unknown>) => frames.all.findIndex((f) => f.payload === payload);
    expect(at(cancel)).toBeLessThan(at(resent));
    const ended = await frames.waitFor(
      "received",
      "chat:error",
      (p) => p.requestId === sent.requestId,
      TURN_TIMEOUT_MS,
    );
    expect(ended.code).toBe("CANCELLED");
    const answer = await turnDone(frames, resent.requestId);
    expect(answer.response).toBe(`Echo: ${instead}`);
    await expect(page.getByRole("textbox", { name: "Message" })).toHaveValue("");
    await expect(offer).toHaveCount(0);
  });

  test("a failed turn's Retry sends the same text again as a new request", async ({ page, frames, stack }) => {
    await newSession(page, frames);
    const prompt = marker("flaky");
    await stack.script([{ kind: "httpError", status: 500 }], prompt);
    const first = await sendMessage(page, frames, prompt);
    const failed = await frames.waitFor(
      "received",
      "chat:error",
      (p) => p.requestId === first.requestId,
      TURN_TIMEOUT_MS,
    );
    expect(failed.code).not.toBe("CANCELLED");

    const turn = conversation(page).locator(`[data-turn="${first.requestId}"]`);
    const mark = frames.mark();
    await turn.getByRole("button", { name: "Retry" }).click();
    const again = await frames.waitFor("sent", "chat:send", (p) => p.message === prompt, 30_000, mark);
    expect(again.requestId).toMatch(UUID_V4);
    expect(again.requestId).not.toBe(first.requestId);
    expect(again.sessionId).toBe(first.sessionId);
    const response = await turnDone(frames, again.requestId);
    expect(response.response).toBe(`Echo: ${prompt}`);
    // No raw error code in what people read.
    await expect(turn).not.toContainText(String(failed.code));
  });

  test("a code block has Copy, which copies its code, a wrap toggle and syntax colours", async ({
    page,
    context,
    frames,
    stack,
  }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await newSession(page, frames);
    const prompt = marker("code");
    const code = `const answer = ${Math.floor(Math.random() * 1000)};\nconsole.log(answer);`;
    await stack.script(
      [{ kind: "message", blocks: [{ type: "text", text: `Here:\n\n\`\`\`ts\n${code}\n\`\`\`\n` }] }],
      prompt,
    );
    const sent = await sendMessage(page, frames, prompt);
    await turnDone(frames, sent.requestId);
    const turn = conversation(page).locator(`[data-turn="${sent.requestId}"]`);
    const copy = turn.getByRole("button", { name: "Copy" });
    await expect(copy).toBeVisible();
    await copy.click();
    await expect(copy).toContainText("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    // Long lines scroll by default; the toggle says so and wraps them.
    const wrap = turn.getByRole("button", { name: "Wrap" });
    await expect(wrap).toHaveAttribute("aria-pressed", "false");
    await wrap.click();
    await expect(turn.getByRole("button", { name: "Wrapped" })).toHaveAttribute("aria-pressed", "true");
    // Coloured once finished (the highlighter loads on first use): the same text, with keywords marked.
    const block = turn.locator("pre[data-highlighted=true]");
    await expect(block.locator('[data-token="keyword"]').first()).toHaveText("const");
    await expect(block.locator('[data-token="number"]')).toHaveCount(1);
    expect(await block.textContent()).toBe(code);
    await copy.click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
  });

  test("a message written offline shows as not sent, and is delivered exactly once after reconnect", async ({
    page,
    context,
    frames,
  }) => {
    const sessionId = await newSession(page, frames);
    await context.setOffline(true);
    await expect(page.getByRole("status").filter({ hasText: /offline|Reconnecting|Can't reach/i })).toBeVisible();
    const text = marker("written-offline");
    const box = page.getByRole("textbox", { name: "Message" });
    await box.fill(text);
    await page.getByRole("button", { name: "Send" }).click();
    await expect(box).toHaveValue("");
    const pending = conversation(page).locator("[data-pending=offline]");
    await expect(pending).toContainText("Not sent yet");
    expect(frames.sent("chat:send").filter((p) => p.message === text)).toHaveLength(0);

    await context.setOffline(false);
    const sent = await frames.waitFor("sent", "chat:send", (p) => p.message === text);
    expect(sent.sessionId).toBe(sessionId);
    const response = await turnDone(frames, sent.requestId);
    expect(response.response).toBe(`Echo: ${text}`);
    await expect(conversation(page).getByText(`Echo: ${text}`)).toBeVisible();
    await expect(pending).toHaveCount(0);
    // Exactly once: one chat:send, one turn on the server's side.
    expect(frames.sent("chat:send").filter((p) => p.message === text)).toHaveLength(1);
    const queued = frames.all.filter(
      (f) =>
        f.direction === "received" &&
        SESSION_EVENTS.has(f.event) &&
        f.event === "chat:queued" &&
        f.payload.message === text,
    );
    expect(queued).toHaveLength(1);
    await expect(conversation(page).locator("[data-turn]")).toHaveCount(1);
  });
});
