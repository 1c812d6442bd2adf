import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { type Actor, createActor, type SnapshotFrom, waitFor } from "xstate";
import { describeConnection } from "../connection/status.ts";
import { readRecentProjects, rememberProject } from "../projects/recent.ts";
import { FakeServer, FakeSocket, tick } from "../testing/fakeSocket.ts";
import { MemoryStorage } from "../testing/memoryStorage.ts";
import { chatMachine } from "./chatMachine.ts";
import { LAST_SESSION_KEY } from "./reducers.ts";
import type { BrowserEnvironment } from "./types.ts";

class FakeDocument extends EventTarget {
  visibilityState = "visible";
}

type ChatActor = Actor<typeof chatMachine>;
type Snapshot = SnapshotFrom<typeof chatMachine>;

const running: ChatActor[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

interface Harness {
  actor: ChatActor;
  socket: FakeSocket;
  server: FakeServer;
  storage: MemoryStorage;
  env: BrowserEnvironment & { window: EventTarget; document: FakeDocument };
  until: (predicate: (snapshot: Snapshot) => boolean, timeout?: number) => Promise<Snapshot>;
}

function start(
  options: { server?: FakeServer; socket?: FakeSocket; storage?: MemoryStorage; timeoutMs?: number } = {},
): Harness {
  const server = options.server ?? new FakeServer();
  const socket = options.socket ?? new FakeSocket(server);
  const storage = options.storage ?? new MemoryStorage();
  const env = { window: new EventTarget(), document: new FakeDocument(), online: true };
  const actor = createActor(chatMachine, {
    input: { socket, storage, environment: env, requestTimeoutMs: options.timeoutMs ?? 500, retryDelayMs: 30 },
  });
  running.push(actor);
  actor.start();
  return {
    actor,
    socket,
    server,
    storage,
    env,
    until: (predicate, timeout = 1_000) => waitFor(actor, predicate, { timeout }),
  };
}

/** Waits for a condition outside the machine (what the fake server received). */
async function eventually(predicate: () => boolean, timeout = 1_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await tick(1);
  }
}

const isReady = (s: Snapshot) => s.matches({ connected: { session: "ready" } });
const subscribedTo = (id: string) => (s: Snapshot) => isReady(s) && s.context.subscribedSessionId === id;
const outboxIdle = (s: Snapshot) => s.matches({ connected: { outbox: "idle" } });

describe("connecting", () => {
  test("connects, takes the sessions from the greeting and opens the most recent one", async () => {
    const server = new FakeServer();
    const older = server.addSession({ title: "older" });
    const newer = server.addSession({ title: "newer" });
    const h = start({ server });
    expect(h.actor.getSnapshot().context.connection.status).toBe("connecting");

    const snap = await h.until(subscribedTo(newer.id));
    expect(snap.context.connection.status).toBe("connected");
    expect(snap.context.connection.serverVersion).toBe("0.0.0-test");
    expect(snap.context.sessions.map((s) => s.id).sort()).toEqual([older.id, newer.id].sort());
    expect(h.storage.getItem(LAST_SESSION_KEY)).toBe(newer.id);
    // The greeting was not missed, so no extra session:list.
    expect(server.requests("session:list")).toHaveLength(0);
  });

  test("reopens the last session from storage", async () => {
    const server = new FakeServer();
    const first = server.addSession({ title: "first" });
    server.addSession({ title: "second (more recent)" });
    const storage = new MemoryStorage();
    storage.setItem(LAST_SESSION_KEY, first.id);
    const h = start({ server, storage });
    await h.until(subscribedTo(first.id));
    expect(server.requests("session:subscribe")[0]).toMatchObject({ sessionId: first.id });
    expect(server.requests("session:subscribe")[0]?.afterSeq).toBeUndefined();
  });

  test("opens the session of a tapped notification (?session=) rather than the last one used", async () => {
    const server = new FakeServer();
    const tapped = server.addSession({ title: "tapped" });
    const last = server.addSession({ title: "last used" });
    const storage = new MemoryStorage();
    storage.setItem(LAST_SESSION_KEY, last.id);
    const socket = new FakeSocket(server);
    const env = { window: new EventTarget(), document: new FakeDocument(), online: true };
    const actor = createActor(chatMachine, {
      input: { socket, storage, environment: env, requestTimeoutMs: 500, initialSessionId: tapped.id },
    });
    running.push(actor);
    actor.start();
    await waitFor(actor, subscribedTo(tapped.id), { timeout: 1_000 });
    expect(storage.getItem(LAST_SESSION_KEY)).toBe(tapped.id);
  });

  test("a socket already connected when the listeners attach: connected at once and the sessions are fetched", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const socket = new FakeSocket(server);
    socket.openNow();
    const h = start({ server, socket });
    expect(h.actor.getSnapshot().context.connection.status).toBe("connected");
    await h.until(subscribedTo(session.id));
    expect(server.requests("session:list")).toHaveLength(1);
    expect(socket.connectCalls).toBe(0);
  });

  test("an unknown stored session is dropped and the latest one is opened instead", async () => {
    const server = new FakeServer();
    const real = server.addSession();
    const storage = new MemoryStorage();
    storage.setItem(LAST_SESSION_KEY, crypto.randomUUID());
    const h = start({ server, storage });
    const snap = await h.until(subscribedTo(real.id));
    expect(snap.context.notice?.code).toBe("SESSION_NOT_FOUND");
    expect(h.storage.getItem(LAST_SESSION_KEY)).toBe(real.id);
  });

  test("no sessions: ready with nothing selected, once the (empty) list has come", async () => {
    const h = start();
    expect(h.actor.getSnapshot().context.sessionsKnown).toBe(false);
    const snap = await h.until((s) => isReady(s) && s.context.sessionsKnown);
    expect(snap.context.sessionId).toBeNull();
    expect(snap.context.turns).toEqual([]);
  });

  test("with sessions, no snapshot ever says there are none (the first-run screen must not flash)", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    const claimsNone: Snapshot[] = [];
    h.actor.subscribe((s) => {
      if (s.context.sessionsKnown && s.context.sessions.length === 0) claimsNone.push(s);
    });
    await h.until(subscribedTo(session.id));
    expect(claimsNone).toEqual([]);
  });
});

