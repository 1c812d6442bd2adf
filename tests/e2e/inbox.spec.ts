import type { Page, TestInfo } from "@playwright/test";
import { io, type Socket } from "socket.io-client";
import { E2E_TOKEN, expect, type Frames, test } from "./fixtures.ts";
import { marker, newSession, sendMessage, sessionRow, TURN_TIMEOUT_MS, turnDone } from "./helpers.ts";

/**
 * The sessions list as an inbox (issue #23 §3) against the real server and the real Claude Code
 * CLI: what needs the user comes first, each row says what its session is doing and its last line,
 * unread replies are marked, sessions are pinned, archived and searched. Other sessions are driven
 * from a script's own Socket.IO client (another device), while the page looks at one session.
 */

const scripts: Socket[] = [];
test.afterEach(() => {
  for (const socket of scripts.splice(0)) socket.close();
});

async function otherDevice(baseURL: string): Promise<Socket> {
  const socket = io(baseURL, { auth: { token: E2E_TOKEN }, transports: ["websocket"], reconnection: false });
  scripts.push(socket);
  await new Promise<void>((resolve) => socket.once("connection", () => resolve()));
  return socket;
}

function next<T = Record<string, unknown>>(socket: Socket, event: string, where: (p: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event}`)), TURN_TIMEOUT_MS);
    const listener = (payload: T) => {
      if (!where(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/** A session made and used from the other device; resolves once its turn has ended. */
async function sessionElsewhere(device: Socket, message: string): Promise<string> {
  const createId = crypto.randomUUID();
  device.emit("session:create", { requestId: createId });
  const { id } = await next<{ id: string; requestId: string }>(
    device,
    "session:created",
    (p) => p.requestId === createId,
  );
  await sendElsewhere(device, id, message);
  return id;
}

async function sendElsewhere(device: Socket, sessionId: string, message: string): Promise<void> {
  const requestId = crypto.randomUUID();
  const answered = next<{ requestId: string }>(device, "chat:response", (p) => p.requestId === requestId);
  device.emit("chat:send", { message, sessionId, requestId });
  await answered;
}

async function openList(page: Page) {
  await page.getByRole("button", { name: "Sessions" }).click();
  const sheet = page.getByRole("dialog", { name: "Sessions" });
  await expect(sheet).toBeVisible();
  return sheet;
}

async function look(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, animations: "disabled", caret: "hide" });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

/** The session:updated frames the page received for `sessionId` after `mark`. */
function updates(frames: Frames, sessionId: string, mark: number) {
  return frames.all
    .slice(mark)
    .filter(
      (f) =>
        f.direction === "received" &&
        f.event === "session:updated" &&
        (f.payload.session as { id: string }).id === sessionId,
    )
    .map((f) => f.payload.session as Record<string, unknown>);
}

test("a session waiting for approval is first, under Needs you; a tap opens it", async ({
  page,
  frames,
  stack,
}, testInfo) => {
  const device = await otherDevice(stack.baseURL);
  const quiet = await sessionElsewhere(device, marker("quiet"));
  await newSession(page, frames);

  // Elsewhere, another session's agent asks to run a command.
  const prompt = `make ${marker("inbox")}.txt`;
  await stack.script(
    [
      { kind: "message", blocks: [{ type: "tool_use", name: "Bash", input: { command: "touch inbox.txt" } }] },
      { kind: "message", blocks: [{ type: "text", text: "Made it." }] },
    ],
    prompt,
  );
  const createId = crypto.randomUUID();
  device.emit("session:create", { requestId: createId });
  const { id: waiting } = await next<{ id: string; requestId: string }>(
    device,
    "session:created",
    (p) => p.requestId === createId,
  );
  const mark = frames.mark();
  const turnId = crypto.randomUUID();
  const turnEnded = next(device, "chat:response", (p: { requestId?: string }) => p.requestId === turnId);
  device.emit("chat:send", { message: prompt, sessionId: waiting, requestId: turnId });
  const request = await next<{ permissionId: string }>(device, "permission:request", () => true);
  // The page hears of it through session:updated (it does not watch that session).
  await frames.waitFor(
    "received",
    "session:updated",
    (p) =>
      (p.session as { id: string; pendingPermissions: number }).id === waiting &&
      (p.session as { pendingPermissions: number }).pendingPermissions === 1,
    TURN_TIMEOUT_MS,
    mark,
  );
  expect(updates(frames, waiting, mark).at(-1)).toMatchObject({
    status: "running",
    pendingPermissions: 1,
    activity: "Running `touch inbox.txt`",
    lastMessage: { from: "you", text: prompt },
  });

  const sheet = await openList(page);
  const needsYou = sheet.getByRole("region", { name: "Needs you" });
  // (Other specs sharing this server may have left sessions waiting: only ours is asserted.)
  await expect(needsYou.locator(`[data-session-id="${waiting}"]`)).toBeVisible();
  await expect(sessionRow(needsYou, prompt)).toContainText("Waiting for you");
  await expect(sessionRow(needsYou, prompt)).toContainText(`You: ${prompt}`);
  // The quiet one is below, in Recent, with the agent's last line.
  const recent = sheet.getByRole("region", { name: "Recent" });
  await expect(recent.locator(`[data-session-id="${quiet}"]`)).toContainText("Echo: quiet-");
  await look(page, testInfo, "inbox-needs-you");

  const opened = frames.mark();
  await sessionRow(needsYou, prompt).click();
  const subscribe = await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId === waiting, 30_000, opened);
  await frames.waitFor("received", "session:subscribed", (p) => p.requestId === subscribe.requestId);
  await expect(page.getByRole("region", { name: /touch inbox\.txt|Run a command/ })).toBeVisible();

  // Answered: the list has nobody waiting any more.
  device.emit("permission:respond", {
    sessionId: waiting,
    permissionId: request.permissionId,
    decision: "deny",
    requestId: crypto.randomUUID(),
  });
  await frames.waitFor("received", "permission:resolved", (p) => p.permissionId === request.permissionId);
  await turnEnded;
  const after = await openList(page);
  await expect(after.locator(`[data-session-id="${waiting}"]`)).toBeVisible();
  await expect(after.getByRole("region", { name: "Needs you" }).locator(`[data-session-id="${waiting}"]`)).toHaveCount(
    0,
  );
});

test("unread, pin, archive and search: each a frame, each reflected in the list", async ({
  page,
  frames,
  stack,
}, testInfo) => {
  const device = await otherDevice(stack.baseURL);
  const alpha = marker("alpha");
  const alphaId = await sessionElsewhere(device, alpha);
  const bravo = marker("bravo");
  const bravoId = await sessionElsewhere(device, bravo);

  // Here, a session with a Markdown first message: its title is plain text.
  const hereId = await newSession(page, frames);
  const here = marker("here");
  await turnDone(frames, (await sendMessage(page, frames, `**Fix** the \`${here}\` bug`)).requestId);
  await expect(page.getByRole("button", { name: "Session settings" })).toContainText(`Fix the ${here} bug`);

  // While this page looks here, alpha gets a new reply (its turn finished unseen).
  const zebra = marker("zebra");
  await sendElsewhere(device, alphaId, `and look for ${zebra} too`);

  let sheet = await openList(page);
  const alphaRow = sheet.locator(`[data-session-id="${alphaId}"]`);
  const bravoRow = sheet.locator(`[data-session-id="${bravoId}"]`);
  // Unread here: what finished on the other device since this page first saw it; not what it showed.
  await expect(alphaRow).toContainText("New reply");
  await expect(alphaRow).toContainText(`Echo: and look for ${zebra} too`);
  await expect(bravoRow).toContainText("New reply");
  await expect(sheet.locator(`[data-session-id="${hereId}"]`)).toContainText(`Echo: Fix the ${here} bug`);
  await expect(sheet.locator(`[data-session-id="${hereId}"]`)).not.toContainText("New reply");

  // Pin alpha: session:update { pinned: true } → session:updated, and it moves under Pinned.
  let mark = frames.mark();
  await sheet.getByRole("button", { name: `Actions for ${alpha}` }).click();
  await page.getByRole("menuitem", { name: "Pin" }).click();
  const pin = await frames.waitFor("sent", "session:update", (p) => p.sessionId === alphaId, 30_000, mark);
  expect(pin).toEqual({ sessionId: alphaId, pinned: true, requestId: expect.any(String) });
  const pinned = await frames.waitFor("received", "session:updated", (p) => p.requestId === pin.requestId);
  expect(pinned.session).toMatchObject({ id: alphaId, pinned: true, archived: false });
  await expect(sheet.getByRole("region", { name: "Pinned" }).locator(`[data-session-id="${alphaId}"]`)).toBeVisible();

  // Archive bravo: gone from Recent, behind "Archived (1)".
  mark = frames.mark();
  await sheet.getByRole("button", { name: `Actions for ${bravo}` }).click();
  await page.getByRole("menuitem", { name: "Archive" }).click();
  const archive = await frames.waitFor("sent", "session:update", (p) => p.sessionId === bravoId, 30_000, mark);
  expect(archive).toEqual({ sessionId: bravoId, archived: true, requestId: expect.any(String) });
  await frames.waitFor("received", "session:updated", (p) => p.requestId === archive.requestId);
  await expect(bravoRow).toHaveCount(0);
  await sheet.getByRole("button", { name: "Archived (1)" }).click();
  await expect(sheet.getByRole("region", { name: "Archived" }).locator(`[data-session-id="${bravoId}"]`)).toBeVisible();
  await look(page, testInfo, "inbox-pinned-archived");

  // Search by content: the server is asked, and alpha is found by its second message.
  mark = frames.mark();
  const search = sheet.getByRole("searchbox", { name: "Search sessions" });
  await search.fill(zebra);
  const asked = await frames.waitFor("sent", "session:search", () => true, 30_000, mark);
  expect(asked).toEqual({ query: zebra, requestId: expect.any(String) });
  const found = await frames.waitFor("received", "session:found", (p) => p.requestId === asked.requestId);
  expect((found.results as { sessionId: string }[]).map((r) => r.sessionId)).toEqual([alphaId]);
  const outcome = sheet.getByRole("status").filter({ hasText: /match/ });
  await expect(outcome).toHaveText(`1 session matches “${zebra}”`);
  await expect(alphaRow).toContainText(`and look for ${zebra} too`);
  await expect(sheet.locator("[data-session-id]")).toHaveCount(1);
  await look(page, testInfo, "inbox-search");

  await search.fill("no-such-words-anywhere");
  await expect(outcome).toHaveText("No sessions match “no-such-words-anywhere”.");
  await sheet.getByRole("button", { name: "Clear the search" }).click();
  await expect(sheet.locator(`[data-session-id="${alphaId}"]`)).toBeVisible();

  // Opening alpha reads it: the dot is gone the next time the list opens.
  await sessionRow(sheet.getByRole("region", { name: "Pinned" }), alpha).click();
  await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId === alphaId);
  await expect(
    page.getByRole("log", { name: "Conversation" }).getByText(`Echo: and look for ${zebra} too`),
  ).toBeVisible();
  sheet = await openList(page);
  await expect(sheet.locator(`[data-session-id="${alphaId}"]`)).not.toContainText("New reply");
  // Stored on the server: a reload keeps the pin and the archive.
  await page.keyboard.press("Escape");
  await page.reload();
  sheet = await openList(page);
  await expect(sheet.getByRole("region", { name: "Pinned" }).locator(`[data-session-id="${alphaId}"]`)).toBeVisible();
  await expect(sheet.getByRole("button", { name: "Archived (1)" })).toBeVisible();
});
