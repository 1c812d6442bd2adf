import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createFakeRunner, type FakeRunner } from "../fixtures/fakeAgentRunner.ts";
import { startTestServer, TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/** Numbered events, subscribe/replay, idempotency, cancel and restart, with the in-process fake agent. */
let server: TestServer;
let runner: FakeRunner;
const clients = new TestClients(() => server.url);

async function subscribe(client: TestClient, sessionId: string, afterSeq?: number) {
  const requestId = crypto.randomUUID();
  const from = client.received.length;
  client.socket.emit("session:subscribe", { sessionId, requestId, ...(afterSeq === undefined ? {} : { afterSeq }) });
  const done = await client.next("session:subscribed", (p) => p.requestId === requestId, { from });
  const end = client.received.findIndex(
    (m, i) => i >= from && m.type === "session:subscribed" && m.payload.requestId === requestId,
  );
  const replayed = client.received.slice(from, end);
  return { done, replayed };
}

function seqsOf(messages: TestClient["received"], sessionId: string): number[] {
  return messages
    .filter((m) => m.type !== "session:updated" && "seq" in m.payload && m.payload.sessionId === sessionId)
    .map((m) => (m.payload as { seq: number }).seq);
}

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

describe("subscribe and replay", () => {
  test("replays every stored event after afterSeq in order, then session:subscribed with lastSeq", async () => {
    const writer = await clients.connect();
    const session = await writer.createSession();
    for (const text of ["one", "two"]) {
      const requestId = crypto.randomUUID();
      writer.socket.emit("chat:send", { message: text, sessionId: session.id, requestId });
      await writer.next("chat:response", (p) => p.requestId === requestId);
    }
    const liveSeqs = seqsOf(writer.received, session.id);
    expect(liveSeqs).toEqual(liveSeqs.map((_, i) => i + 1));
    // Both turns answered: their text is in their chat:response, so their deltas are not kept.
    const stored = writer.received.filter(
      (m) =>
        m.type !== "session:updated" &&
        m.type !== "connection" &&
        m.type !== "session:created" &&
        m.type !== "chat:delta" &&
        "seq" in m.payload,
    );
    const live = seqsOf(stored, session.id);

    const reader = await clients.connect();
    const all = await subscribe(reader, session.id, 0);
    expect(seqsOf(all.replayed, session.id)).toEqual(live);
    expect(all.done.lastSeq).toBe(live.at(-1) ?? -1);
    expect(all.done.fromSeq).toBe(1);
    // Replayed under the original names and payloads (chat:response with its logs).
    expect(all.replayed).toEqual(stored);

    const tail = await subscribe(reader, session.id, 5);
    expect(seqsOf(tail.replayed, session.id)).toEqual(live.filter((s) => s > 5));
  });

  test("a socket dropped mid-turn catches up from its last seq: the rest exactly once, no gap", async () => {
    const phone = await clients.connect();
    const session = await phone.createSession();
    let release!: () => void;
    runner.script({ gate: new Promise<void>((r) => (release = r)), deltas: ["part 1 ", "part 2"] });
    const requestId = crypto.randomUUID();
    phone.socket.emit("chat:send", { message: "long job", sessionId: session.id, requestId });
    await phone.next("chat:delta", (p) => p.text === "part 2");
    const held = seqsOf(phone.received, session.id);
    phone.close(); // the phone locks

    release(); // the turn goes on without anyone watching
    const watcher = await clients.connect();
    await subscribe(watcher, session.id, 0);
    await watcher.next("chat:response", (p) => p.requestId === requestId, { from: 0 });

    const back = await clients.connect(); // the phone wakes with a new socket
    const { replayed } = await subscribe(back, session.id, held.at(-1));
    const rest = seqsOf(replayed, session.id);
    expect(rest[0]).toBe((held.at(-1) ?? 0) + 1);
    expect([...held, ...rest]).toEqual([...held, ...rest].map((_, i) => i + 1));
    expect(replayed.filter((m) => m.type === "chat:response")).toHaveLength(1);
  });

  test("two clients on one session see the same events", async () => {
    const phone = await clients.connect();
    const session = await phone.createSession();
    const laptop = await clients.connect();
    await subscribe(laptop, session.id, 0);
    const requestId = crypto.randomUUID();
    phone.socket.emit("chat:send", { message: "both", sessionId: session.id, requestId });
    await phone.next("chat:response", (p) => p.requestId === requestId);
    await laptop.next("chat:response", (p) => p.requestId === requestId, { from: 0 });
    expect(seqsOf(laptop.received, session.id)).toEqual(seqsOf(phone.received, session.id));
  });

  test("session:history pages backwards", async () => {
    const client = await clients.connect();
    const session = await client.createSession();
    const requestId = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "page me", sessionId: session.id, requestId });
    const response = await client.next("chat:response", (p) => p.requestId === requestId);
    const page = crypto.randomUUID();
    client.socket.emit("session:history", {
      sessionId: session.id,
      beforeSeq: response.seq,
      limit: 3,
      requestId: page,
    });
    const history = await client.next("session:history", (p) => p.requestId === page);
    const kept = seqsOf(
      client.received.filter((m) => m.type !== "chat:delta"),
      session.id,
    ).filter((seq) => seq < response.seq);
    expect(history.events.map((e) => e.payload.seq)).toEqual(kept.slice(-3));
    expect(history.hasMore).toBe(true);
  });
});