describe("request correlation", () => {
  test("a reply carrying another requestId is ignored; the matching one settles the request", async () => {
    const h = start();
    await h.until(isReady);
    h.server.muted.add("session:list");
    h.actor.send({ type: "REFRESH_SESSIONS" });
    await eventually(() => h.server.requests("session:list").length === 1);

    const stray = h.server.addSession({ title: "stray" });
    h.server.emit("session:list", { sessions: [stray], requestId: crypto.randomUUID() });
    await tick(5);
    expect(h.actor.getSnapshot().matches({ connected: { sessionList: "loading" } })).toBe(true);

    const request = h.server.requests("session:list")[0];
    if (!request) throw new Error("no request");
    const real = h.server.addSession({ title: "real" });
    h.server.emit("session:list", { sessions: [stray, real], requestId: request.requestId });
    const snap = await h.until((s) => s.matches({ connected: { sessionList: "idle" } }));
    expect(snap.context.sessions.map((s) => s.title)).toContain("real");
  });

  test("an error for another request does not fail ours", async () => {
    const server = new FakeServer();
    server.muted.add("session:create");
    const h = start({ server });
    await h.until(isReady);
    h.actor.send({ type: "NEW_SESSION", model: "haiku" });
    await eventually(() => server.requests("session:create").length === 1);
    server.emit("session:error", { code: "INTERNAL_ERROR", message: "not yours", requestId: crypto.randomUUID() });
    await tick(5);
    expect(h.actor.getSnapshot().matches({ connected: { session: "creating" } })).toBe(true);

    const request = server.requests("session:create")[0];
    if (!request) throw new Error("no request");
    const session = server.addSession({ model: "haiku" });
    server.emit("session:created", { ...session, requestId: request.requestId });
    const snap = await h.until(subscribedTo(session.id));
    expect(snap.context.notice).toBeNull();
    expect(request.model).toBe("haiku");
  });

  test("a request that gets no answer ends with a clear TIMEOUT error", async () => {
    const server = new FakeServer();
    server.muted.add("session:create");
    const h = start({ server, timeoutMs: 60 });
    await h.until(isReady);
    const started = Date.now();
    h.actor.send({ type: "NEW_SESSION" });
    const snap = await h.until((s) => s.context.notice !== null);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(snap.context.notice?.code).toBe("TIMEOUT");
    expect(snap.context.notice?.message).toContain("did not answer in time");
    expect(snap.matches({ connected: { session: "ready" } })).toBe(true);
    // No listener is left behind by the timed-out request.
    expect(h.socket.listenerCount("session:created")).toBe(1);
  });

  test("a server error reply becomes a notice with its code", async () => {
    const server = new FakeServer();
    const h = start({ server });
    await h.until(isReady);
    h.actor.send({ type: "NEW_SESSION", model: "not a model!" });
    const snap = await h.until((s) => s.context.notice !== null);
    expect(snap.context.notice?.code).toBe("INVALID_PAYLOAD");
  });
});

describe("sending", () => {
  async function readySession(h: Harness, sessionId: string) {
    await h.until(subscribedTo(sessionId));
  }

  test("a message goes out with its own requestId; the turn streams, logs and completes", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await readySession(h, session.id);

    h.actor.send({ type: "SEND", message: "  list the files  " });
    let snap = h.actor.getSnapshot();
    expect(snap.context.turns).toHaveLength(1);
    expect(snap.context.turns[0]?.status).toBe("sending");
    expect(snap.context.turns[0]?.message).toBe("list the files");

    snap = await h.until((s) => s.context.turns[0]?.status === "running" && outboxIdle(s));
    const sent = server.requests("chat:send")[0];
    expect(sent).toMatchObject({ message: "list the files", sessionId: session.id });
    expect(sent?.requestId).toBe(snap.context.turns[0]?.requestId ?? "");
    expect(snap.context.outbox).toEqual([]);

    server.log(session.id, {
      type: "assistant",
      message: { content: [{ type: "tool_use", name: "Bash", input: { command: "ls" } }] },
    });
    server.delta(session.id, "Here ");
    server.delta(session.id, "they are.");
    snap = await h.until((s) => s.context.turns[0]?.text === "Here they are.");
    expect(snap.context.turns[0]?.logs).toHaveLength(1);

    server.finish(session.id, "Here they are: a, b.");
    snap = await h.until((s) => s.context.turns[0]?.status === "done");
    expect(snap.context.turns[0]?.text).toBe("Here they are: a, b.");
    expect(snap.context.turns[0]?.durationMs).toBe(1234);
    expect(snap.context.lastSeq).toBe(server.sessions.get(session.id)?.session.lastSeq ?? -1);
  });

  test("rapid repeated sends: each has a distinct requestId, all are delivered in order, none twice", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await readySession(h, session.id);

    for (const text of ["one", "two", "three"]) h.actor.send({ type: "SEND", message: text });
    const snap = await h.until((s) => s.context.outbox.length === 0 && s.context.turns.length === 3 && outboxIdle(s));
    const sends = server.requests("chat:send");
    expect(sends.map((s) => s.message)).toEqual(["one", "two", "three"]);
    expect(new Set(sends.map((s) => s.requestId)).size).toBe(3);
    expect(snap.context.turns.map((t) => t.status)).toEqual(["running", "queued", "queued"]);
  });

  test("a rejected send shows the error next to its message; retry reuses the requestId", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await readySession(h, session.id);
    server.muted.add("chat:send");
    h.actor.send({ type: "SEND", message: "hello" });
    await eventually(() => server.requests("chat:send").length === 1);
    const request = server.requests("chat:send")[0];
    if (!request) throw new Error("no request");
    server.emit("chat:error", {
      code: "RATE_LIMITED",
      message: "slow down",
      requestId: request.requestId,
      sessionId: session.id,
    });
    let snap = await h.until((s) => s.context.turns[0]?.status === "error");
    expect(snap.context.turns[0]).toMatchObject({ message: "hello", local: true, error: { code: "RATE_LIMITED" } });

    server.muted.delete("chat:send");
    server.received.length = 0;
    h.actor.send({ type: "RETRY", requestId: request.requestId });
    snap = await h.until((s) => s.context.turns[0]?.status === "running");
    expect(server.requests("chat:send")[0]?.requestId).toBe(request.requestId);
    expect(snap.context.turns).toHaveLength(1);
  });

  test("an unanswered send times out and can be discarded", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server, timeoutMs: 40 });
    await readySession(h, session.id);
    server.muted.add("chat:send");
    h.actor.send({ type: "SEND", message: "anyone?" });
    const snap = await h.until((s) => s.context.turns[0]?.error?.code === "TIMEOUT");
    const requestId = snap.context.turns[0]?.requestId ?? "";
    h.actor.send({ type: "DISCARD", requestId });
    expect(h.actor.getSnapshot().context.turns).toEqual([]);
  });

  test("a turn failure from the server is shown on its turn", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await readySession(h, session.id);
    h.actor.send({ type: "SEND", message: "go" });
    await h.until((s) => s.context.turns[0]?.status === "running");
    server.failTurn(session.id, "API_OVERLOADED");
    const snap = await h.until((s) => s.context.turns[0]?.status === "error");
    expect(snap.context.turns[0]?.error?.code).toBe("API_OVERLOADED");
    expect(snap.context.turns[0]?.local).toBe(false);
  });
});

