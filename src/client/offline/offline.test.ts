/**
 * The real chat machine with a saved copy of recent conversations (decision 023), against the fake
 * socket and server: the saved conversation is on screen before the socket connects, subscribing
 * then asks only for what came after it, and nothing is doubled or missing.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { type Actor, createActor, type SnapshotFrom, waitFor } from "xstate";
import type { SessionEvent } from "../../shared/messages.ts";
import { chatMachine } from "../chat/chatMachine.ts";
import { LAST_SESSION_KEY } from "../chat/reducers.ts";
import { FakeServer, FakeSocket, tick } from "../testing/fakeSocket.ts";
import { MemoryStorage } from "../testing/memoryStorage.ts";
import { type ConversationCache, MemoryConversationCache, type SavedConversation } from "./savedConversations.ts";

type ChatActor = Actor<typeof chatMachine>;
type Snapshot = SnapshotFrom<typeof chatMachine>;

const running: ChatActor[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

function start(options: {
  server: FakeServer;
  cache: ConversationCache;
  storage: MemoryStorage;
  socket?: FakeSocket;
  restoreWaitMs?: number;
}) {
  const socket = options.socket ?? new FakeSocket(options.server);
  const actor = createActor(chatMachine, {
    input: {
      socket,
      storage: options.storage,
      environment: null,
      requestTimeoutMs: 500,
      retryDelayMs: 30,
      savedConversations: options.cache,
      saveDelayMs: 0,
      restoreWaitMs: options.restoreWaitMs ?? 1_000,
    },
  });
  running.push(actor);
  actor.start();
  return {
    actor,
    socket,
    until: (predicate: (snapshot: Snapshot) => boolean, timeout = 1_000) => waitFor(actor, predicate, { timeout }),
  };
}

const isReady = (s: Snapshot) => s.matches({ connected: { session: "ready" } });
const seqs = (events: readonly SessionEvent[]) => events.map((event) => event.payload.seq);

/** A device that used the app: `turns` answered turns in one session, then closed (which writes the copy). */
async function usedDevice(turns: number) {
  const server = new FakeServer({ autoReply: "Done." });
  const session = server.addSession({ title: "Saved one" });
  const storage = new MemoryStorage();
  storage.setItem(LAST_SESSION_KEY, session.id);
  const cache = new MemoryConversationCache();
  const first = start({ server, cache, storage });
  await first.until((s) => isReady(s) && s.context.subscribedSessionId === session.id);
  for (let i = 1; i <= turns; i++) {
    first.actor.send({ type: "SEND", message: `message ${i}` });
    await first.until((s) => s.context.turns.filter((turn) => turn.status === "done").length === i);
  }
  first.actor.stop();
  first.socket.disconnect();
  return { server, session, storage, cache };
}

/** Another device's turn, while this one is away. */
function turnElsewhere(server: FakeServer, sessionId: string, message: string): string {
  const requestId = crypto.randomUUID();
  server.handle({ type: "chat:send", payload: { sessionId, message, requestId } });
  return requestId;
}

