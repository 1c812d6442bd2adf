import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { NIL_REQUEST_ID, Session } from "../../src/shared/messages.ts";
import { createFakeRunner, type FakeRunner } from "../fixtures/fakeAgentRunner.ts";
import { startTestServer, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * The protocol through a real socket.io-client and a real server (SQLite,
 * Socket.IO on bun-engine), with the in-process fake agent. The same events
 * against the real Claude Code CLI are in realAgent.test.ts.
 */
let server: TestServer;
let runner: FakeRunner;
const clients = new TestClients(() => server.url);

beforeAll(async () => {
  runner = createFakeRunner();
  server = await startTestServer({ runner });
});
afterEach(() => {
  clients.closeAll();
});
afterAll(async () => {
  await server.cleanup();
});

describe("connection", () => {
  test("sends `connection` with status and the session list on connect", async () => {
    const client = await clients.connect();
    const frame = client.all("connection")[0];
    expect(frame?.status).toBe("connected");
    expect(Array.isArray(frame?.sessions)).toBe(true);
  });
});

describe("session:create / session:list", () => {
  test("creates a session and echoes the requestId", async () => {
    const client = await clients.connect();
    const created = await client.createSession({ model: "opus" });
    expect(Session.safeParse(created).success).toBe(true);
    expect(created.model).toBe("opus");
    expect(created.cwd).toBe(server.workdir);
    expect(created.permissionMode).toBe("default");

    const requestId = crypto.randomUUID();
    client.socket.emit("session:list", { requestId });
    const list = await client.next("session:list", (p) => p.requestId === requestId);
    expect(list.sessions.map((s) => s.id)).toContain(created.id);
  });

  test("concurrent requests are answered with their own requestIds", async () => {
    const client = await clients.connect();
    const ids = Array.from({ length: 10 }, () => crypto.randomUUID());
    for (const requestId of ids) client.socket.emit("session:list", { requestId });
    const answers = await Promise.all(
      ids.map((id) => client.next("session:list", (p) => p.requestId === id, { from: 0 })),
    );
    expect(answers.map((a) => a.requestId)).toEqual(ids);
  });

  test("rejects a bad model and a workdir outside the allowed roots with session:error", async () => {
    const client = await clients.connect();
    const badModel = crypto.randomUUID();
    client.socket.emit("session:create", { requestId: badModel, model: "gpt-4; rm -rf /" });
    const e1 = await client.next("session:error", (p) => p.requestId === badModel);
    expect(e1.code).toBe("INVALID_PAYLOAD");
    expect(e1.message).toContain("model");

    const escapeId = crypto.randomUUID();
    client.socket.emit("session:create", { requestId: escapeId, cwd: "../../etc" });
    const e2 = await client.next("session:error", (p) => p.requestId === escapeId);
    expect(e2.code).toBe("INVALID_WORKDIR");
  });
});

describe("validation", () => {
  const cases: [string, unknown, "chat:error" | "session:error"][] = [
    [
      "chat:send",
      { message: "hi", sessionId: "nope", requestId: "11111111-1111-4111-8111-111111111111" },
      "chat:error",
    ],
    ["chat:send", { sessionId: crypto.randomUUID(), requestId: "22222222-2222-4222-8222-222222222222" }, "chat:error"],
    [
      "chat:send",
      { message: "   ", sessionId: crypto.randomUUID(), requestId: "33333333-3333-4333-8333-333333333333" },
      "chat:error",
    ],
    ["session:create", { requestId: "44444444-4444-4444-8444-444444444444", model: 42 }, "session:error"],
    ["session:list", { requestId: "not-a-uuid" }, "session:error"],
    [
      "session:subscribe",
      { sessionId: crypto.randomUUID(), requestId: "55555555-5555-4555-8555-555555555555", afterSeq: -1 },
      "session:error",
    ],
    [
      "chat:cancel",
      { sessionId: crypto.randomUUID(), requestId: "66666666-6666-4666-8666-666666666666" },
      "chat:error",
    ],
  ];
  for (const [event, payload, errorEvent] of cases) {
    test(`${event} ${JSON.stringify(payload).slice(0, 60)} → ${errorEvent} INVALID_PAYLOAD`, async () => {
      const client = await clients.connect();
      (client.socket.emit.bind(client.socket) as (e: string, p: unknown) => void)(event, payload);
      const error = await client.next(errorEvent);
      expect(error.code).toBe("INVALID_PAYLOAD");
      const sent = (payload as { requestId?: string }).requestId;
      expect(error.requestId).toBe(sent && sent !== "not-a-uuid" ? sent : NIL_REQUEST_ID);
    });
  }

  test("non-object payloads, missing payloads and unknown events get typed errors; the server stays up", async () => {
    const client = await clients.connect();
    const emit = client.socket.emit.bind(client.socket) as (e: string, ...p: unknown[]) => void;
    emit("chat:send", "just a string");
    expect((await client.next("chat:error")).code).toBe("INVALID_PAYLOAD");
    emit("session:list");
    expect((await client.next("session:error")).code).toBe("INVALID_PAYLOAD");
    emit("session:list", null);
    expect((await client.next("session:error")).code).toBe("INVALID_PAYLOAD");
    emit("session:destroy", { requestId: "77777777-7777-4777-8777-777777777777" });
    const unknown = await client.next("session:error");
    expect(unknown).toMatchObject({ code: "UNKNOWN_EVENT", requestId: "77777777-7777-4777-8777-777777777777" });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });

  test("an unknown session gets chat:error / session:error SESSION_NOT_FOUND", async () => {
    const client = await clients.connect();
    const requestId = crypto.randomUUID();
    const sessionId = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "hello", sessionId, requestId });
    expect(await client.next("chat:error")).toMatchObject({ code: "SESSION_NOT_FOUND", requestId, sessionId });
    const sub = crypto.randomUUID();
    client.socket.emit("session:subscribe", { sessionId, requestId: sub });
    expect(await client.next("session:error")).toMatchObject({ code: "SESSION_NOT_FOUND", requestId: sub });
  });
});