describe("writing offline", () => {
  test("a message written offline survives a reload and goes out once, with its requestId, on reconnect", async () => {
    const server = new FakeServer({ autoReply: "Got it." });
    const session = server.addSession();
    const storage = new MemoryStorage();
    storage.setItem(LAST_SESSION_KEY, session.id);
    server.reachable = false;
    const first = start({ server, storage });
    await first.until((s) => s.context.connection.attempts > 0);
    first.actor.send({ type: "SEND", message: "written on the train" });
    const written = first.actor.getSnapshot().context.turns[0];
    expect(written).toMatchObject({ status: "sending", local: true, message: "written on the train" });
    first.actor.stop();

    // The page is reloaded, still offline: the message is still there, waiting.
    const second = start({ server, storage });
    await second.until((s) => s.context.turns[0]?.requestId === written?.requestId);
    expect(server.requests("chat:send")).toHaveLength(0);

    server.reachable = true;
    second.socket.reconnect();
    await second.until((s) => s.context.turns[0]?.status === "done" && s.context.outbox.length === 0);
    const sends = server.requests("chat:send");
    expect(sends.map((send) => [send.requestId, send.message])).toEqual([
      [written?.requestId ?? "", "written on the train"],
    ]);
    // Delivered: nothing is left to send after another reload.
    const third = start({ server, storage });
    await third.until(subscribedTo(session.id));
    expect(third.actor.getSnapshot().context.outbox).toEqual([]);
  });

  test("an unsent message can be cancelled, and is gone after a reload", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const storage = new MemoryStorage();
    storage.setItem(LAST_SESSION_KEY, session.id);
    server.reachable = false;
    const first = start({ server, storage });
    first.actor.send({ type: "SEND", message: "never mind" });
    const requestId = first.actor.getSnapshot().context.turns[0]?.requestId ?? "";
    first.actor.send({ type: "DISCARD", requestId });
    expect(first.actor.getSnapshot().context.turns).toEqual([]);
    first.actor.stop();
    const second = start({ server, storage });
    expect(second.actor.getSnapshot().context.outbox).toEqual([]);
  });
});

describe("images", () => {
  const image = (name: string) => ({
    key: crypto.randomUUID(),
    name,
    mediaType: "image/png" as const,
    data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]),
    previewUrl: `blob:preview-${name}`,
  });

  test("a message of images only goes out with their bytes; the turn shows the device's previews, then the server's copies", async () => {
    const server = new FakeServer({ autoReply: "Seen." });
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({ type: "SEND", message: "  ", attachments: [image("a.png"), image("b.png")] });
    const local = h.actor.getSnapshot().context.turns[0];
    expect(local?.images.map((i) => i.src)).toEqual(["blob:preview-a.png", "blob:preview-b.png"]);

    const done = await h.until((s) => s.context.turns[0]?.status === "done" && outboxIdle(s));
    const sent = server.requests("chat:send")[0];
    expect(sent?.message).toBe("");
    expect(
      sent?.attachments?.map((a) => [a.name, a.mediaType, a.data instanceof Uint8Array, a.data.byteLength]),
    ).toEqual([
      ["a.png", "image/png", true, 11],
      ["b.png", "image/png", true, 11],
    ]);
    // Nothing but what the server sends back: names and URLs, never the bytes.
    expect(sent).not.toHaveProperty("attachments.0.previewUrl");
    expect(done.context.turns[0]?.images.map((i) => i.name)).toEqual(["a.png", "b.png"]);
    expect(done.context.turns[0]?.images[0]?.src).toMatch(/^\/api\/attachments\/[0-9a-f-]{36}$/);
  });

  test("a message with images waits offline in memory only: the saved outbox keeps the text-only messages", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const storage = new MemoryStorage();
    storage.setItem(LAST_SESSION_KEY, session.id);
    server.reachable = false;
    const h = start({ server, storage });
    await h.until((s) => s.context.connection.attempts > 0);
    h.actor.send({ type: "SEND", message: "look at this", attachments: [image("shot.png")] });
    h.actor.send({ type: "SEND", message: "and this text" });
    expect(h.actor.getSnapshot().context.outbox).toHaveLength(2);
    const saved = JSON.parse(storage.getItem("pocket-agent:outbox") ?? "[]") as { message: string }[];
    expect(saved.map((item) => item.message)).toEqual(["and this text"]);
    expect(JSON.stringify(saved)).not.toContain("shot.png");
  });
});

describe("cancelling", () => {
  test("Stop cancels the running turn; removing a queued one drops it", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({ type: "SEND", message: "long task" });
    h.actor.send({ type: "SEND", message: "later" });
    let snap = await h.until((s) => s.context.turns.length === 2 && s.context.turns[1]?.status === "queued");
    const [first, second] = snap.context.turns;
    if (!first || !second) throw new Error("turns missing");

    h.actor.send({ type: "CANCEL", targetRequestId: second.requestId });
    snap = await h.until((s) => s.context.turns[1]?.status === "error" && s.context.cancels.length === 0);
    expect(snap.context.turns[1]?.error?.code).toBe("CANCELLED");
    expect(snap.context.turns[0]?.status).toBe("running");

    h.actor.send({ type: "CANCEL", targetRequestId: first.requestId });
    snap = await h.until((s) => s.context.turns[0]?.status === "error");
    expect(snap.context.turns[0]?.error?.code).toBe("CANCELLED");
    const cancels = server.requests("chat:cancel");
    expect(cancels.map((c) => c.targetRequestId)).toEqual([second.requestId, first.requestId]);
    expect(new Set(cancels.map((c) => c.requestId)).size).toBe(2);
  });

  test("a cancel the server refuses leaves a note on that turn", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({ type: "SEND", message: "quick" });
    await h.until((s) => s.context.turns[0]?.status === "running");
    server.finish(session.id, "done already");
    const done = await h.until((s) => s.context.turns[0]?.status === "done");
    const requestId = done.context.turns[0]?.requestId ?? "";
    h.actor.send({ type: "CANCEL", targetRequestId: requestId });
    const snap = await h.until((s) => s.context.turnNotes[requestId] !== undefined);
    expect(snap.context.turnNotes[requestId]?.code).toBe("TURN_NOT_FOUND");
  });
});

describe("protocol additions", () => {
  test("permission requests and their resolution are stored on the turn", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({ type: "SEND", message: "delete the build folder" });
    await h.until((s) => s.context.turns[0]?.status === "running");
    const permissionId = server.askPermission(session.id, "Bash", { command: "rm -rf build" });
    let snap = await h.until(
      (s) =>
        s.context.turns[0]?.permissions.length === 1 &&
        s.context.sessions.find((x) => x.id === session.id)?.pendingPermissions === 1,
    );
    expect(snap.context.turns[0]?.permissions[0]).toMatchObject({ permissionId, toolName: "Bash", status: "pending" });
    expect(snap.context.sessions.find((x) => x.id === session.id)?.pendingPermissions).toBe(1);

    h.socket.emit("permission:respond", {
      sessionId: session.id,
      permissionId,
      decision: "deny",
      requestId: crypto.randomUUID(),
    });
    snap = await h.until(
      (s) =>
        s.context.turns[0]?.permissions[0]?.status === "deny" &&
        s.context.sessions.find((x) => x.id === session.id)?.pendingPermissions === 0,
    );
    expect(snap.context.turns[0]?.status).toBe("running");
  });

  test("the open session deleted elsewhere: it leaves the list and the latest other one opens", async () => {
    const server = new FakeServer();
    const other = server.addSession({ title: "other" });
    const open = server.addSession({ title: "open" });
    const h = start({ server });
    await h.until(subscribedTo(open.id));
    h.socket.emit("session:delete", { sessionId: open.id, requestId: crypto.randomUUID() });
    const snap = await h.until(subscribedTo(other.id));
    expect(snap.context.sessions.map((x) => x.id)).toEqual([other.id]);
    expect(h.storage.getItem(LAST_SESSION_KEY)).toBe(other.id);
  });
});

