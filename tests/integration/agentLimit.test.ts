import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { defaultMaxAgents } from "../../src/server/config.ts";
import { createFakeRunner, type FakeRunner, gate } from "../fixtures/fakeAgentRunner.ts";
import { startTestServer, type TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * POCKET_MAX_AGENTS: at most that many agent processes at once. A turn that needs one closes
 * the least recently used idle process; when all are busy it waits, visibly (`chat:queued`
 * says `waitingFor: "agent"`), and starts as soon as one is free.
 */
let server: TestServer;
let runner: FakeRunner;
const clients = new TestClients(() => server.url);

beforeEach(async () => {
  runner = createFakeRunner();
  server = await startTestServer({ runner, env: { POCKET_MAX_AGENTS: "2" } });
});
afterEach(async () => {
  clients.closeAll();
  await server.cleanup();
});

/** The Claude Code session id the agent reported for a session (in its `log` events). */
function claudeSessionOf(client: TestClient, sessionId: string): string | undefined {
  const log = client.all("log").find((l) => l.sessionId === sessionId);
  return log ? (JSON.parse(log.data) as { session_id?: string }).session_id : undefined;
}

async function threeSessions(client: TestClient) {
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => client.createSession({ model: "haiku" })));
  if (!a || !b || !c) throw new Error("sessions");
  return [a, b, c] as const;
}

/** Sessions A and B each hold one of the two agents on a gated turn; C's turn is sent and queued. */
async function bothAgentsBusyAndOneWaiting(client: TestClient) {
  const [a, b, c] = await threeSessions(client);
  const holdA = gate();
  const holdB = gate();
  runner.script({ gate: holdA.promise }, { gate: holdB.promise });
  const ra = send(client, a.id, "a");
  const rb = send(client, b.id, "b");
  await client.next("chat:started", (p) => p.requestId === rb);
  const rc = send(client, c.id, "c");
  const queued = await client.next("chat:queued", (p) => p.requestId === rc);
  return { a, b, c, holdA, holdB, ra, rb, rc, queued };
}

function send(client: TestClient, sessionId: string, message: string): string {
  const requestId = crypto.randomUUID();
  client.socket.emit("chat:send", { message, sessionId, requestId });
  return requestId;
}