describe("opening the app with a saved conversation", () => {
  test("the saved turns are on screen before the socket connects, as the saved copy", async () => {
    const { server, session, storage, cache } = await usedDevice(2);
    server.reachable = false;
    const second = start({ server, cache, storage });
    const shown = await second.until((s) => s.context.turns.length === 2);
    expect(shown.context.showingSaved).toBe(true);
    expect(shown.context.connection.status).not.toBe("connected");
    expect(shown.context.turns.map((turn) => [turn.message, turn.text, turn.status])).toEqual([
      ["message 1", "Done.", "done"],
      ["message 2", "Done.", "done"],
    ]);
    // The saved session list stands in for the server's, which has not come.
    expect(shown.context.sessions.map((s) => s.title)).toEqual(["Saved one"]);
    expect(shown.context.sessionsKnown).toBe(false);
    expect(server.requests("session:subscribe")).toHaveLength(1); // only the first device's
    expect(shown.context.sessionId).toBe(session.id);
  });

  test("back online, it asks only for what came after the saved copy, and the missed turn arrives once", async () => {
    const { server, session, storage, cache } = await usedDevice(2);
    const savedLastSeq = (await cache.load(session.id))?.events.at(-1)?.payload.seq ?? 0;
    server.reachable = false;
    const missed = turnElsewhere(server, session.id, "while you were away");
    const second = start({ server, cache, storage });
    await second.until((s) => s.context.showingSaved && s.context.turns.length === 2);

    server.reachable = true;
    second.socket.reconnect();
    const caughtUp = await second.until(
      (s) => isReady(s) && s.context.subscribedSessionId === session.id && s.context.turns.length === 3,
    );
    const subscribes = server.requests("session:subscribe");
    expect(subscribes.at(-1)?.afterSeq).toBe(savedLastSeq);
    expect(caughtUp.context.showingSaved).toBe(false);
    expect(caughtUp.context.turns.map((turn) => turn.requestId).filter((id) => id === missed)).toHaveLength(1);
    expect(caughtUp.context.turns.at(-1)).toMatchObject({ message: "while you were away", text: "Done." });
    // Nothing doubled: every seq once, and every event the server has after the saved copy is held.
    const held = seqs(caughtUp.context.events);
    expect(new Set(held).size).toBe(held.length);
    const serverAfter = seqs(server.sessions.get(session.id)?.events ?? []).filter((seq) => seq > savedLastSeq);
    expect(held.filter((seq) => seq > savedLastSeq)).toEqual(serverAfter);
  });

  test("the copy is written again once the server confirmed it, and then holds the missed turn", async () => {
    const { server, session, storage, cache } = await usedDevice(1);
    turnElsewhere(server, session.id, "from the desk");
    const second = start({ server, cache, storage });
    await second.until((s) => isReady(s) && s.context.turns.length === 2 && !s.context.showingSaved);
    second.actor.stop();
    const queued = async () =>
      (await cache.load(session.id))?.events.flatMap((event) =>
        event.type === "chat:queued" ? [event.payload.message] : [],
      );
    await waitForCache(async () => (await queued())?.length === 2);
    expect(await queued()).toEqual(["message 1", "from the desk"]);
  });

  test("a copy that comes too late is not mixed in: the server's tail is shown as it is", async () => {
    const { server, session, storage, cache } = await usedDevice(1);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: ConversationCache = {
      ...bind(cache),
      load: async (id) => {
        await gate;
        return cache.load(id);
      },
    };
    const second = start({ server, cache: slow, storage, restoreWaitMs: 10 });
    const subscribed = await second.until((s) => isReady(s) && s.context.subscribedSessionId === session.id);
    expect(server.requests("session:subscribe").at(-1)?.afterSeq).toBeUndefined();
    const before = subscribed.context.events;
    release();
    await tick(5);
    expect(second.actor.getSnapshot().context.events).toBe(before);
    expect(second.actor.getSnapshot().context.showingSaved).toBe(false);
  });

  test("a saved copy this app cannot read is ignored, and the conversation loads from the server", async () => {
    const { server, session, storage, cache } = await usedDevice(1);
    cache.conversations.set(session.id, {
      format: 1,
      sessionId: session.id,
      savedAt: 1,
      hasEarlier: false,
      events: [{ type: "chat:queued", payload: { seq: "one" } }],
    });
    const second = start({ server, cache, storage });
    const ready = await second.until((s) => isReady(s) && s.context.subscribedSessionId === session.id);
    expect(ready.context.turns.map((turn) => turn.message)).toEqual(["message 1"]);
    expect(server.requests("session:subscribe").at(-1)?.afterSeq).toBeUndefined();
  });

  test("switching sessions shows the other one's saved copy first", async () => {
    const { server, session, storage, cache } = await usedDevice(1);
    const other = server.addSession({ title: "Other" });
    const second = start({ server, cache, storage });
    await second.until((s) => isReady(s) && s.context.subscribedSessionId === session.id);
    second.actor.send({ type: "SWITCH_SESSION", sessionId: other.id });
    await second.until((s) => isReady(s) && s.context.subscribedSessionId === other.id);
    second.actor.send({ type: "SEND", message: "in the other one" });
    await second.until((s) => s.context.turns.some((turn) => turn.status === "done"));

    second.actor.send({ type: "SWITCH_SESSION", sessionId: session.id });
    await second.until((s) => isReady(s) && s.context.subscribedSessionId === session.id);
    const subscribe = server.requests("session:subscribe").at(-1);
    expect(subscribe?.sessionId).toBe(session.id);
    expect(subscribe?.afterSeq).toBeGreaterThan(0);
    expect(second.actor.getSnapshot().context.turns.map((turn) => turn.message)).toEqual(["message 1"]);
  });
});