describe("dedupe and history", () => {
  test("events are deduped by seq, whatever order they come in", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({ type: "SEND", message: "hi" });
    await h.until((s) => s.context.turns[0]?.status === "running");
    server.delta(session.id, "a");
    server.delta(session.id, "b");
    const stored = server.sessions.get(session.id)?.events ?? [];
    const deltas = stored.filter((e) => e.type === "chat:delta");
    // Replay both deltas again, newest first.
    for (const event of [...deltas].reverse())
      if (event.type === "chat:delta") server.emit("chat:delta", event.payload);
    await tick(10);
    const snap = await h.until((s) => s.context.turns[0]?.text === "ab");
    const seqs = snap.context.events.map((e) => e.payload.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(snap.context.events).toHaveLength(stored.length);
  });

  test("events of another session are not mixed into the current one", async () => {
    const server = new FakeServer();
    const other = server.addSession({ title: "other" });
    const mine = server.addSession({ title: "mine" });
    const h = start({ server });
    await h.until(subscribedTo(mine.id));
    server.emit("chat:delta", { sessionId: other.id, seq: 1, requestId: crypto.randomUUID(), text: "not mine" });
    await tick(10);
    expect(h.actor.getSnapshot().context.events).toEqual([]);
  });

  test("a subscription's replay reaches the machine in one step, never one event at a time", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const state = server.sessions.get(session.id);
    if (!state) throw new Error("no state");
    const requestId = crypto.randomUUID();
    for (let n = 0; n < 50; n++) {
      const seq = state.session.lastSeq + 1;
      state.session = { ...state.session, lastSeq: seq };
      state.events.push(
        n === 0
          ? { type: "chat:queued", payload: { sessionId: session.id, seq, requestId, message: "hi", at: server.now() } }
          : { type: "chat:delta", payload: { sessionId: session.id, seq, requestId, text: "." } },
      );
    }
    const storage = new MemoryStorage();
    storage.setItem(LAST_SESSION_KEY, session.id);
    const h = start({ server, storage });
    const heldCounts: number[] = [];
    h.actor.subscribe((snapshot) => {
      const count = snapshot.context.events.length;
      if (heldCounts.at(-1) !== count) heldCounts.push(count);
    });
    const snap = await h.until(subscribedTo(session.id));
    expect(heldCounts).toEqual([0, 50]);
    expect(snap.context.turns.at(-1)?.text).toBe(".".repeat(49));

    // Live events after the replay are not held.
    server.emit("chat:delta", { sessionId: session.id, seq: 51, requestId, text: "!" });
    const live = await h.until((s) => s.context.events.length === 51);
    expect(live.context.turns.at(-1)?.text).toBe(`${".".repeat(49)}!`);
  });

  test("only the recent tail is replayed on open; Load earlier pages back with session:history", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    // 12 turns of 30 events: the tail is the last LIMITS.tailTurns (10) of them.
    const state = server.sessions.get(session.id);
    if (!state) throw new Error("no state");
    for (let i = 0; i < 12; i++) {
      const requestId = crypto.randomUUID();
      for (let n = 0; n < 30; n++) {
        const seq = state.session.lastSeq + 1;
        state.session = { ...state.session, lastSeq: seq };
        state.events.push(
          n === 0
            ? {
                type: "chat:queued",
                payload: { sessionId: session.id, seq, requestId, message: `turn ${i}`, at: server.now() },
              }
            : { type: "chat:delta", payload: { sessionId: session.id, seq, requestId, text: "." } },
        );
      }
    }
    const h = start({ server });
    let snap = await h.until(subscribedTo(session.id));
    expect(snap.context.events).toHaveLength(300);
    expect(snap.context.events[0]?.payload.seq).toBe(61);
    expect(snap.context.hasEarlier).toBe(true);
    expect(snap.context.turns[0]?.message).toBe("turn 2");

    h.actor.send({ type: "LOAD_EARLIER" });
    h.actor.send({ type: "LOAD_EARLIER" }); // a double tap sends one request
    snap = await h.until((s) => s.matches({ connected: { history: "idle" } }) && s.context.events.length === 360);
    expect(server.requests("session:history")).toHaveLength(1);
    expect(server.requests("session:history")[0]?.beforeSeq).toBe(61);
    expect(snap.context.hasEarlier).toBe(false);
    expect(snap.context.turns.map((t) => t.message)).toEqual(Array.from({ length: 12 }, (_, i) => `turn ${i}`));
  });

  test("switching sessions persists the choice and subscribes to the new one", async () => {
    const server = new FakeServer();
    const a = server.addSession({ title: "a" });
    const b = server.addSession({ title: "b" });
    const h = start({ server });
    await h.until(subscribedTo(b.id));
    h.actor.send({ type: "SWITCH_SESSION", sessionId: a.id });
    expect(h.actor.getSnapshot().context.events).toEqual([]);
    await h.until(subscribedTo(a.id));
    expect(h.storage.getItem(LAST_SESSION_KEY)).toBe(a.id);
    // The server keeps a socket in every session it subscribed to: the one left is unsubscribed.
    expect(server.requests("session:unsubscribe").map((r) => r.sessionId)).toEqual([b.id]);
    expect(server.isSubscribed(b.id)).toBe(false);
    expect(server.isSubscribed(a.id)).toBe(true);
  });

  test("creating a session switches to it", async () => {
    const server = new FakeServer();
    const h = start({ server });
    await h.until(isReady);
    h.actor.send({ type: "NEW_SESSION", model: "opus", title: "Refactor" });
    const snap = await h.until(
      (s) => isReady(s) && s.context.sessionId !== null && s.context.subscribedSessionId !== null,
    );
    const created = snap.context.sessions.find((s) => s.id === snap.context.sessionId);
    expect(created).toMatchObject({ model: "opus", title: "Refactor" });
  });

  test("creating a session leaves the one on screen (session:unsubscribe)", async () => {
    const server = new FakeServer();
    const a = server.addSession({ title: "a" });
    const h = start({ server });
    await h.until(subscribedTo(a.id));
    h.actor.send({ type: "NEW_SESSION" });
    const snap = await h.until(
      (s) => isReady(s) && s.context.sessionId !== a.id && s.context.subscribedSessionId !== null,
    );
    expect(server.requests("session:unsubscribe").map((r) => r.sessionId)).toEqual([a.id]);
    expect(server.isSubscribed(a.id)).toBe(false);
    expect(server.isSubscribed(snap.context.sessionId ?? "")).toBe(true);
  });
});

