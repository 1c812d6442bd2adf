import { expect, type Frame, type Frames, test } from "./fixtures.ts";
import {
  connectionBanner,
  conversation,
  expectStrictlyIncreasing,
  marker,
  newSession,
  occurrences,
  resubscribed,
  SESSION_EVENTS,
  savedCopy,
  sendMessage,
  TURN_TIMEOUT_MS,
  turnDone,
  UUID_V4,
} from "./helpers.ts";

// Restarts and reconnects take a few seconds each on two shared cores.
test.describe.configure({ timeout: 120_000 });

/** The numbered events of `sessionId` received so far, optionally only those `where` accepts. */
function sessionEvents(frames: Frames, sessionId: string, where: (f: Frame) => boolean = () => true): Frame[] {
  return frames.all.filter(
    (f) => f.direction === "received" && SESSION_EVENTS.has(f.event) && f.payload.sessionId === sessionId && where(f),
  );
}

function highestSeq(events: readonly Frame[]): number {
  return Math.max(0, ...events.map((f) => f.payload.seq as number));
}

interface PageSeqs {
  __seqs: { max: Record<string, number>; atOffline: Record<string, number> | null };
}

/**
 * Runs in the page before its scripts: records, per session, the highest `seq` that reached the page's
 * JavaScript over any WebSocket, and those values when the browser went offline (this listener runs
 * before Socket.IO's, which closes the socket: no message is delivered after that).
 */
function watchSeqsInPage(): void {
  const state: PageSeqs["__seqs"] = { max: {}, atOffline: null };
  (window as unknown as PageSeqs).__seqs = state;
  const Native = window.WebSocket;
  class Watched extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (event: MessageEvent) => {
        if (typeof event.data !== "string" || !event.data.startsWith("42[")) return;
        try {
          const payload = (JSON.parse(event.data.slice(2)) as unknown[])[1] as
            | { seq?: unknown; sessionId?: unknown }
            | undefined;
          if (typeof payload?.seq !== "number" || typeof payload.sessionId !== "string") return;
          state.max[payload.sessionId] = Math.max(state.max[payload.sessionId] ?? 0, payload.seq);
        } catch {
          // not JSON: not ours
        }
      });
    }
  }
  window.WebSocket = Watched;
  window.addEventListener("offline", () => {
    if (state.atOffline === null) state.atOffline = { ...state.max };
  });
}

/**
 * `test` whose pages run `watchSeqsInPage` from their first script on. What the page itself received,
 * seen from inside it: a frame that reaches the network layer while the closing socket shuts down is
 * reported by the devtools protocol (the `frames` fixture) but never delivered to the app.
 */
const watchingSeqs = test.extend({
  context: async ({ context }, use) => {
    await context.addInitScript(watchSeqsInPage);
    await use(context);
  },
});

/** A reply long and slow enough (≈4 s at 4 characters every 40 ms) to still be streaming during a reload. */
function slowReply(tag: string): string {
  const words = Array.from({ length: 90 }, (_, i) => `w${i}`).join(" ");
  return `Begin ${tag}. ${words} End ${tag}.`;
}

