/**
 * bench/replay: a session with 10,000 stored events (a realistic mix of
 * logs, deltas and turns); how long the server takes to answer
 * `session:subscribe` from seq 0 and from seq 9,900.
 *
 * Reported side by side: the raw SQLite read of the same rows (baseline),
 * the session service's replay (read + parse), and the full round trip seen
 * by a socket.io-client (request → every replayed event → session:subscribed).
 * Targets: ≤ 150 ms from 0 and ≤ 10 ms from 9,900 of server time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SessionStore } from "../src/server/sessions/store.ts";
import { openDatabase } from "../src/server/storage/database.ts";
import { createFakeRunner } from "../tests/fixtures/fakeAgentRunner.ts";
import { startTestServer, TestClient } from "../tests/fixtures/testServer.ts";
import { summarize } from "./lib.ts";

const EVENTS = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function seed(dataDir: string, workdir: string): string {
  const db = openDatabase(dataDir);
  const store = new SessionStore(db);
  const sessionId = crypto.randomUUID();
  store.createSession({
    id: sessionId,
    title: "long session",
    model: "haiku",
    cwd: workdir,
    permissionMode: "default",
    createdAt: new Date().toISOString(),
  });
  const toolLog = JSON.stringify({
    type: "assistant",
    message: { content: [{ type: "tool_use", name: "Bash", input: { command: "ls -la src && git status" } }] },
    session_id: sessionId,
  });
  store.transaction(() => {
    let n = 0;
    while (n < EVENTS) {
      const requestId = crypto.randomUUID();
      const at = new Date().toISOString();
      store.appendEvent(sessionId, "chat:queued", { requestId, message: `step ${n}: fix the failing test`, at });
      store.appendEvent(sessionId, "chat:started", { requestId, at });
      for (let i = 0; i < 20; i++) store.appendEvent(sessionId, "log", { requestId, data: toolLog });
      for (let i = 0; i < 25; i++)
        store.appendEvent(sessionId, "chat:delta", { requestId, text: "some streamed words " });
      store.appendEvent(sessionId, "chat:response", {
        requestId,
        response: "Done: the test passes now.",
        logs: Array.from({ length: 20 }, () => toolLog),
        durationMs: 1234,
      });
      n += 48;
    }
  });
  db.close();
  return sessionId;
}

export async function run(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "pocket-bench-replay-"));
  const workdir = mkdtempSync(join(tmpdir(), "pocket-bench-work-"));
  const sessionId = seed(dataDir, workdir);
  const server = await startTestServer({
    runner: createFakeRunner(),
    dataDir,
    workdir,
    env: { POCKET_LOG_LEVEL: "error" },
  });
  const client = await TestClient.connect(server.url);
  const raw = openDatabase(dataDir);
  const rawRead = raw.query<{ payload: string }, [string, number]>(
    "SELECT payload FROM events WHERE session_id = ? AND seq > ? ORDER BY seq",
  );
  try {
    const lastSeq = server.service.get(sessionId).lastSeq;
    const lines: string[] = [];
    for (const afterSeq of [0, lastSeq - 100]) {
      const sqlite: number[] = [];
      const service: number[] = [];
      const roundTrip: number[] = [];
      let count = 0;
      for (let i = 0; i < RUNS + 2; i++) {
        const warm = i < 2;
        let t0 = performance.now();
        rawRead.all(sessionId, afterSeq);
        if (!warm) sqlite.push(performance.now() - t0);
        t0 = performance.now();
        count = server.service.replay(sessionId, afterSeq).events.length;
        if (!warm) service.push(performance.now() - t0);
        const requestId = crypto.randomUUID();
        client.received.length = 0;
        t0 = performance.now();
        client.socket.emit("session:subscribe", { sessionId, afterSeq, requestId });
        await client.next("session:subscribed", (p) => p.requestId === requestId, { from: 0, timeoutMs: 60_000 });
        if (!warm) roundTrip.push(performance.now() - t0);
      }
      const [a, b, c] = [summarize(sqlite), summarize(service), summarize(roundTrip)];
      lines.push(
        `| from seq ${afterSeq} (${count} events) | ${a.p50.toFixed(1)} | ${b.p50.toFixed(1)} | ${c.p50.toFixed(1)} / ${c.p95.toFixed(1)} |`,
      );
    }
    return [
      `### replay (${lastSeq} stored events, median of ${RUNS} runs)`,
      "",
      "| subscribe | raw SQLite read ms (baseline) | service replay ms (read + parse) | round trip to session:subscribed ms (p50 / p95) |",
      "| --- | ---: | ---: | ---: |",
      ...lines,
      "",
      "Targets: ≤ 150 ms of server time from seq 0, ≤ 10 ms from seq 9,900.",
    ].join("\n");
  } finally {
    raw.close();
    client.close();
    await server.cleanup();
    rmSync(workdir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