describe("reconnecting", () => {
  test("after a drop: reconnecting, then resubscribe from the last seq held; replays are deduped", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({ type: "SEND", message: "work" });
    await h.until((s) => s.context.turns[0]?.status === "running");
    server.delta(session.id, "part 1 ");
    let snap = await h.until((s) => s.context.turns[0]?.text === "part 1 ");
    const heldSeq = snap.context.lastSeq;

    h.socket.drop();
    snap = h.actor.getSnapshot();
    expect(snap.value).toBe("reconnecting");
    expect(snap.context.connection.status).toBe("reconnecting");
    expect(snap.context.subscribedSessionId).toBeNull();

    // While we were away the turn went on.
    server.delta(session.id, "part 2");
    server.finish(session.id);

    h.socket.reconnect();
    snap = await h.until(subscribedTo(session.id));
    const resubscribe = server.requests("session:subscribe").at(-1);
    expect(resubscribe?.afterSeq).toBe(heldSeq);
    snap = await h.until((s) => s.context.turns[0]?.status === "done");
    expect(snap.context.turns[0]?.text).toBe("part 1 part 2");
    const seqs = snap.context.events.map((e) => e.payload.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  test("a send cut off by a disconnect is sent again after reconnecting, with the same requestId, and stored once", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    server.muted.add("chat:send");
    h.actor.send({ type: "SEND", message: "are you there?" });
    await eventually(() => server.requests("chat:send").length === 1);
    h.socket.drop();
    server.muted.delete("chat:send");
    expect(h.actor.getSnapshot().context.outbox).toHaveLength(1);

    h.socket.reconnect();
    const snap = await h.until((s) => s.context.turns[0]?.status === "running" && s.context.outbox.length === 0);
    const sends = server.requests("chat:send");
    expect(sends).toHaveLength(2);
    expect(sends[0]?.requestId).toBe(sends[1]?.requestId ?? "");
    expect(snap.context.turns).toHaveLength(1);
  });

  test("the session list is refreshed from the new greeting after reconnecting", async () => {
    const server = new FakeServer();
    server.addSession({ title: "before" });
    const h = start({ server });
    await h.until((s) => isReady(s) && s.context.subscribedSessionId !== null);
    h.socket.drop();
    server.addSession({ title: "added while away" });
    h.socket.reconnect();
    const snap = await h.until((s) => s.context.sessions.some((x) => x.title === "added while away"));
    expect(snap.context.connection.status).toBe("connected");
  });

  test("the page becoming visible, shown or online again reconnects at once", async () => {
    const h = start();
    await h.until(isReady);
    h.socket.drop();
    const calls = h.socket.connectCalls;
    h.env.document.visibilityState = "hidden";
    h.env.document.dispatchEvent(new Event("visibilitychange"));
    expect(h.socket.connectCalls).toBe(calls);
    h.env.document.visibilityState = "visible";
    h.env.document.dispatchEvent(new Event("visibilitychange"));
    expect(h.socket.connectCalls).toBe(calls + 1);
    await h.until((s) => s.context.connection.status === "connected");

    h.socket.drop();
    const before = h.socket.connectCalls;
    h.env.window.dispatchEvent(new Event("pageshow")); // a first load (persisted: false) is not a wake
    expect(h.socket.connectCalls).toBe(before);
    h.env.window.dispatchEvent(Object.assign(new Event("pageshow"), { persisted: true }));
    expect(h.socket.connectCalls).toBe(before + 1);
    await h.until((s) => s.context.connection.status === "connected");

    h.socket.drop();
    h.env.window.dispatchEvent(new Event("offline"));
    expect(h.actor.getSnapshot().context.connection.online).toBe(false);
    h.env.window.dispatchEvent(new Event("online"));
    const snap = await h.until((s) => s.context.connection.status === "connected");
    expect(snap.context.connection.online).toBe(true);
  });

  test("waking while connected probes the server with a session list", async () => {
    const h = start();
    await h.until(isReady);
    h.env.document.dispatchEvent(new Event("visibilitychange"));
    await h.until(
      (s) => s.matches({ connected: { sessionList: "idle" } }) && h.server.requests("session:list").length === 1,
    );
  });

  test("a probe that times out forces a fresh connection", async () => {
    const h = start({ timeoutMs: 40 });
    await h.until(isReady);
    h.server.muted.add("session:list");
    h.actor.send({ type: "REFRESH_SESSIONS" });
    await eventually(() => h.socket.connectCalls === 2);
    h.server.muted.delete("session:list");
    await h.until((s) => s.context.connection.status === "connected");
  });

  test("an unreachable server: retries with the error shown, then connects", async () => {
    const server = new FakeServer();
    server.reachable = false;
    const h = start({ server });
    let snap = await h.until((s) => s.context.connection.status === "reconnecting");
    expect(snap.context.connection.error).toBe("xhr poll error");
    expect(snap.context.connection.attempts).toBe(1);
    server.reachable = true;
    h.socket.reconnect();
    snap = await h.until((s) => s.context.connection.status === "connected");
    expect(snap.context.connection.error).toBeNull();
    expect(snap.context.connection.attempts).toBe(0);
  });

  test("a device that is not paired: told so, and no retry loop until it is paired", async () => {
    const server = new FakeServer();
    server.refuse = "UNAUTHORIZED";
    const h = start({ server });
    let snap = await h.until((s) => s.context.connection.errorCode === "UNAUTHORIZED");
    expect(snap.value).toBe("disconnected");
    expect(describeConnection(snap.context.connection)).toBe("Not paired");
    await tick(100); // several retry delays
    expect(h.socket.connectCalls).toBe(1);

    server.refuse = null; // paired in another tab
    h.actor.send({ type: "RECONNECT" });
    snap = await h.until((s) => s.context.connection.status === "connected");
    expect(snap.context.connection.errorCode).toBeNull();
  });

  test("the server closing the connection: disconnected, then a retry after the delay", async () => {
    const h = start();
    await h.until(isReady);
    h.socket.kick();
    expect(h.actor.getSnapshot().value).toBe("disconnected");
    await h.until((s) => s.context.connection.status === "connected");
  });

  test("stopping the machine removes every socket listener", async () => {
    const h = start();
    await h.until(isReady);
    h.actor.stop();
    for (const name of ["connect", "disconnect", "connection", "chat:delta", "session:list"]) {
      expect(h.socket.listenerCount(name)).toBe(0);
    }
  });
});

describe("approvals", () => {
  async function askedBash() {
    const server = new FakeServer();
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({ type: "SEND", message: "make a file" });
    await h.until((s) => s.context.turns[0]?.status === "running");
    const permissionId = server.askPermission(session.id, "Bash", { command: "touch a.txt" });
    await h.until((s) => s.context.turns[0]?.permissions[0]?.status === "pending");
    return { h, server, session, permissionId };
  }

  test("Allow sends permission:respond and settles on permission:resolved; the card's state is then cleared", async () => {
    const { h, server, session, permissionId } = await askedBash();
    h.actor.send({ type: "RESPOND_PERMISSION", permissionId, decision: "allow" });
    expect(h.actor.getSnapshot().context.answers[permissionId]).toEqual({ status: "sending", decision: "allow" });
    const snap = await h.until(
      (s) => s.context.turns[0]?.permissions[0]?.status === "allow" && s.context.answers[permissionId] === undefined,
    );
    expect(snap.context.answerQueue).toEqual([]);
    const [sent] = server.requests("permission:respond");
    expect(sent).toMatchObject({ sessionId: session.id, permissionId, decision: "allow" });
    expect(sent?.requestId).not.toBe(snap.context.turns[0]?.requestId);
    expect(sent?.message).toBeUndefined();
  });

  test("Deny carries the reason, which the resolution keeps", async () => {
    const { h, server, permissionId } = await askedBash();
    h.actor.send({ type: "RESPOND_PERMISSION", permissionId, decision: "deny", message: "use a temp dir" });
    const snap = await h.until((s) => s.context.turns[0]?.permissions[0]?.status === "deny");
    expect(snap.context.turns[0]?.permissions[0]?.resolutionMessage).toBe("use a temp dir");
    expect(server.requests("permission:respond")[0]).toMatchObject({ decision: "deny", message: "use a temp dir" });
  });

  test("AskUserQuestion answers travel with decision allow", async () => {
    const { h, server, permissionId } = await askedBash();
    h.actor.send({
      type: "RESPOND_PERMISSION",
      permissionId,
      decision: "allow",
      answers: { "Which database?": "Postgres" },
    });
    await h.until((s) => s.context.turns[0]?.permissions[0]?.status === "allow");
    expect(server.requests("permission:respond")[0]?.answers).toEqual({ "Which database?": "Postgres" });
  });

  test("already answered on another device: PERMISSION_NOT_PENDING is kept on the answer, the card follows the resolution", async () => {
    const { h, server, session, permissionId } = await askedBash();
    server.muted.add("permission:respond");
    h.actor.send({ type: "RESPOND_PERMISSION", permissionId, decision: "allow_always", scope: { kind: "command" } });
    await eventually(() => server.requests("permission:respond").length === 1);
    expect(server.requests("permission:respond")[0]?.scope).toEqual({ kind: "command" });
    // The other device wins.
    server.resolvePermission(session.id, permissionId, "deny", "not from the phone");
    let snap = await h.until((s) => s.context.answers[permissionId] === undefined);
    expect(snap.context.turns[0]?.permissions[0]).toMatchObject({
      status: "deny",
      resolutionMessage: "not from the phone",
    });

    // A late answer to something no longer pending.
    server.muted.delete("permission:respond");
    h.actor.send({ type: "RESPOND_PERMISSION", permissionId, decision: "allow" });
    snap = await h.until((s) => s.context.answers[permissionId]?.status === "failed");
    const state = snap.context.answers[permissionId];
    expect(state?.status === "failed" ? state.error.code : null).toBe("PERMISSION_NOT_PENDING");
  });

  test("a second tap while the answer is on its way sends nothing more", async () => {
    const { h, server, permissionId } = await askedBash();
    h.actor.send({ type: "RESPOND_PERMISSION", permissionId, decision: "allow" });
    h.actor.send({ type: "RESPOND_PERMISSION", permissionId, decision: "deny" });
    await h.until((s) => s.context.turns[0]?.permissions[0]?.status === "allow");
    await tick(5);
    expect(server.requests("permission:respond")).toHaveLength(1);
  });

  test("a request replayed on subscribe shows as pending; its resolution replayed later closes it", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const other = server.addSession({ title: "other" });
    const h = start({ server });
    await h.until(subscribedTo(other.id));
    // Another device started a turn that now waits for approval.
    server.handle({
      type: "chat:send",
      payload: { sessionId: session.id, message: "deploy", requestId: crypto.randomUUID() },
    });
    const permissionId = server.askPermission(session.id, "Bash", { command: "./deploy.sh" });
    await h.until((s) => s.context.sessions.find((x) => x.id === session.id)?.pendingPermissions === 1);
    h.actor.send({ type: "SWITCH_SESSION", sessionId: session.id });
    const snap = await h.until(subscribedTo(session.id));
    expect(snap.context.turns[0]?.permissions[0]).toMatchObject({ permissionId, status: "pending" });
  });
});