describe("what is kept", () => {
  test("a refused token clears everything saved", async () => {
    const { server, session, storage, cache } = await usedDevice(1);
    expect(await cache.load(session.id)).not.toBeNull();
    server.refuse = "UNAUTHORIZED";
    const second = start({ server, cache, storage });
    await second.until((s) => s.context.connection.errorCode === "UNAUTHORIZED");
    await waitForCache(async () => (await cache.load(session.id)) === null && (await cache.loadSessions()) === null);
  });

  test("a session deleted elsewhere is forgotten on the device", async () => {
    const { server, session, storage, cache } = await usedDevice(1);
    server.sessions.delete(session.id);
    server.addSession({ title: "Still here" });
    const second = start({ server, cache, storage });
    await second.until((s) => s.context.sessionsKnown && s.context.sessions.length === 1);
    await waitForCache(async () => (await cache.load(session.id)) === null);
  });

  test("a running turn is not saved until it has finished: the server replays it whole", async () => {
    const { server, session, storage, cache } = await usedDevice(1);
    server.autoReply = null;
    const device = start({ server, cache, storage });
    await device.until((s) => isReady(s) && s.context.subscribedSessionId === session.id);
    device.actor.send({ type: "SEND", message: "long job" });
    await device.until((s) => s.context.turns[1]?.status === "running");
    server.delta(session.id, "Half");
    server.delta(session.id, "way");
    await device.until((s) => s.context.turns[1]?.text === "Halfway");
    const savedMessages = async () =>
      (await cache.load(session.id))?.events.flatMap((event) =>
        event.type === "chat:queued" ? [event.payload.message] : [],
      );
    // Written (the session list changed with the turn), without the running turn.
    await waitForCache(async () => (await cache.loadSessions())?.[0]?.status === "running");
    expect(await savedMessages()).toEqual(["message 1"]);
    server.finish(session.id, "Halfway there.");
    await device.until((s) => s.context.turns[1]?.status === "done");
    await waitForCache(async () => (await savedMessages())?.length === 2);
    const saved = (await cache.load(session.id)) as SavedConversation;
    expect(saved.events.at(-1)).toMatchObject({ type: "chat:response", payload: { response: "Halfway there." } });
    expect(seqs(saved.events).at(-1)).toBe(device.actor.getSnapshot().context.lastSeq);
  });
});

function bind(cache: MemoryConversationCache): ConversationCache {
  return {
    load: (id) => cache.load(id),
    loadSessions: () => cache.loadSessions(),
    save: (conversation) => cache.save(conversation),
    saveSessions: (sessions) => cache.saveSessions(sessions),
    retain: (ids) => cache.retain(ids),
    clear: () => cache.clear(),
  };
}

async function waitForCache(check: () => Promise<boolean>, timeout = 1_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("the saved copy did not change in time");
    await tick(2);
  }
}
