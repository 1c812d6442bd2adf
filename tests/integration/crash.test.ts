import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { startServerProcess } from "../fixtures/serverProcess.ts";
import { TestClient } from "../fixtures/testServer.ts";

/**
 * The server process SIGKILLed mid-turn (no shutdown code runs) and started
 * again on the same data dir: sessions, history and seq are intact, the
 * running turn is marked INTERRUPTED, and the conversation resumes from the
 * stored Claude session id. Real server process, real CLI, fake API.
 */
const TIMEOUT = 90_000;
let api: FakeAnthropic;
let agentEnv: AgentEnv;
let dataDir: string;

beforeAll(async () => {
  api = await startFakeAnthropic();
  agentEnv = makeAgentEnv(api.url);
  dataDir = mkdtempSync(join(tmpdir(), "pocket-crash-"));
});
afterAll(async () => {
  await api.close();
  agentEnv.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

const startServer = () => startServerProcess({ dataDir, agentEnv });

test(
  "SIGKILL mid-turn, then restart: history and seq intact, the turn INTERRUPTED, the conversation resumes",
  async () => {
    api.when("slow essay", reply().textSlow("tick ".repeat(2000), { chunkChars: 5, delayMs: 20 }));
    const first = await startServer();
    const client = await TestClient.connect(first.url);
    const created = crypto.randomUUID();
    client.socket.emit("session:create", { requestId: created, model: "haiku" });
    const session = await client.next("session:created", (p) => p.requestId === created);

    const done = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "the code word is marmalade", sessionId: session.id, requestId: done });
    await client.next("chat:response", (p) => p.requestId === done, { timeoutMs: TIMEOUT });
    const running = crypto.randomUUID();
    client.socket.emit("chat:send", { message: "slow essay", sessionId: session.id, requestId: running });
    await client.next("chat:delta", (p) => p.requestId === running, { timeoutMs: TIMEOUT });
    const seen = client.received.filter(
      (m) => "seq" in m.payload && m.payload.sessionId === session.id && m.type !== "session:updated",
    );
    const lastSeen = Math.max(...seen.map((m) => (m.payload as { seq: number }).seq));

    await first.kill("SIGKILL");
    client.close();

    const second = await startServer();
    try {
      const after = await TestClient.connect(second.url);
      expect(after.all("connection")[0]?.sessions.map((s) => s.id)).toContain(session.id);
      const sub = crypto.randomUUID();
      after.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId: sub });
      const subscribed = await after.next("session:subscribed", (p) => p.requestId === sub);
      const replayed = after.received.filter(
        (m) => "seq" in m.payload && m.payload.sessionId === session.id && m.type !== "session:updated",
      );
      const seqs = replayed.map((m) => (m.payload as { seq: number }).seq);
      // Everything the client saw before the kill is still there, numbered the same, except the streamed
      // pieces: the answered turn's text is in its chat:response, the interrupted turn's in one delta.
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const seenSeqs = (type: string, requestId?: string) =>
        seen
          .filter(
            (m) => m.type === type && (!requestId || (m.payload as { requestId: string }).requestId === requestId),
          )
          .map((m) => (m.payload as { seq: number }).seq);
      for (const type of ["chat:queued", "chat:started", "log", "chat:response"]) {
        expect(seqs).toEqual(expect.arrayContaining(seenSeqs(type)));
      }
      const partial = replayed.filter((m) => m.type === "chat:delta");
      expect(partial.map((m) => (m.payload as { seq: number }).seq)).toEqual([
        Math.min(...seenSeqs("chat:delta", running)),
      ]);
      const seenText = seen
        .filter((m) => m.type === "chat:delta" && (m.payload as { requestId: string }).requestId === running)
        .map((m) => (m.payload as { text: string }).text)
        .join("");
      expect((partial[0]?.payload as { text: string } | undefined)?.text.startsWith(seenText)).toBe(true);
      expect(seqs.at(-1)).toBe(subscribed.lastSeq);
      expect(subscribed.lastSeq).toBeGreaterThan(lastSeen);
      expect(replayed.filter((m) => m.type === "chat:response").map((m) => m.payload.requestId)).toEqual([done]);
      const interrupted = after.all("chat:error").find((e) => e.requestId === running);
      expect(interrupted?.code).toBe("INTERRUPTED");
      expect(interrupted?.seq).toBe(subscribed.lastSeq);

      const next = crypto.randomUUID();
      after.socket.emit("chat:send", { message: "what is the code word", sessionId: session.id, requestId: next });
      const response = await after.next("chat:response", (p) => p.requestId === next, { timeoutMs: TIMEOUT });
      expect(response.seq).toBeGreaterThan(subscribed.lastSeq);
      const resumed = api.log.findLast((r) => r.userText === "what is the code word");
      expect(JSON.stringify(resumed?.body.messages)).toContain("marmalade");
      after.close();
    } finally {
      await second.kill();
    }
  },
  TIMEOUT,
);