describe("session management", () => {
  test("rename and settings go out as session:update; the broadcast session:updated updates the list", async () => {
    const server = new FakeServer();
    const session = server.addSession({ title: "Untitled" });
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({ type: "UPDATE_SESSION", sessionId: session.id, patch: { title: "Fix the login bug" } });
    h.actor.send({ type: "UPDATE_SESSION", sessionId: session.id, patch: { model: "opus" } });
    h.actor.send({ type: "UPDATE_SESSION", sessionId: session.id, patch: { permissionMode: "acceptEdits" } });
    const snap = await h.until(
      (s) => s.context.sessionOps.length === 0 && s.context.sessions[0]?.permissionMode === "acceptEdits",
    );
    expect(snap.context.sessions[0]).toMatchObject({
      title: "Fix the login bug",
      model: "opus",
      permissionMode: "acceptEdits",
    });
    const updates = server.requests("session:update");
    expect(updates.map((u) => [u.title, u.model, u.permissionMode])).toEqual([
      ["Fix the login bug", undefined, undefined],
      [undefined, "opus", undefined],
      [undefined, undefined, "acceptEdits"],
    ]);
    expect(new Set(updates.map((u) => u.requestId)).size).toBe(3);
    expect(snap.context.sessionOpError).toBeNull();
  });

  test("bypass needs confirmBypass; the server refusing it leaves BYPASS_NOT_ALLOWED with its message", async () => {
    const server = new FakeServer();
    server.bypassAllowed = false;
    const session = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(session.id));
    h.actor.send({
      type: "UPDATE_SESSION",
      sessionId: session.id,
      patch: { permissionMode: "bypassPermissions", confirmBypass: true },
    });
    let snap = await h.until((s) => s.context.sessionOpError !== null);
    expect(snap.context.sessionOpError?.error.code).toBe("BYPASS_NOT_ALLOWED");
    expect(snap.context.sessionOpError?.error.message).toContain("IS_SANDBOX=1");
    expect(snap.context.sessionOpError?.op.sessionId).toBe(session.id);
    expect(snap.context.sessions[0]?.permissionMode).toBe("default");
    expect(server.requests("session:update")[0]?.confirmBypass).toBe(true);

    h.actor.send({ type: "DISMISS_SESSION_ERROR" });
    expect(h.actor.getSnapshot().context.sessionOpError).toBeNull();

    // Without the confirmation the server's schema refuses it.
    h.actor.send({ type: "UPDATE_SESSION", sessionId: session.id, patch: { permissionMode: "bypassPermissions" } });
    snap = await h.until((s) => s.context.sessionOpError !== null);
    expect(snap.context.sessionOpError?.error.code).toBe("INVALID_PAYLOAD");
  });

  test("deleting the open session: session:delete, then the other session opens", async () => {
    const server = new FakeServer();
    const other = server.addSession({ title: "other" });
    const open = server.addSession({ title: "open" });
    const h = start({ server });
    await h.until(subscribedTo(open.id));
    h.actor.send({ type: "DELETE_SESSION", sessionId: open.id });
    const snap = await h.until((s) => subscribedTo(other.id)(s) && s.context.sessionOps.length === 0);
    expect(snap.context.sessions.map((s) => s.id)).toEqual([other.id]);
    expect(server.requests("session:delete")).toEqual([{ sessionId: open.id, requestId: expect.any(String) }]);
    expect(snap.context.sessionOpError).toBeNull();
  });

  test("deleting the last session leaves the empty state", async () => {
    const server = new FakeServer();
    const only = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(only.id));
    h.actor.send({ type: "DELETE_SESSION", sessionId: only.id });
    const snap = await h.until((s) => s.context.sessions.length === 0 && isReady(s));
    expect(snap.context.sessionId).toBeNull();
    expect(snap.context.turns).toEqual([]);
  });

  test("deleting a session that is already gone counts as done", async () => {
    const server = new FakeServer();
    const keep = server.addSession({ title: "keep" });
    const h = start({ server });
    await h.until(subscribedTo(keep.id));
    const ghost = crypto.randomUUID();
    h.actor.send({ type: "DELETE_SESSION", sessionId: ghost });
    const snap = await h.until(
      (s) => s.context.sessionOps.length === 0 && server.requests("session:delete").length === 1,
    );
    expect(snap.context.sessionOpError).toBeNull();
  });

  test("a new session can start in another permission mode", async () => {
    const server = new FakeServer();
    const h = start({ server });
    await h.until(isReady);
    h.actor.send({ type: "NEW_SESSION", model: "haiku", permissionMode: "plan" });
    const snap = await h.until((s) => s.context.subscribedSessionId !== null);
    expect(server.requests("session:create")[0]).toMatchObject({ model: "haiku", permissionMode: "plan" });
    expect(snap.context.sessions[0]?.permissionMode).toBe("plan");
  });
});

