import type { Page } from "@playwright/test";
import { expect, pairContext, test } from "./fixtures.ts";
import {
  connectionBanner,
  conversation,
  marker,
  newSession,
  occurrences,
  resubscribed,
  type SavedCopy,
  SESSION_EVENTS,
  savedCopy,
  sendMessage,
  TURN_TIMEOUT_MS,
  turnDone,
} from "./helpers.ts";

// A reload, a second device's turn and a reconnect with backoff, on two shared cores.
test.describe.configure({ timeout: 120_000 });

/** Resolves once the service worker controls the page (its precache of the app is then complete). */
async function serviceWorkerInControl(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (navigator.serviceWorker.controller) return;
    await new Promise((resolve) =>
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }),
    );
  });
}

test.describe("the conversation saved on the device", () => {
  test("reload offline: the saved turns are on screen; back online, the turn missed meanwhile arrives exactly once", async ({
    page,
    context,
    frames,
    freshContext,
    stack,
  }) => {
    const sessionId = await newSession(page, frames);
    const first = marker("saved");
    const one = await sendMessage(page, frames, first);
    const firstReply = (await turnDone(frames, one.requestId)).response as string;
    await expect.poll(async () => (await savedCopy(page, sessionId))?.responses).toEqual([firstReply]);
    await serviceWorkerInControl(page);
    const saved = (await savedCopy(page, sessionId)) as SavedCopy;
    const savedLastSeq = saved.seqs.at(-1) ?? 0;

    // No network at all: the page comes from the service worker, the conversation from the device.
    // The server is stopped too, so that nothing can come from it even if the emulation let a
    // request through. (Chromium's offline emulation leaves navigator.onLine true in the reloaded
    // page: the app learns it is offline from its failed connection, as when only the server is away.)
    await context.setOffline(true);
    await stack.stopServer();
    await page.reload();
    await expect(connectionBanner(page)).toContainText("Offline: showing the saved conversation");
    await expect(conversation(page).getByText(first, { exact: true })).toBeVisible();
    await expect(conversation(page).getByText(firstReply)).toBeVisible();
    const offlineSockets = frames.sockets;
    await stack.startServer();

    // Meanwhile, at the desk (another device), a turn runs in the same session.
    const desk = await freshContext();
    await pairContext(desk, stack.baseURL);
    const deskPage = await desk.newPage();
    // Opened on this session by name: a fresh device otherwise opens the server's most recent one,
    // which after other specs' turns on the same server need not be this one.
    await deskPage.goto(`/?session=${sessionId}`);
    await expect(deskPage.getByRole("heading", { level: 1 })).toHaveText(first);
    const missed = marker("missed");
    await deskPage.getByRole("textbox", { name: "Message" }).fill(missed);
    await deskPage.getByRole("button", { name: "Send" }).click();
    await expect(conversation(deskPage).getByText(`Echo: ${missed}`)).toBeVisible({ timeout: TURN_TIMEOUT_MS });

    // Back online: the app asks only for what came after its saved copy.
    const mark = frames.mark();
    await context.setOffline(false);
    const resubscribe = await resubscribed(frames, sessionId, mark);
    expect(resubscribe.afterSeq).toBe(savedLastSeq);
    await expect(conversation(page).getByText(`Echo: ${missed}`)).toBeVisible();
    await expect(connectionBanner(page)).toBeHidden();

    // Exactly once, on the wire and on screen.
    const replayed = frames.all.filter(
      (f) =>
        f.direction === "received" &&
        f.socket > offlineSockets &&
        SESSION_EVENTS.has(f.event) &&
        f.payload.sessionId === sessionId,
    );
    const replayedSeqs = replayed.map((f) => f.payload.seq as number);
    expect(Math.min(...replayedSeqs)).toBeGreaterThan(savedLastSeq);
    // Each once. (Not checked in arrival order: a connection that opens over long-polling has its
    // polled frames recorded when their response body is read, after later WebSocket frames.)
    expect(new Set(replayedSeqs).size).toBe(replayedSeqs.length);
    expect(replayed.filter((f) => f.event === "chat:queued").map((f) => f.payload.message)).toEqual([missed]);
    expect(await occurrences(page, `Echo: ${missed}`)).toBe(1);
    expect(await occurrences(page, firstReply)).toBe(1);
    await expect(conversation(page).locator("[data-turn]")).toHaveCount(2);

    // The copy on the device now holds the missed turn too.
    await expect
      .poll(async () => (await savedCopy(page, sessionId))?.responses)
      .toEqual([firstReply, `Echo: ${missed}`]);
  });

  test("a rejected token clears what was saved", async ({ page, context, frames }) => {
    const sessionId = await newSession(page, frames);
    const text = marker("forget-me");
    const sent = await sendMessage(page, frames, text);
    await turnDone(frames, sent.requestId);
    await expect.poll(async () => (await savedCopy(page, sessionId))?.responses.length).toBe(1);

    // The pairing is gone (a rotated token looks the same to the device): the server refuses it.
    await context.clearCookies();
    await page.reload();
    await expect(page.getByRole("heading", { name: /Pair this device/i })).toBeVisible();
    await expect.poll(() => savedCopy(page, sessionId)).toBeNull();
    await expect(page.getByText(text)).toHaveCount(0);
  });
});