test.describe("durability", () => {
  test("the server goes away and comes back: the app says so, reconnects by itself and the next message works", async ({
    page,
    frames,
    stack,
  }) => {
    const sessionId = await newSession(page, frames);
    const before = marker("before-restart");
    const first = await sendMessage(page, frames, before);
    await turnDone(frames, first.requestId);
    await expect(conversation(page).getByText(`Echo: ${before}`)).toBeVisible();
    const lastSeqBefore = highestSeq(sessionEvents(frames, sessionId));

    await stack.stopServer();
    await expect(connectionBanner(page)).toBeVisible();
    await expect(connectionBanner(page)).toContainText(/Reconnecting|Can't reach the server/);
    await expect(page.getByRole("banner")).not.toContainText("Connected.");
    // Stop needs the server: there is nothing to stop here, and nothing is offered.
    await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0);

    const mark = frames.mark();
    await stack.startServer();
    // No user action: Socket.IO's backoff (≤ 5 s) brings it back.
    await expect(connectionBanner(page)).toBeHidden({ timeout: 30_000 });
    await frames.waitFor("received", "connection", () => true, 30_000, mark);
    const resubscribe = await frames.waitFor(
      "sent",
      "session:subscribe",
      (p) => p.sessionId === sessionId,
      30_000,
      mark,
    );
    expect(resubscribe.afterSeq).toBe(lastSeqBefore);
    const subscribed = await frames.waitFor(
      "received",
      "session:subscribed",
      (p) => p.requestId === resubscribe.requestId,
    );
    expect(subscribed.lastSeq).toBe(lastSeqBefore);
    // The history is still on screen, once.
    expect(await occurrences(page, `Echo: ${before}`)).toBe(1);

    const after = marker("after-restart");
    const next = await sendMessage(page, frames, after);
    expect(next.requestId).toMatch(UUID_V4);
    expect(next.sessionId).toBe(sessionId);
    const response = await turnDone(frames, next.requestId);
    expect(response.response).toBe(`Echo: ${after}`);
    await expect(conversation(page).getByText(`Echo: ${after}`)).toBeVisible();
    const turn = frames.turn(next.requestId).filter((f) => SESSION_EVENTS.has(f.event));
    expect(turn[0]?.event).toBe("chat:queued");
    expect(turn[0]?.payload.seq).toBe(lastSeqBefore + 1);
    expectStrictlyIncreasing(turn.map((f) => f.payload.seq as number));
    expect(frames.received("chat:error")).toHaveLength(0);
  });

  watchingSeqs(
    "the browser goes offline mid-stream: after reconnecting the reply is complete, once, resumed from the last seq",
    async ({ page, context, frames, stack }) => {
      const sessionId = await newSession(page, frames);
      const prompt = marker("offline");
      // 10 pieces, 1.2 s apart: long enough to cut the connection in the middle of it and come back
      // before it ends, even on a loaded machine (a turn that ended meanwhile has its deltas
      // compacted away, decision 022, and the replay would rightly have gaps).
      const reply = `Begin ${prompt}. ${Array.from({ length: 24 }, (_, i) => `w${i}`).join(" ")} End ${prompt}.`;
      const chunkChars = Math.ceil([...reply].length / 10);
      await stack.script(
        [{ kind: "message", blocks: [{ type: "text", text: reply, chunkChars, delayMs: 1_200 }] }],
        prompt,
      );

      const sent = await sendMessage(page, frames, prompt);
      const requestId = sent.requestId;
      const deltas = () => frames.turn(requestId).filter((f) => f.event === "chat:delta");
      await frames.waitFor("received", "chat:delta", () => deltas().length >= 3, TURN_TIMEOUT_MS);
      await context.setOffline(true);
      const offlineSocket = frames.sockets;
      const offlineMark = frames.mark();
      await expect(connectionBanner(page)).toContainText("You're offline");
      await expect(page.getByRole("banner")).toContainText("You're offline");
      // The turn still runs on the server, but Stop cannot reach it from here.
      await expect(page.getByRole("button", { name: "Stop" })).toBeDisabled();
      const atOffline = await page.evaluate(() => (window as unknown as PageSeqs).__seqs.atOffline);
      expect(atOffline, "the page saw the offline event").not.toBeNull();
      const lastSeqBeforeOffline = atOffline?.[sessionId] ?? 0;
      expect(lastSeqBeforeOffline).toBeGreaterThanOrEqual(5); // queued, started, logs, 3 deltas at least
      // What had arrived is still on screen, and the reply is not complete yet.
      const onScreen = conversation(page).locator(`[data-turn="${requestId}"] .md`);
      await expect(onScreen).toContainText(`Begin ${prompt}.`);
      expect(await onScreen.textContent()).not.toContain(`End ${prompt}.`);

      // Back online: the app reconnects by itself and asks for what it missed.
      await context.setOffline(false);
      const resubscribe = await resubscribed(frames, sessionId, offlineMark);
      expect(resubscribe.afterSeq).toBe(lastSeqBeforeOffline);
      const response = await turnDone(frames, requestId);
      expect(response.response).toBe(reply);
      await expect(connectionBanner(page)).toBeHidden();

      // On screen: the whole reply, exactly once.
      const turn = conversation(page).locator(`[data-turn="${requestId}"]`);
      await expect(turn.locator(".md")).toHaveText(reply);
      expect(await occurrences(page, `Begin ${prompt}.`)).toBe(1);
      expect(await occurrences(page, `End ${prompt}.`)).toBe(1);
      await expect(conversation(page).locator("[data-turn]")).toHaveCount(1);

      // On the wire: the old socket delivered 1…lastSeqBeforeOffline (and maybe a frame or two the app never got,
      // in flight while it closed); the new one replays from lastSeqBeforeOffline + 1: no gap, nothing twice.
      const before = sessionEvents(frames, sessionId, (f) => f.socket <= offlineSocket).map((f) => f.payload.seq);
      const after = sessionEvents(frames, sessionId, (f) => f.socket > offlineSocket).map((f) => f.payload.seq);
      expect(before.slice(0, lastSeqBeforeOffline)).toEqual(
        Array.from({ length: lastSeqBeforeOffline }, (_, i) => i + 1),
      );
      expect(after[0]).toBe(lastSeqBeforeOffline + 1);
      const delivered = [...before.filter((seq) => (seq as number) <= lastSeqBeforeOffline), ...after];
      expect(delivered).toEqual(Array.from({ length: delivered.length }, (_, i) => i + 1));
      expect(delivered.at(-1)).toBe(response.seq);
      expect(frames.received("chat:error")).toHaveLength(0);
    },
  );

  test("a reload shows the saved copy, then what the server has after it, a turn that was streaming included", async ({
    page,
    frames,
    stack,
  }) => {
    const sessionId = await newSession(page, frames);
    const first = marker("history-one");
    const one = await sendMessage(page, frames, first);
    const oneDone = await turnDone(frames, one.requestId);
    // The device has saved the first turn (decision 023): the reload starts from it.
    await expect.poll(async () => (await savedCopy(page, sessionId))?.responses).toEqual([`Echo: ${first}`]);

    const second = marker("history-two");
    const reply = slowReply(second);
    await stack.script(
      [{ kind: "message", blocks: [{ type: "text", text: reply, chunkChars: 4, delayMs: 25 }] }],
      second,
    );
    const two = await sendMessage(page, frames, second);
    await frames.waitFor("received", "chat:delta", (p) => p.requestId === two.requestId, TURN_TIMEOUT_MS);

    const mark = frames.mark();
    const oldSocket = frames.sockets;
    await page.reload();
    // The page holds the saved copy: it subscribes to the same session after it, and gets the rest.
    const subscribe = await frames.waitFor("sent", "session:subscribe", () => true, 30_000, mark);
    expect(subscribe.sessionId).toBe(sessionId);
    const afterSeq = subscribe.afterSeq as number;
    expect(afterSeq).toBeGreaterThanOrEqual(oneDone.seq as number);
    const subscribed = await frames.waitFor(
      "received",
      "session:subscribed",
      (p) => p.requestId === subscribe.requestId,
    );
    expect(subscribed.fromSeq).toBeGreaterThan(afterSeq);
    // (The old page's socket may still have received live events after `mark`: look at the new socket only.)
    const replayed = sessionEvents(frames, sessionId, (f) => f.socket > oldSocket);
    expect(replayed[0]?.payload.seq).toBeGreaterThan(afterSeq);
    expect(replayed.some((f) => f.payload.requestId === one.requestId)).toBe(false);

    await expect(conversation(page).getByText(first, { exact: true })).toBeVisible();
    await expect(conversation(page).getByText(`Echo: ${first}`)).toBeVisible();
    await expect(conversation(page).getByText(second, { exact: true })).toBeVisible();
    await turnDone(frames, two.requestId);
    const turn = conversation(page).locator(`[data-turn="${two.requestId}"]`);
    await expect(turn.locator(".md")).toHaveText(reply);
    expect(await occurrences(page, `Begin ${second}.`)).toBe(1);
    expect(await occurrences(page, `Echo: ${first}`)).toBe(1);
    await expect(conversation(page).locator("[data-turn]")).toHaveCount(2);
    const seqsAfterReload = sessionEvents(frames, sessionId, (f) => f.socket > oldSocket).map(
      (f) => f.payload.seq as number,
    );
    expect(new Set(seqsAfterReload).size).toBe(seqsAfterReload.length);
    expectStrictlyIncreasing(seqsAfterReload);
  });

  test("a reload with nothing saved on the device gets the history from the server", async ({ page, frames }) => {
    const sessionId = await newSession(page, frames);
    const text = marker("unsaved");
    const sent = await sendMessage(page, frames, text);
    await turnDone(frames, sent.requestId);
    await expect.poll(async () => (await savedCopy(page, sessionId))?.responses.length).toBe(1);
    // As on a device whose storage was cleared (or a browser without IndexedDB).
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase("pocket-agent");
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
          request.onblocked = () => resolve();
        }),
    );
    const mark = frames.mark();
    const oldSocket = frames.sockets;
    await page.reload();
    const subscribe = await frames.waitFor("sent", "session:subscribe", () => true, 30_000, mark);
    expect(subscribe.sessionId).toBe(sessionId);
    expect(subscribe.afterSeq).toBeUndefined();
    const subscribed = await frames.waitFor(
      "received",
      "session:subscribed",
      (p) => p.requestId === subscribe.requestId,
    );
    expect(subscribed.fromSeq).toBe(1);
    const replayed = sessionEvents(frames, sessionId, (f) => f.socket > oldSocket);
    expect(replayed[0]?.payload.seq).toBe(1);
    await expect(conversation(page).getByText(`Echo: ${text}`)).toBeVisible();
    expect(await occurrences(page, `Echo: ${text}`)).toBe(1);
  });

  test("a WebSocket that cannot open: the app connects over long-polling, moves to a WebSocket and chats on it", async ({
    context,
    frames,
  }) => {
    // The page's first Socket.IO WebSocket is sent to a closed port, as a proxy or a network blip
    // that refuses it would; later ones reach the server.
    await context.addInitScript(() => {
      const Native = window.WebSocket;
      let refused = false;
      class RefusingFirst extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          const target = new URL(url);
          if (!refused && target.pathname.startsWith("/socket.io/")) {
            refused = true;
            target.port = "1";
          }
          super(target, protocols);
        }
      }
      window.WebSocket = RefusingFirst;
      // Falling back is not a failed attempt: the page must never say the server is unreachable.
      const flags = window as unknown as { sawUnreachable?: boolean };
      new MutationObserver(() => {
        if (document.body?.textContent?.includes("Can't reach")) flags.sawUnreachable = true;
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const page = await context.newPage();
    await page.goto("/");
    const greeting = await frames.waitFor("received", "connection");
    const connection = frames.all.find((f) => f.payload === greeting);
    expect(connection?.transport).toBe("polling");

    const sessionId = await newSession(page, frames);
    const text = marker("after-fallback");
    const sent = await sendMessage(page, frames, text);
    const response = await turnDone(frames, sent.requestId);
    expect(response.response).toBe(`Echo: ${text}`);
    await expect(conversation(page).getByText(`Echo: ${text}`)).toBeVisible();
    // The same connection, upgraded: the message and its turn went over a WebSocket.
    const chatSend = frames.all.find((f) => f.direction === "sent" && f.payload === sent);
    expect(chatSend?.transport).toBe("websocket");
    expect(chatSend?.socket).toBe(connection?.socket);
    const turn = frames.turn(sent.requestId).filter((f) => SESSION_EVENTS.has(f.event));
    expect(turn.length).toBeGreaterThan(0);
    for (const frame of turn) expect(frame.transport, frame.event).toBe("websocket");
    expect(turn.every((f) => f.payload.sessionId === sessionId)).toBe(true);
    expect(
      await page.evaluate(() => (window as unknown as { sawUnreachable?: boolean }).sawUnreachable),
    ).toBeUndefined();
  });
});
