import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import type { TranscriptMirror } from "../../src/server/agent/transcriptMirror.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, httpError, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { startTestServer, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Every protocol event once more, end to end through the real stack: a
 * socket.io-client → the server → the real Claude Code CLI (Agent SDK) → the
 * fake Anthropic API on 127.0.0.1. Nothing but the LLM's HTTP endpoint is fake.
 */
const TIMEOUT = 60_000;
let api: FakeAnthropic;
let agentEnv: AgentEnv;
let server: TestServer;
let pids: number[];
const clients = new TestClients(() => server.url);

/**
 * One turn ("the secret fruit is quince"), the server stopped, every Claude Code transcript file
 * deleted (cleanupPeriodDays, a wiped ~/.claude), the mirror too if asked, the server started
 * again; then a new client subscribes and asks "which fruit did I name".
 */
async function askAfterLosingTranscripts({ mirrorToo }: { mirrorToo: boolean }) {
  const client = await clients.connect();
  const session = await client.createSession({ model: "haiku" });
  const first = client.send(session.id, "the secret fruit is quince");
  await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
  client.close();
  await server.stop();
  rmSync(join(agentEnv.configDir, "projects"), { recursive: true, force: true });
  if (mirrorToo) {
    const db = new Database(join(server.dataDir, "pocket-agent.sqlite"));
    db.run("DELETE FROM transcript_entries");
    db.close();
  }
  server = await start(server.dataDir, server.workdir);
  const again = await clients.connect();
  const subscribed = crypto.randomUUID();
  again.socket.emit("session:subscribe", { sessionId: session.id, requestId: subscribed, afterSeq: 0 });
  await again.next("session:subscribed", (p) => p.requestId === subscribed);
  return { again, session, second: again.send(session.id, "which fruit did I name") };
}

async function start(dataDir?: string, workdir?: string) {
  pids = [];
  const runner = ({ transcripts }: { transcripts: TranscriptMirror }) =>
    createSdkRunner({ maxTurns: 4, env: agentEnv.env, onSpawn: (pid) => pids.push(pid), transcripts });
  return startTestServer({ runner, dataDir, workdir: workdir ?? agentEnv.cwd });
}

beforeAll(async () => {
  setLogLevel("error");
  api = await startFakeAnthropic();
});
beforeEach(async () => {
  api.reset();
  agentEnv = makeAgentEnv(api.url);
  server = await start();
});
afterEach(async () => {
  clients.closeAll();
  await server.cleanup();
  agentEnv.cleanup();
});
afterAll(async () => {
  await api.close();
  setLogLevel("info");
});