describe("a newer server", () => {
  /** Collects console.warn calls for the test and keeps them off the output. */
  function captureWarnings(): { lines: () => string[]; restore: () => void } {
    const spy = spyOn(console, "warn").mockImplementation(() => undefined);
    return { lines: () => spy.mock.calls.map((call) => String(call[0])), restore: () => spy.mockRestore() };
  }

  test("a reply the app cannot read fails its request at once, not after the timeout", async () => {
    const warnings = captureWarnings();
    try {
      const server = new FakeServer();
      server.muted.add("session:create");
      const h = start({ server, timeoutMs: 10_000 });
      await h.until(isReady);
      h.actor.send({ type: "NEW_SESSION", title: "Refactor" });
      await eventually(() => server.requests("session:create").length === 1);
      const requestId = server.requests("session:create")[0]?.requestId;
      const started = performance.now();
      server.emitRaw("session:created", { requestId, id: 42, title: ["not", "a", "title"] });
      const snap = await h.until((s) => s.context.notice !== null);
      expect(snap.context.notice?.code).toBe("INTERNAL_ERROR");
      expect(snap.context.notice?.message).toContain("could not be read");
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(warnings.lines().some((line) => line.includes("session:created"))).toBe(true);
    } finally {
      warnings.restore();
    }
  });

  test("an unknown event name is ignored and logged once; the app keeps working", async () => {
    const warnings = captureWarnings();
    try {
      const server = new FakeServer({ autoReply: "still here" });
      const session = server.addSession();
      const h = start({ server });
      await h.until(subscribedTo(session.id));
      const name = `future:${crypto.randomUUID()}`;
      server.emitRaw(name, { sessionId: session.id, seq: 99 });
      server.emitRaw(name, { sessionId: session.id, seq: 100 });

      h.actor.send({ type: "SEND", message: "are you there?" });
      const snap = await h.until((s) => s.context.turns[0]?.status === "done");
      expect(snap.status).toBe("active");
      expect(snap.context.turns[0]?.text).toBe("still here");
      expect(snap.context.events.some((e) => e.payload.seq >= 99)).toBe(false);
      expect(warnings.lines().filter((line) => line.includes(name))).toHaveLength(1);
    } finally {
      warnings.restore();
    }
  });

  test("a session event of an unknown type, live and replayed, is skipped; the turns around it render", async () => {
    const warnings = captureWarnings();
    try {
      const server = new FakeServer({ autoReply: "answer" });
      const session = server.addSession();
      const first = start({ server });
      await first.until(subscribedTo(session.id));
      first.actor.send({ type: "SEND", message: "one" });
      const done = await first.until((s) => s.context.turns[0]?.status === "done");
      const requestId = done.context.turns[0]?.requestId ?? "";
      server.recordUnknown(session.id, "chat:thinking", { requestId, text: "pondering" });
      first.actor.send({ type: "SEND", message: "two" });
      const live = await first.until((s) => s.context.turns[1]?.status === "done");
      expect(live.context.turns.map((t) => [t.message, t.text, t.status])).toEqual([
        ["one", "answer", "done"],
        ["two", "answer", "done"],
      ]);

      // Another device opens the session: the stored unknown event is part of the replay.
      const second = start({ server, socket: new FakeSocket(server) });
      const replayed = await second.until((s) => subscribedTo(session.id)(s) && s.context.turns[1]?.status === "done");
      expect(replayed.status).toBe("active");
      expect(replayed.context.turns).toEqual(live.context.turns);
    } finally {
      warnings.restore();
    }
  });

  test("session:history: unknown and malformed events are left out of the page, unknown fields dropped", async () => {
    const warnings = captureWarnings();
    try {
      const server = new FakeServer();
      const session = server.addSession();
      const state = server.sessions.get(session.id);
      if (!state) throw new Error("no state");
      const requestId = crypto.randomUUID();
      const at = server.now();
      // The tail starts at seq 4, so older events exist ("Load earlier").
      state.events.push(
        { type: "chat:delta", payload: { sessionId: session.id, seq: 4, requestId, text: "b" } },
        {
          type: "chat:response",
          payload: { sessionId: session.id, seq: 5, requestId, response: "ab", logs: [], durationMs: 5 },
        },
      );
      state.session = { ...state.session, lastSeq: 5 };
      server.muted.add("session:history");
      const h = start({ server });
      await h.until((s) => subscribedTo(session.id)(s) && s.context.hasEarlier);

      h.actor.send({ type: "LOAD_EARLIER" });
      await eventually(() => server.requests("session:history").length === 1);
      const request = server.requests("session:history")[0];
      server.emitRaw("session:history", {
        sessionId: session.id,
        requestId: request?.requestId,
        hasMore: false,
        addedLater: true,
        events: [
          {
            type: "chat:queued",
            payload: { sessionId: session.id, seq: 1, requestId, message: "hi", at, mood: "fine" },
          },
          { type: "chat:thinking", payload: { sessionId: session.id, seq: 2, requestId, text: "hmm" } },
          { type: "chat:delta", payload: { sessionId: session.id, seq: 3, requestId, text: 42 } },
        ],
      });
      const snap = await h.until((s) => s.matches({ connected: { history: "idle" } }) && s.context.events.length === 3);
      expect(snap.status).toBe("active");
      expect(snap.context.events.map((e) => e.payload.seq)).toEqual([1, 4, 5]);
      expect(snap.context.events[0]?.payload).toEqual({ sessionId: session.id, seq: 1, requestId, message: "hi", at });
      expect(snap.context.hasEarlier).toBe(false);
      expect(snap.context.turns).toHaveLength(1);
      expect(snap.context.turns[0]).toMatchObject({ message: "hi", text: "ab", status: "done" });
    } finally {
      warnings.restore();
    }
  });

  test("malformed live payloads are dropped; an unknown error code keeps its message", async () => {
    const warnings = captureWarnings();
    try {
      const server = new FakeServer();
      const session = server.addSession({ title: "kept" });
      const h = start({ server });
      await h.until(subscribedTo(session.id));
      h.actor.send({ type: "SEND", message: "go" });
      await h.until((s) => s.context.turns[0]?.status === "running" && outboxIdle(s));
      const requestId = h.actor.getSnapshot().context.turns[0]?.requestId ?? "";
      const nextSeq = () => {
        const state = server.sessions.get(session.id);
        if (!state) throw new Error("no state");
        state.session = { ...state.session, lastSeq: state.session.lastSeq + 1 };
        return state.session.lastSeq;
      };

      server.emitRaw("chat:delta", { sessionId: session.id, seq: nextSeq(), requestId, text: { not: "text" } });
      server.emitRaw("chat:delta", { sessionId: session.id, seq: 1.5, requestId, text: "bad seq" });
      server.emitRaw("session:updated", { session: { id: session.id, title: 42 } });
      server.emitRaw("session:list", "not an object");
      server.emitRaw("chat:delta", { sessionId: session.id, seq: nextSeq(), requestId, text: "fine", tokens: 3 });
      server.emitRaw("chat:error", {
        sessionId: session.id,
        seq: nextSeq(),
        requestId,
        code: "QUOTA_EXCEEDED",
        message: "The newer server's own reason.",
      });

      const snap = await h.until((s) => s.context.turns[0]?.status === "error");
      expect(snap.status).toBe("active");
      expect(snap.context.turns[0]?.text).toBe("fine");
      expect(snap.context.turns[0]?.error).toEqual({
        code: "INTERNAL_ERROR",
        message: "The newer server's own reason.",
      });
      expect(snap.context.sessions.find((s) => s.id === session.id)?.title).toBe("kept");
      expect(snap.context.events.every((e) => Number.isInteger(e.payload.seq))).toBe(true);
      expect(warnings.lines().some((line) => line.includes("malformed chat:delta"))).toBe(true);
    } finally {
      warnings.restore();
    }
  });
});

