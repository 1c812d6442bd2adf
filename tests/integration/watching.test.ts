import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { ServerMessage } from "../../src/shared/messages.ts";
import { createFakeRunner, type FakeRunner, gate } from "../fixtures/fakeAgentRunner.ts";
import { startTestServer, type TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Which socket hears which session: a socket watches every session it subscribed to (or
 * created) until it unsubscribes, and the socket that sent a turn always hears that turn's
 * lifecycle (queued, started, approvals, outcome), whatever it watches. No frame twice.
 */
let server: TestServer;
let runner: FakeRunner;
const clients = new TestClients(() => server.url);

beforeAll(async () => {
  runner = createFakeRunner();
  // More sessions run at once here than the default agent limit allows on a small machine.
  server = await startTestServer({ runner, env: { POCKET_MAX_AGENTS: "50" } });
});
afterEach(() => {
  clients.closeAll();
});
afterAll(async () => {
  await server.cleanup();
});

async function subscribe(client: TestClient, sessionId: string): Promise<void> {
  const requestId = crypto.randomUUID();
  client.socket.emit("session:subscribe", { sessionId, requestId, afterSeq: 0 });
  await client.next("session:subscribed", (p) => p.requestId === requestId);
}

async function unsubscribe(client: TestClient, sessionId: string): Promise<void> {
  const requestId = crypto.randomUUID();
  client.socket.emit("session:unsubscribe", { sessionId, requestId });
  await client.next("session:unsubscribed", (p) => p.requestId === requestId);
}

function send(client: TestClient, sessionId: string, message: string): string {
  const requestId = crypto.randomUUID();
  client.socket.emit("chat:send", { message, sessionId, requestId });
  return requestId;
}

/** The session events (numbered frames) this client received for one session, as `type@seq`. */
function framesOf(client: TestClient, sessionId: string): string[] {
  return client.received
    .filter(
      (m): m is Extract<ServerMessage, { payload: { seq: number } }> =>
        "seq" in m.payload && typeof m.payload.seq === "number" && m.payload.sessionId === sessionId,
    )
    .map((m) => `${m.type}@${m.payload.seq}`);
}

function expectNoDuplicates(frames: string[]): void {
  expect(new Set(frames).size).toBe(frames.length);
}

describe("one socket, several sessions", () => {
  test("two sessions on one socket are answered concurrently, each exactly once", async () => {
    const client = await clients.connect();
    const a = await client.createSession({ model: "haiku" });
    const b = await client.createSession({ model: "haiku" });
    const holdA = gate();
    const holdB = gate();
    runner.script({ gate: holdA.promise, deltas: ["from A"] }, { gate: holdB.promise, deltas: ["from B"] });
    const ra = send(client, a.id, "to A");
    await client.next("chat:started", (p) => p.requestId === ra);
    const rb = send(client, b.id, "to B");
    await client.next("chat:started", (p) => p.requestId === rb);
    holdB.open();
    holdA.open();
    const [responseA, responseB] = await Promise.all([
      client.next("chat:response", (p) => p.requestId === ra),
      client.next("chat:response", (p) => p.requestId === rb),
    ]);
    expect(responseA).toMatchObject({ sessionId: a.id, response: "from A" });
    expect(responseB).toMatchObject({ sessionId: b.id, response: "from B" });
    // Both sessions are watched: the deltas of both arrived too, and nothing twice.
    expect(client.all("chat:delta").map((d) => d.sessionId)).toEqual(expect.arrayContaining([a.id, b.id]));
    for (const id of [a.id, b.id]) expectNoDuplicates(framesOf(client, id));
  });

  test("many sessions sent over one socket at once all answer", async () => {
    const client = await clients.connect();
    const sessions = await Promise.all(Array.from({ length: 12 }, () => client.createSession({ model: "haiku" })));
    const hold = gate();
    runner.script(...sessions.map(() => ({ gate: hold.promise })));
    const ids = sessions.map((s) => send(client, s.id, `hello ${s.id}`));
    // All twelve turns run at once before any of them answers.
    await Promise.all(ids.map((id) => client.next("chat:started", (p) => p.requestId === id)));
    hold.open();
    const responses = await Promise.all(ids.map((id) => client.next("chat:response", (p) => p.requestId === id)));
    expect(responses.map((r) => r.response)).toEqual(sessions.map((s) => `Echo: hello ${s.id}`));
  });

  test("switching sessions mid-turn: the sender still gets its turn's outcome, without its stream", async () => {
    const client = await clients.connect();
    const a = await client.createSession({ model: "haiku" });
    const b = await client.createSession({ model: "haiku" });
    const holdA = gate();
    runner.script({ gate: holdA.promise, deltas: ["part one "], ask: { toolName: "Bash", input: { command: "ls" } } });
    const ra = send(client, a.id, "long job");
    await client.next("chat:delta", (p) => p.requestId === ra);

    // The phone switches to B: subscribe there, stop watching A.
    await subscribe(client, b.id);
    await unsubscribe(client, a.id);
    const afterSwitch = client.received.length;

    // A's approval still reaches the sender; answering it lets the turn go on.
    holdA.open();
    const ask = await client.next("permission:request", (p) => p.requestId === ra, { from: afterSwitch });
    client.socket.emit("permission:respond", {
      sessionId: a.id,
      permissionId: ask.permissionId,
      decision: "allow",
      requestId: crypto.randomUUID(),
    });
    await client.next("permission:resolved", (p) => p.permissionId === ask.permissionId);
    const response = await client.next("chat:response", (p) => p.requestId === ra);
    expect(response.response).toBe("part one ");

    // After the switch only A's lifecycle arrived, never its deltas or logs, and nothing twice.
    const aFramesAfterSwitch = client.received
      .slice(afterSwitch)
      .filter((m) => "sessionId" in m.payload && m.payload.sessionId === a.id && m.type !== "session:updated")
      .map((m) => m.type);
    expect(aFramesAfterSwitch).toEqual(["permission:request", "permission:resolved", "chat:response"]);
    expectNoDuplicates(framesOf(client, a.id));

    // A later turn in A, sent from elsewhere, is no longer this socket's business.
    const other = await clients.connect();
    await subscribe(other, a.id);
    const rOther = send(other, a.id, "from the other device");
    await other.next("chat:response", (p) => p.requestId === rOther);
    const b2 = send(client, b.id, "ping B");
    await client.next("chat:response", (p) => p.requestId === b2);
    expect(client.received.some((m) => "requestId" in m.payload && m.payload.requestId === rOther)).toBe(false);
  });

  test("a sender that never watched the session hears queued, started and the outcome", async () => {
    const creator = await clients.connect();
    const session = await creator.createSession({ model: "haiku" });
    const script = await clients.connect();
    const requestId = send(script, session.id, "from a script");
    await script.next("chat:response", (p) => p.requestId === requestId);
    expect(framesOf(script, session.id).map((f) => f.split("@")[0])).toEqual([
      "chat:queued",
      "chat:started",
      "chat:response",
    ]);
  });

  test("a failed turn reaches its sender too, once", async () => {
    const creator = await clients.connect();
    const session = await creator.createSession({ model: "haiku" });
    const sender = await clients.connect();
    await subscribe(sender, session.id);
    runner.script({ fail: { code: "API_ERROR", message: "API Error: 500" } });
    const requestId = send(sender, session.id, "fail");
    const error = await sender.next("chat:error", (p) => p.requestId === requestId);
    expect(error.code).toBe("API_ERROR");
    expectNoDuplicates(framesOf(sender, session.id));
    expect(sender.all("chat:error").filter((e) => e.requestId === requestId)).toHaveLength(1);
  });
});

describe("two sockets, one session", () => {
  test("both watchers see every event once; the sender's own frames are not doubled", async () => {
    const sender = await clients.connect();
    const session = await sender.createSession({ model: "haiku" });
    const watcher = await clients.connect();
    await subscribe(watcher, session.id);
    runner.script({ deltas: ["a", "b", "c"] });
    const requestId = send(sender, session.id, "three deltas");
    await Promise.all([
      sender.next("chat:response", (p) => p.requestId === requestId),
      watcher.next("chat:response", (p) => p.requestId === requestId),
    ]);
    const senderFrames = framesOf(sender, session.id);
    expect(senderFrames).toEqual(framesOf(watcher, session.id));
    expectNoDuplicates(senderFrames);
    expect(senderFrames.filter((f) => f.startsWith("chat:delta"))).toHaveLength(3);
  });

  test("a retried chat:send replays the turn to the retrying socket and follows it to the end", async () => {
    const first = await clients.connect();
    const session = await first.createSession({ model: "haiku" });
    const hold = gate();
    runner.script({ gate: hold.promise, deltas: ["slow"] });
    const requestId = send(first, session.id, "retry me");
    await first.next("chat:started", (p) => p.requestId === requestId);

    // The phone lost its connection before it saw the answer and retries with the same id.
    const retry = await clients.connect();
    retry.socket.emit("chat:send", { message: "retry me", sessionId: session.id, requestId });
    await retry.next("chat:started", (p) => p.requestId === requestId);
    hold.open();
    const response = await retry.next("chat:response", (p) => p.requestId === requestId);
    expect(response.response).toBe("slow");
    expectNoDuplicates(framesOf(retry, session.id));
  });
});

describe("session:unsubscribe", () => {
  test("stops the session's frames and is confirmed with its requestId", async () => {
    const client = await clients.connect();
    const session = await client.createSession({ model: "haiku" });
    await unsubscribe(client, session.id);
    const other = await clients.connect();
    await subscribe(other, session.id);
    const requestId = send(other, session.id, "unseen");
    await other.next("chat:response", (p) => p.requestId === requestId);
    const marker = await client.createSession({ model: "haiku" }); // a round trip after the turn
    expect(marker.id).toBeString();
    expect(framesOf(client, session.id)).toEqual([]);
  });

  test("of an unknown session: session:error SESSION_NOT_FOUND with the requestId", async () => {
    const client = await clients.connect();
    const requestId = crypto.randomUUID();
    client.socket.emit("session:unsubscribe", { sessionId: crypto.randomUUID(), requestId });
    const error = await client.next("session:error", (p) => p.requestId === requestId);
    expect(error.code).toBe("SESSION_NOT_FOUND");
  });

  test("a malformed one: session:error INVALID_PAYLOAD with the requestId", async () => {
    const client = await clients.connect();
    const requestId = crypto.randomUUID();
    client.socket.emit("session:unsubscribe", { sessionId: "nope", requestId } as never);
    const error = await client.next("session:error", (p) => p.requestId === requestId);
    expect(error.code).toBe("INVALID_PAYLOAD");
    expect(error.message).toContain("sessionId");
  });
});