describe("POCKET_MAX_AGENTS", () => {
  test("when every agent is busy a turn waits, says why, and starts when one is free", async () => {
    const client = await clients.connect();
    const { holdA, holdB, ra, rb, rc, queued } = await bothAgentsBusyAndOneWaiting(client);
    expect(queued.waitingFor).toBe("agent");
    expect(runner.live).toBe(2);

    // A ends: its idle process is closed for C, which starts before B ends.
    holdA.open();
    await client.next("chat:response", (p) => p.requestId === ra);
    const responseC = await client.next("chat:response", (p) => p.requestId === rc);
    expect(responseC.response).toBe("Echo: c");
    expect(client.all("chat:response").map((r) => r.requestId)).not.toContain(rb);
    holdB.open();
    await client.next("chat:response", (p) => p.requestId === rb);
    expect(runner.peakLive).toBe(2);
    expect(client.all("chat:queued").find((q) => q.requestId === ra)?.waitingFor).toBeUndefined();
  });

  test("an idle agent is closed, least recently used first, so a new turn starts at once", async () => {
    const client = await clients.connect();
    const [a, b, c] = await threeSessions(client);
    for (const session of [a, b]) {
      const id = send(client, session.id, "warm up");
      await client.next("chat:response", (p) => p.requestId === id);
    }
    expect(runner.live).toBe(2);
    const closed = runner.nextClose();
    const rc = send(client, c.id, "c");
    expect((await client.next("chat:queued", (p) => p.requestId === rc)).waitingFor).toBeUndefined();
    await client.next("chat:response", (p) => p.requestId === rc);
    await closed;
    expect(runner.peakLive).toBe(2);

    // A's process, the least recently used, was the one closed; B stayed warm.
    expect(runner.closed).toEqual([claudeSessionOf(client, a.id) ?? "a's session id"]);
    const startsBefore = runner.starts.length;
    const rb = send(client, b.id, "still warm?");
    await client.next("chat:response", (p) => p.requestId === rb);
    expect(runner.starts.length).toBe(startsBefore);
    // A's next turn starts a new process that resumes its conversation.
    const again = send(client, a.id, "are you there");
    await client.next("chat:response", (p) => p.requestId === again);
    expect(runner.starts.at(-1)?.resumeSessionId).toBe(claudeSessionOf(client, a.id));
  });

  test("a closed agent counts until it has exited: its replacement starts after", async () => {
    const client = await clients.connect();
    const [a, b, c] = await threeSessions(client);
    for (const session of [a, b]) {
      const id = send(client, session.id, "warm up");
      await client.next("chat:response", (p) => p.requestId === id);
    }
    const exit = gate();
    runner.exitGate = exit.promise;
    const startsBefore = runner.starts.length;
    const rc = send(client, c.id, "c");
    await client.next("chat:queued", (p) => p.requestId === rc);
    // A's process is closing but has not exited: C's must not start yet.
    const sync = await client.createSession({ model: "haiku" }); // a round trip through the server
    expect(sync.id).toBeString();
    expect(runner.starts.length).toBe(startsBefore);
    expect(client.all("chat:started").map((s) => s.requestId)).not.toContain(rc);
    exit.open();
    runner.exitGate = undefined;
    await client.next("chat:response", (p) => p.requestId === rc);
    expect(runner.starts.length).toBe(startsBefore + 1);
    expect(runner.peakLive).toBe(2);
  });

  test("a waiting turn can be cancelled; it never starts", async () => {
    const client = await clients.connect();
    const { c, holdA, holdB, ra, rb, rc } = await bothAgentsBusyAndOneWaiting(client);
    client.socket.emit("chat:cancel", { sessionId: c.id, targetRequestId: rc, requestId: crypto.randomUUID() });
    const cancelled = await client.next("chat:error", (p) => p.requestId === rc);
    expect(cancelled.code).toBe("CANCELLED");
    // Both waits are set before either turn can end: `next` only sees frames that arrive after it is
    // called, and B may finish first.
    const responses = [ra, rb].map((id) => client.next("chat:response", (p) => p.requestId === id));
    holdA.open();
    holdB.open();
    await Promise.all(responses);
    expect(runner.prompts).not.toContain("c");
    expect(client.all("chat:started").map((s) => s.requestId)).not.toContain(rc);
  });

  test("waiting turns start in the order they were sent", async () => {
    const client = await clients.connect();
    const sessions = await Promise.all([1, 2, 3, 4, 5].map(() => client.createSession({ model: "haiku" })));
    const holds = sessions.slice(0, 2).map(() => gate());
    runner.script(...holds.map((h) => ({ gate: h.promise })));
    const busy = sessions.slice(0, 2).map((s) => send(client, s.id, "busy"));
    await Promise.all(busy.map((id) => client.next("chat:started", (p) => p.requestId === id)));
    const waiting = sessions.slice(2).map((s, i) => send(client, s.id, `waiting ${i}`));
    await Promise.all(waiting.map((id) => client.next("chat:queued", (p) => p.requestId === id)));
    for (const hold of holds) hold.open();
    await Promise.all(waiting.map((id) => client.next("chat:response", (p) => p.requestId === id)));
    const startedOrder = client
      .all("chat:started")
      .map((s) => s.requestId)
      .filter((id) => waiting.includes(id));
    expect(startedOrder).toEqual(waiting);
    expect(runner.peakLive).toBe(2);
  });
});

describe("the default", () => {
  test("a quarter of memory in ~220 MB agents, between 2 and 8", () => {
    const GB = 1024 ** 3;
    expect(defaultMaxAgents(1 * GB)).toBe(2);
    expect(defaultMaxAgents(4 * GB)).toBe(4);
    expect(defaultMaxAgents(8 * GB)).toBe(8);
    expect(defaultMaxAgents(64 * GB)).toBe(8);
  });
});