describe("projects", () => {
  test("a machine's recent projects are forgotten once it is unlinked, here or while this device was away", async () => {
    const kept = crypto.randomUUID();
    const unlinkedAway = crypto.randomUUID();
    const storage = new MemoryStorage();
    rememberProject("/code/here", storage);
    rememberProject("/srv/kept", storage, kept);
    rememberProject("/srv/gone", storage, unlinkedAway);
    storage.setItem(LAST_SESSION_KEY, "not a project list");
    const server = new FakeServer();
    server.machines = [
      { id: "local", name: "this one", url: "", status: "online" },
      { id: kept, name: "laptop", url: "https://laptop.local:8443", status: "offline" },
    ];
    const h = start({ server, storage });
    await h.until((s) => s.context.machines.length === 2);
    expect(readRecentProjects(storage, unlinkedAway)).toEqual([]);
    expect(readRecentProjects(storage, kept)).toEqual(["/srv/kept"]);
    expect(readRecentProjects(storage)).toEqual(["/code/here"]);
    expect(storage.getItem(LAST_SESSION_KEY)).toBe("not a project list");

    server.emit("machine:removed", { machineId: kept, requestId: crypto.randomUUID() });
    await h.until((s) => s.context.machines.length === 1);
    expect(readRecentProjects(storage, kept)).toEqual([]);
    expect(readRecentProjects(storage)).toEqual(["/code/here"]);
  });

  test("a new session starts in the project asked for", async () => {
    const server = new FakeServer();
    const h = start({ server });
    await h.until(isReady);
    h.actor.send({ type: "NEW_SESSION", cwd: "/code/shop" });
    const snap = await h.until((s) => isReady(s) && s.context.sessionId !== null);
    expect(server.requests("session:create")[0]?.cwd).toBe("/code/shop");
    expect(snap.context.sessions.find((s) => s.id === snap.context.sessionId)?.project).toBe("/code/shop");
  });

  test("continuing a desk session opens the session that continues it; again, the same one", async () => {
    const server = new FakeServer();
    const claudeSessionId = crypto.randomUUID();
    server.claudeSessions.set("/code/shop", [
      { claudeSessionId, summary: "fix the login", lastModified: "2026-01-01T00:00:00.000Z", inUse: false },
    ]);
    const other = server.addSession({ title: "earlier" });
    const h = start({ server });
    await h.until(subscribedTo(other.id));

    h.actor.send({ type: "IMPORT_SESSION", claudeSessionId, path: "/code/shop" });
    expect(h.actor.getSnapshot().matches({ connected: { session: "importing" } })).toBe(true);
    const imported = await h.until((s) => isReady(s) && s.context.sessionId !== other.id);
    const session = imported.context.sessions.find((s) => s.id === imported.context.sessionId);
    expect(session).toMatchObject({ title: "fix the login", claudeSessionId, project: "/code/shop" });
    // The session on screen before is left (decision 021).
    expect(server.requests("session:unsubscribe").map((r) => r.sessionId)).toEqual([other.id]);

    h.actor.send({ type: "SWITCH_SESSION", sessionId: other.id });
    await h.until(subscribedTo(other.id));
    h.actor.send({ type: "IMPORT_SESSION", claudeSessionId, path: "/code/shop" });
    const again = await h.until((s) => isReady(s) && s.context.sessionId === session?.id);
    expect(again.context.sessions.filter((s) => s.claudeSessionId === claudeSessionId)).toHaveLength(1);
  });

  test("a desk session of another machine is imported there: the request names the machine, this server's none", async () => {
    const server = new FakeServer();
    const claudeSessionId = crypto.randomUUID();
    server.claudeSessions.set("/code/shop", [
      { claudeSessionId, summary: "on the build box", lastModified: "2026-01-01T00:00:00.000Z", inUse: false },
    ]);
    const current = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(current.id));
    const box = crypto.randomUUID();
    h.actor.send({ type: "IMPORT_SESSION", claudeSessionId, path: "/code/shop", machineId: box });
    await h.until((s) => isReady(s) && s.context.sessionId !== current.id);
    h.actor.send({ type: "IMPORT_SESSION", claudeSessionId, path: "/code/shop", machineId: "local" });
    await h.until((s) => isReady(s) && server.requests("session:import").length === 2);
    expect(server.requests("session:import").map((r) => r.machineId)).toEqual([box, undefined]);
  });

  test("a refused import becomes a notice, and the session on screen stays", async () => {
    const server = new FakeServer();
    const current = server.addSession();
    const h = start({ server });
    await h.until(subscribedTo(current.id));
    h.actor.send({ type: "IMPORT_SESSION", claudeSessionId: crypto.randomUUID(), path: "/nowhere" });
    const snap = await h.until((s) => s.context.notice !== null);
    expect(snap.context.notice?.code).toBe("SESSION_NOT_FOUND");
    expect(snap.context.sessionId).toBe(current.id);
  });
});
