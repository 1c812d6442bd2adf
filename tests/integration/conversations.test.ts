import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createFakeRunner, type FakeRunner } from "../fixtures/fakeAgentRunner.ts";
import { startTestServer, type TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * The agent's conversation behind a session, with the in-process fake agent. The same with the
 * real CLI (transcript files deleted, the mirror used or missing) is in realAgent.test.ts.
 */
let server: TestServer;
let runner: FakeRunner;
const clients = new TestClients(() => server.url);

beforeAll(async () => {
  runner = createFakeRunner();
  server = await startTestServer({ runner, env: { POCKET_IDLE_TIMEOUT_MS: "1000" } });
});
afterEach(() => {
  clients.closeAll();
});
afterAll(async () => {
  await server.cleanup();
});

async function turn(client: TestClient, sessionId: string, message: string) {
  const requestId = client.send(sessionId, message);
  return client.next("chat:response", (p) => p.requestId === requestId);
}

function claudeSessionOf(client: TestClient, sessionId: string): string {
  const log = client.all("log").find((l) => l.sessionId === sessionId);
  return (JSON.parse(log?.data ?? "{}") as { session_id?: string }).session_id ?? "";
}

describe("a lost conversation", () => {
  test("the turn runs in a new one, after a chat:notice that is stored and replayed", async () => {
    const client = await clients.connect();
    const session = await client.createSession({ model: "haiku" });
    await turn(client, session.id, "remember this");
    const lost = claudeSessionOf(client, session.id);
    runner.lost.add(lost);
    // The warm process goes (idle timeout); the next turn must resume a conversation that is gone.
    await runner.nextClose();

    const response = await turn(client, session.id, "still there?");
    expect(response.response).toBe("Echo: still there?");
    const notice = client.all("chat:notice").find((n) => n.requestId === response.requestId);
    expect(notice).toMatchObject({ kind: "context_lost", sessionId: session.id });
    expect(client.all("chat:error")).toEqual([]);
    expect(runner.starts.at(-2)?.resumeSessionId).toBe(lost);
    expect(runner.starts.at(-1)?.resumeSessionId).toBeUndefined();

    const reader = await clients.connect();
    const requestId = crypto.randomUUID();
    reader.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId });
    await reader.next("session:subscribed", (p) => p.requestId === requestId);
    expect(reader.all("chat:notice")).toEqual(notice ? [notice] : []);
  });
});

describe("deleting a session", () => {
  test("forgets its mirrored conversation", async () => {
    const client = await clients.connect();
    const session = await client.createSession({ model: "haiku" });
    await turn(client, session.id, "private");
    const claudeSessionId = claudeSessionOf(client, session.id);
    const requestId = crypto.randomUUID();
    client.socket.emit("session:delete", { sessionId: session.id, requestId });
    await client.next("session:deleted", (p) => p.requestId === requestId);
    expect(runner.forgotten).toContain(claudeSessionId);
  });
});