describe("real Claude Code CLI through the server", () => {
  test(
    "a turn: the CLI's answer with the matching requestId, streamed deltas and its logs",
    async () => {
      api.when("say hello", reply().text("Hello from the real CLI, streamed in pieces."));
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const requestId = client.send(session.id, "please say hello");
      const response = await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("Hello from the real CLI, streamed in pieces.");
      expect(response.sessionId).toBe(session.id);

      const deltas = client.all("chat:delta").filter((d) => d.requestId === requestId);
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.map((d) => d.text).join("")).toBe(response.response);

      const logs = client.all("log").filter((l) => l.requestId === requestId);
      expect(response.logs).toEqual(logs.map((l) => l.data));
      const types = logs.map((l) => (JSON.parse(l.data) as { type: string }).type);
      expect(types).toContain("system");
      expect(types).toContain("assistant");
      expect(types.at(-1)).toBe("result");

      const seqs = client.received
        .filter((m) => m.type !== "session:updated" && "seq" in m.payload && m.payload.sessionId === session.id)
        .map((m) => (m.payload as { seq: number }).seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    },
    TIMEOUT,
  );

  test(
    "a tool step shows in the logs; a second message waits in the queue and runs on the warm process",
    async () => {
      api.when(
        "list files",
        reply().tool("Bash", { command: "echo tool-ran", description: "Print a marker" }),
        reply().text("Listed."),
      );
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const first = client.send(session.id, "list files please");
      const second = client.send(session.id, "and then echo");
      const r1 = await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
      const r2 = await client.next("chat:response", (p) => p.requestId === second, { timeoutMs: TIMEOUT });
      expect(r1.response).toBe("Listed.");
      expect(r2.response).toBe("Echo: and then echo");
      expect(r1.seq).toBeLessThan(client.all("chat:started").find((s) => s.requestId === second)?.seq ?? 0);
      const toolUse = r1.logs
        .map((d) => JSON.parse(d))
        .find((m) => m.type === "assistant" && JSON.stringify(m).includes('"tool_use"'));
      expect(JSON.stringify(toolUse)).toContain("echo tool-ran");
      expect(r1.logs.some((d) => d.includes("tool-ran") && d.includes("tool_result"))).toBe(true);
      expect(pids).toHaveLength(1); // one warm CLI process served both turns
    },
    TIMEOUT,
  );

  test(
    "an API error becomes chat:error API_ERROR with the CLI's message",
    async () => {
      api.enqueue(httpError(500, "boom"));
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const requestId = client.send(session.id, "fail please");
      const error = await client.next("chat:error", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(error.code).toBe("API_ERROR");
      expect(error.message).toContain("500");
      expect(error.seq).toBeNumber();
    },
    TIMEOUT,
  );

  test(
    "cancel mid-stream ends the turn with CANCELLED, and the next message works",
    async () => {
      api.when("write an essay", reply().textSlow("word ".repeat(400), { chunkChars: 5, delayMs: 20 }));
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const requestId = client.send(session.id, "write an essay");
      await client.next("chat:delta", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      client.socket.emit("chat:cancel", {
        sessionId: session.id,
        targetRequestId: requestId,
        requestId: crypto.randomUUID(),
      });
      const error = await client.next("chat:error", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(error.code).toBe("CANCELLED");
      const next = client.send(session.id, "are you there");
      expect((await client.next("chat:response", (p) => p.requestId === next, { timeoutMs: TIMEOUT })).response).toBe(
        "Echo: are you there",
      );
    },
    TIMEOUT,
  );

  test(
    "the CLI killed mid-turn: AGENT_CRASHED, then the next message resumes the conversation",
    async () => {
      api.when("long job", reply().textSlow("x".repeat(2000), { chunkChars: 2, delayMs: 20 }));
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const warm = client.send(session.id, "remember the word pineapple");
      await client.next("chat:response", (p) => p.requestId === warm, { timeoutMs: TIMEOUT });
      const doomed = client.send(session.id, "long job");
      await client.next("chat:delta", (p) => p.requestId === doomed, { timeoutMs: TIMEOUT });
      process.kill(pids[0] ?? -1, "SIGKILL");
      const error = await client.next("chat:error", (p) => p.requestId === doomed, { timeoutMs: TIMEOUT });
      expect(error.code).toBe("AGENT_CRASHED");

      const after = client.send(session.id, "what was the word");
      await client.next("chat:response", (p) => p.requestId === after, { timeoutMs: TIMEOUT });
      expect(pids).toHaveLength(2);
      const resumed = api.log.findLast((r) => r.userText === "what was the word");
      expect(JSON.stringify(resumed?.body.messages)).toContain("pineapple");
    },
    TIMEOUT,
  );

  test(
    "a restart on the same data dir lists the session and resumes the CLI conversation",
    async () => {
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const first = client.send(session.id, "my name is Ada");
      const r1 = await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
      client.close();
      await server.stop();

      server = await start(server.dataDir, server.workdir);
      const again = await clients.connect();
      expect(again.all("connection")[0]?.sessions.map((s) => s.id)).toContain(session.id);
      const second = again.send(session.id, "what is my name");
      const r2 = await again.next("chat:response", (p) => p.requestId === second, { timeoutMs: TIMEOUT });
      expect(r2.seq).toBeGreaterThan(r1.seq);
      const request = api.log.findLast((r) => r.userText === "what is my name");
      expect(JSON.stringify(request?.body.messages)).toContain("my name is Ada");
      expect(existsSync(join(agentEnv.configDir, "projects"))).toBe(true);
    },
    TIMEOUT,
  );
  test(
    "the CLI's transcript deleted, the server restarted: the conversation resumes from the mirror",
    async () => {
      const { again, second } = await askAfterLosingTranscripts({ mirrorToo: false });
      const response = await again.next("chat:response", (p) => p.requestId === second, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("Echo: which fruit did I name");
      const request = api.log.findLast((r) => r.userText === "which fruit did I name");
      expect(JSON.stringify(request?.body.messages)).toContain("the secret fruit is quince");
      expect(again.all("chat:notice")).toEqual([]);
      expect(again.all("chat:error")).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    "neither transcript nor mirror: the message runs in a new conversation, with a notice, no error",
    async () => {
      const { again, session, second } = await askAfterLosingTranscripts({ mirrorToo: true });
      const response = await again.next("chat:response", (p) => p.requestId === second, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("Echo: which fruit did I name");
      const notice = again.all("chat:notice").find((n) => n.requestId === second);
      expect(notice?.kind).toBe("context_lost");
      expect(notice?.seq).toBeLessThan(response.seq);
      expect(again.all("chat:error")).toEqual([]);
      const request = api.log.findLast((r) => r.userText === "which fruit did I name");
      expect(JSON.stringify(request?.body.messages)).not.toContain("quince");

      // The new conversation is the session's from now on: the next message remembers this one.
      const third = again.send(session.id, "and now");
      await again.next("chat:response", (p) => p.requestId === third, { timeoutMs: TIMEOUT });
      const latest = api.log.findLast((r) => r.userText === "and now");
      expect(JSON.stringify(latest?.body.messages)).toContain("which fruit did I name");
      expect(again.all("chat:notice")).toHaveLength(1);
    },
    TIMEOUT,
  );
});
