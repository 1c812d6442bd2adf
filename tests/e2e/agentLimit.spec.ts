import { test as base, expect } from "./fixtures.ts";
import { conversation, marker, newSession, sendMessage, TURN_TIMEOUT_MS, turnDone } from "./helpers.ts";

/**
 * One agent process at most (POCKET_MAX_AGENTS=1), a phone with two sessions: a turn sent while the
 * other session's agent works waits, says so, and starts when that one is done. Switching away
 * leaves the first session (session:unsubscribe) and still hears how its turn ended.
 */
const test = base.extend({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
  serverEnv: [async ({}, use) => use({ POCKET_MAX_AGENTS: "1" }), { scope: "worker" }],
});
test.use({ isolatedStack: true });

test("a turn waits for a free agent, visibly, and runs when the other session's turn ends", async ({
  page,
  frames,
  stack,
}) => {
  const first = await newSession(page, frames);
  const slowPrompt = marker("slow");
  const reply = "working through the list, ".repeat(12).trim();
  await stack.script(
    [{ kind: "message", blocks: [{ type: "text", text: reply, chunkChars: 6, delayMs: 80 }] }],
    slowPrompt,
  );
  const slow = await sendMessage(page, frames, slowPrompt);
  await frames.waitFor("received", "chat:delta", (p) => p.requestId === slow.requestId, TURN_TIMEOUT_MS);

  // A second session while the first one's agent works: the app leaves the first.
  const mark = frames.mark();
  const second = await newSession(page, frames);
  await frames.waitFor("sent", "session:unsubscribe", (p) => p.sessionId === first, 5_000, mark);
  const waitingPrompt = marker("waiting");
  const waiting = await sendMessage(page, frames, waitingPrompt);
  const queued = await frames.waitFor("received", "chat:queued", (p) => p.requestId === waiting.requestId);
  expect(queued).toMatchObject({ sessionId: second, waitingFor: "agent" });
  const turn = conversation(page).locator(`[data-turn="${waiting.requestId}"]`);
  await expect(turn.getByText("Waiting for a free agent")).toBeVisible();

  // The first turn ends: its sender hears it, without its stream, and the waiting one starts.
  const slowDone = await turnDone(frames, slow.requestId);
  expect(slowDone.sessionId).toBe(first);
  const left = frames.all.findIndex(
    (f) => f.direction === "received" && f.event === "session:unsubscribed" && f.payload.sessionId === first,
  );
  expect(left).toBeGreaterThan(-1);
  const firstAfterLeaving = frames.all
    .slice(left)
    .filter((f) => f.direction === "received" && f.payload.requestId === slow.requestId)
    .map((f) => f.event);
  expect(firstAfterLeaving).toEqual(["chat:response"]);
  await turnDone(frames, waiting.requestId);
  await expect(turn.getByText(`Echo: ${waitingPrompt}`)).toBeVisible();
  const started = await frames.waitFor("received", "chat:started", (p) => p.requestId === waiting.requestId);
  expect(started.seq as number).toBeGreaterThan(queued.seq as number);
});