describe("chat", () => {
  test("a turn: queued, started, deltas, logs, response, all numbered and correlated", async () => {
    const client = await clients.connect();
    const session = await client.createSession({ model: "haiku" });
    const requestId = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "hello there", sessionId: session.id, requestId });
    const response = await client.next("chat:response", (p) => p.requestId === requestId);
    expect(response.response).toBe("Echo: hello there");
    expect(response.sessionId).toBe(session.id);

    const turn = client.received.filter(
      (m) => "requestId" in m.payload && m.payload.requestId === requestId && "seq" in m.payload,
    );
    expect(turn.map((m) => m.type)).toEqual([
      "chat:queued",
      "chat:started",
      "log",
      "chat:delta",
      "chat:delta",
      "log",
      "log",
      "chat:response",
    ]);
    const seqs = turn.map((m) => (m.payload as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    const logs = client.all("log").filter((l) => l.requestId === requestId);
    expect(response.logs).toEqual(logs.map((l) => l.data));
    expect(logs.every((l) => l.sessionId === session.id)).toBe(true);
    // The first message titles the session.
    const updated = await client.next(
      "session:updated",
      (p) => p.session.id === session.id && p.session.title === "hello there",
      { from: 0 },
    );
    expect(updated.session.title).toBe("hello there");
  });

  test("a second message sent while the first runs is queued and runs after it, in order", async () => {
    const client = await clients.connect();
    const session = await client.createSession({ model: "haiku" });
    let release!: () => void;
    runner.script({ gate: new Promise<void>((r) => (release = r)), deltas: ["first done"] });
    const first = crypto.randomUUID();
    const second = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "one", sessionId: session.id, requestId: first });
    await client.next("chat:started", (p) => p.requestId === first);
    client.socket.emit("chat:send", { message: "two", sessionId: session.id, requestId: second });
    await client.next("chat:queued", (p) => p.requestId === second);
    const queued = await client.next("session:updated", (p) => p.session.id === session.id && p.session.queued === 1, {
      from: 0,
    });
    expect(queued.session.status).toBe("running");
    release();
    const r2 = await client.next("chat:response", (p) => p.requestId === second);
    const r1 = client.all("chat:response").find((r) => r.requestId === first);
    expect(r1?.response).toBe("first done");
    expect(r2.response).toBe("Echo: two");
    expect((r1?.seq ?? 0) < r2.seq).toBe(true);
    const started2 = client.all("chat:started").find((s) => s.requestId === second);
    expect((r1?.seq ?? 0) < (started2?.seq ?? 0)).toBe(true);
  });

  test("turns in different sessions run in parallel and never mix", async () => {
    const client = await clients.connect();
    const a = await client.createSession({ model: "haiku" });
    const b = await client.createSession({ model: "haiku" });
    let releaseA!: () => void;
    runner.script({ gate: new Promise<void>((r) => (releaseA = r)), deltas: ["from A"] });
    const ra = crypto.randomUUID();
    const rb = crypto.randomUUID();
    const watcherA = await clients.connect();
    watcherA.socket.emit("session:subscribe", { sessionId: a.id, requestId: crypto.randomUUID(), afterSeq: 0 });
    await watcherA.next("session:subscribed");
    const watcherB = await clients.connect();
    watcherB.socket.emit("session:subscribe", { sessionId: b.id, requestId: crypto.randomUUID(), afterSeq: 0 });
    await watcherB.next("session:subscribed");

    watcherA.socket.emit("chat:send", { message: "A", sessionId: a.id, requestId: ra });
    await watcherA.next("chat:started", (p) => p.requestId === ra);
    watcherB.socket.emit("chat:send", { message: "B", sessionId: b.id, requestId: rb });
    // B finishes while A is still held: parallel, not serialised across sessions.
    const responseB = await watcherB.next("chat:response", (p) => p.requestId === rb);
    expect(responseB.response).toBe("Echo: B");
    expect(watcherA.all("chat:response")).toHaveLength(0);
    releaseA();
    const responseA = await watcherA.next("chat:response", (p) => p.requestId === ra);
    expect(responseA.sessionId).toBe(a.id);
    expect(
      watcherA.received.some(
        (m) => "sessionId" in m.payload && m.payload.sessionId === b.id && m.type !== "session:updated",
      ),
    ).toBe(false);
  });

  test("an agent failure becomes chat:error with its code and message", async () => {
    const client = await clients.connect();
    const session = await client.createSession({ model: "haiku" });
    runner.script({ fail: { code: "API_OVERLOADED", message: "API Error: 529 Overloaded" } });
    const requestId = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "x", sessionId: session.id, requestId });
    const error = await client.next("chat:error", (p) => p.requestId === requestId);
    expect(error).toMatchObject({
      code: "API_OVERLOADED",
      message: "API Error: 529 Overloaded",
      sessionId: session.id,
    });
    expect(typeof error.seq).toBe("number");
  });
});