describe("idempotency and cancel", () => {
  test("the same requestId sent twice runs the turn once", async () => {
    const client = await clients.connect();
    const session = await client.createSession();
    const requestId = crypto.randomUUID();
    const before = runner.prompts.length;
    client.socket.emit("chat:send", { message: "only once", sessionId: session.id, requestId });
    await client.next("chat:response", (p) => p.requestId === requestId);
    const from = client.received.length;
    client.socket.emit("chat:send", { message: "only once", sessionId: session.id, requestId });
    const again = await client.next("chat:response", (p) => p.requestId === requestId, { from });
    expect(runner.prompts.length - before).toBe(1);
    expect(again.seq).toBe(client.all("chat:response").find((r) => r.requestId === requestId)?.seq ?? -1);
    expect(
      client
        .all("chat:queued")
        .filter((q) => q.requestId === requestId)
        .map((q) => q.seq),
    ).toHaveLength(2); // re-sent, same seq
    expect(
      new Set(
        client
          .all("chat:queued")
          .filter((q) => q.requestId === requestId)
          .map((q) => q.seq),
      ).size,
    ).toBe(1);
  });

  test("cancel stops the running turn with CANCELLED and drops a queued one", async () => {
    const client = await clients.connect();
    const session = await client.createSession();
    runner.script({ gate: new Promise<void>(() => {}) });
    const running = crypto.randomUUID();
    const queued = crypto.randomUUID();
    const after = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "forever", sessionId: session.id, requestId: running });
    await client.next("chat:started", (p) => p.requestId === running);
    client.socket.emit("chat:send", { message: "never", sessionId: session.id, requestId: queued });
    await client.next("chat:queued", (p) => p.requestId === queued);

    client.socket.emit("chat:cancel", {
      sessionId: session.id,
      targetRequestId: queued,
      requestId: crypto.randomUUID(),
    });
    expect(await client.next("chat:error", (p) => p.requestId === queued)).toMatchObject({ code: "CANCELLED" });
    client.socket.emit("chat:cancel", {
      sessionId: session.id,
      targetRequestId: running,
      requestId: crypto.randomUUID(),
    });
    expect(await client.next("chat:error", (p) => p.requestId === running)).toMatchObject({ code: "CANCELLED" });

    client.socket.emit("chat:send", { message: "next works", sessionId: session.id, requestId: after });
    expect((await client.next("chat:response", (p) => p.requestId === after)).response).toBe("Echo: next works");
    expect(client.all("chat:started").some((s) => s.requestId === queued)).toBe(false);

    const missing = crypto.randomUUID();
    client.socket.emit("chat:cancel", { sessionId: session.id, targetRequestId: running, requestId: missing });
    expect(await client.next("chat:error", (p) => p.requestId === missing)).toMatchObject({ code: "TURN_NOT_FOUND" });
  });

  test("a crashed agent ends the turn with AGENT_CRASHED and the next message resumes", async () => {
    const client = await clients.connect();
    const session = await client.createSession();
    const first = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "hello", sessionId: session.id, requestId: first });
    await client.next("chat:response", (p) => p.requestId === first);
    runner.script({ crash: true });
    const crashed = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "boom", sessionId: session.id, requestId: crashed });
    expect(await client.next("chat:error", (p) => p.requestId === crashed)).toMatchObject({ code: "AGENT_CRASHED" });
    const starts = runner.starts.length;
    const next = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "again", sessionId: session.id, requestId: next });
    await client.next("chat:response", (p) => p.requestId === next);
    expect(runner.starts.length).toBe(starts + 1);
    expect(runner.starts.at(-1)?.resumeSessionId).toBeString();
  });
});