describe("the sessions list as an inbox", () => {
  test("session:search answers with its requestId; pin and archive reach every client", async () => {
    const client = await clients.connect();
    const other = await clients.connect();
    const session = await client.createSession({ title: `Inbox ${crypto.randomUUID()}` });
    const requestId = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "Where is the QUASAR config?", sessionId: session.id, requestId });
    await client.next("chat:response", (p) => p.requestId === requestId);

    const search = crypto.randomUUID();
    client.socket.emit("session:search", { query: "  quasar ", requestId: search });
    const found = await client.next("session:found", (p) => p.requestId === search);
    expect(found.query).toBe("quasar");
    expect(found.results).toContainEqual({
      sessionId: session.id,
      snippet: "Where is the QUASAR config?",
      machineId: "local",
    });

    const pin = crypto.randomUUID();
    client.socket.emit("session:update", { sessionId: session.id, pinned: true, requestId: pin });
    const pinned = await other.next("session:updated", (p) => p.requestId === pin, { from: 0 });
    expect(pinned.session).toMatchObject({ id: session.id, pinned: true, archived: false });
    expect(pinned.session.lastMessage).toEqual({ from: "agent", text: "Echo: Where is the QUASAR config?" });
    expect(pinned.session.lastOutcome).toBe("done");
    expect(Session.safeParse(pinned.session).success).toBe(true);
  });

  test("an empty, a too long or a mistyped search gets session:error INVALID_PAYLOAD with its requestId", async () => {
    const client = await clients.connect();
    const emitRaw = client.socket.emit.bind(client.socket) as (event: string, payload: unknown) => void;
    for (const payload of [{ query: "   " }, { query: "x".repeat(201) }, { query: 42 }, {}]) {
      const requestId = crypto.randomUUID();
      emitRaw("session:search", { ...payload, requestId });
      const error = await client.next("session:error", (p) => p.requestId === requestId);
      expect(error.code).toBe("INVALID_PAYLOAD");
    }
    const badFlag = crypto.randomUUID();
    emitRaw("session:update", { sessionId: crypto.randomUUID(), pinned: "yes", requestId: badFlag });
    expect((await client.next("session:error", (p) => p.requestId === badFlag)).code).toBe("INVALID_PAYLOAD");
  });
});