describe("warm processes", () => {
  test("an idle session's agent process is closed after the idle timeout and resumed by the next message", async () => {
    const idleRunner = createFakeRunner();
    const idle = await startTestServer({ runner: idleRunner, env: { POCKET_IDLE_TIMEOUT_MS: "1000" } });
    try {
      const client = await TestClient.connect(idle.url);
      const session = await client.createSession();
      for (const text of ["one", "two"]) {
        const requestId = crypto.randomUUID();
        client.socket.emit("chat:send", { message: text, sessionId: session.id, requestId });
        await client.next("chat:response", (p) => p.requestId === requestId);
      }
      expect(idleRunner.starts).toHaveLength(1); // the second turn reused the warm process
      await idleRunner.nextClose();
      const requestId = crypto.randomUUID();
      client.socket.emit("chat:send", { message: "three", sessionId: session.id, requestId });
      await client.next("chat:response", (p) => p.requestId === requestId);
      expect(idleRunner.starts).toHaveLength(2);
      expect(idleRunner.starts[1]?.resumeSessionId).toBeString();
      client.close();
    } finally {
      await idle.cleanup();
    }
  });
});

describe("restart", () => {
  test("a restart on the same data dir keeps sessions, history and seq, and marks running turns interrupted", async () => {
    const first = await startTestServer({ runner: createFakeRunner() });
    const fakeRunner = createFakeRunner();
    try {
      let client = await TestClient.connect(first.url);
      const session = await client.createSession();
      const done = crypto.randomUUID();
      client.socket.emit("chat:send", { message: "remember me", sessionId: session.id, requestId: done });
      const response = await client.next("chat:response", (p) => p.requestId === done);
      client.close();
      await first.stop();

      const second = await startTestServer({ runner: fakeRunner, dataDir: first.dataDir, workdir: first.workdir });
      try {
        client = await TestClient.connect(second.url);
        expect(client.all("connection")[0]?.sessions.map((s) => s.id)).toContain(session.id);
        const requestId = crypto.randomUUID();
        client.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId });
        const subscribed = await client.next("session:subscribed", (p) => p.requestId === requestId);
        expect(subscribed.lastSeq).toBe(response.seq);
        expect(client.all("chat:response")[0]?.response).toBe("Echo: remember me");

        const next = crypto.randomUUID();
        client.socket.emit("chat:send", { message: "continue", sessionId: session.id, requestId: next });
        const resumed = await client.next("chat:response", (p) => p.requestId === next);
        expect(resumed.seq).toBeGreaterThan(response.seq);
        expect(fakeRunner.starts[0]?.resumeSessionId).toBeString();
        client.close();
      } finally {
        await second.stop();
      }
    } finally {
      await first.cleanup();
    }
  });
});
