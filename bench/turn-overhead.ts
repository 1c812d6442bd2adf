/**
 * bench/turn-overhead: the latency Pocket Agent adds to a Claude Code turn.
 *
 * Path A (server): socket.io-client → server (validation, SQLite event log,
 * session queue) → warm CLI (Agent SDK) → fake Anthropic API → back.
 * Path B (baseline): the same warm CLI driven directly with the SDK's
 * `query()` on the same fake API. Turns alternate A, B, A, B… so load from
 * elsewhere on this shared machine hits both alike.
 * Also: the first turn of a new session (process start included) on both paths.
 * Targets: ≤ 5 ms median added warm; first turn ≤ 30 ms slower than the SDK's.
 */
import { query, type SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import { createSdkRunner } from "../src/server/agent/sdkRunner.ts";
import { setLogLevel } from "../src/server/logger.ts";
import { makeAgentEnv } from "../tests/fixtures/agentEnv.ts";
import { startFakeAnthropic } from "../tests/fixtures/fakeAnthropic.ts";
import { startTestServer, TestClient } from "../tests/fixtures/testServer.ts";
import { summarize } from "./lib.ts";

const WARM_TURNS = Number(process.env.BENCH_TURNS ?? 80);
const COLD_STARTS = Number(process.env.BENCH_COLD ?? 10);

/** The SDK on its own: one long-lived query() with streaming input, one message at a time. */
function directSdk(env: Record<string, string>, cwd: string) {
  const pending: ((m: SDKUserMessage) => void)[] = [];
  const queued: SDKUserMessage[] = [];
  const input: AsyncIterable<SDKUserMessage> = {
    async *[Symbol.asyncIterator]() {
      for (;;) yield queued.shift() ?? (await new Promise<SDKUserMessage>((r) => pending.push(r)));
    },
  };
  const q = query({
    prompt: input,
    options: { env: { ...process.env, ...env }, cwd, model: "haiku", maxTurns: 2, includePartialMessages: true },
  });
  const iterator = q[Symbol.asyncIterator]();
  return {
    async turn(text: string): Promise<number> {
      const t0 = performance.now();
      const message: SDKUserMessage = {
        type: "user",
        message: { role: "user", content: text },
        parent_tool_use_id: null,
      };
      const waiter = pending.shift();
      if (waiter) waiter(message);
      else queued.push(message);
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) throw new Error("SDK stream ended");
        if (value.type === "result") return performance.now() - t0;
      }
    },
    close: () => q.close(),
  };
}

export async function run(): Promise<string> {
  setLogLevel("error");
  const api = await startFakeAnthropic();
  const agentEnv = makeAgentEnv(api.url);
  const server = await startTestServer({
    runner: createSdkRunner({ maxTurns: 2, env: agentEnv.env }),
    workdir: agentEnv.cwd,
  });
  const client = await TestClient.connect(server.url);

  const serverTurn = async (sessionId: string, text: string) => {
    const requestId = crypto.randomUUID();
    const t0 = performance.now();
    client.socket.emit("chat:send", { message: text, sessionId, requestId });
    await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: 60_000 });
    return performance.now() - t0;
  };
  const newSession = async () => {
    const requestId = crypto.randomUUID();
    client.socket.emit("session:create", { requestId, model: "haiku" });
    return (await client.next("session:created", (p) => p.requestId === requestId)).id;
  };

  try {
    // Cold: first turn of a new session (CLI start included), alternating paths.
    const coldServer: number[] = [];
    const coldSdk: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      const t0 = performance.now();
      const id = await newSession();
      await serverTurn(id, `cold ${i}`);
      coldServer.push(performance.now() - t0);
      const sdk = directSdk(agentEnv.env, agentEnv.cwd);
      coldSdk.push(await sdk.turn(`cold ${i}`));
      sdk.close();
    }

    // Warm: one session each, warmed up, then alternating turns.
    const sessionId = await newSession();
    const sdk = directSdk(agentEnv.env, agentEnv.cwd);
    for (let i = 0; i < 3; i++) {
      await serverTurn(sessionId, `warm-up ${i}`);
      await sdk.turn(`warm-up ${i}`);
    }
    const warmServer: number[] = [];
    const warmSdk: number[] = [];
    for (let i = 0; i < WARM_TURNS; i++) {
      warmServer.push(await serverTurn(sessionId, `turn ${i}`));
      warmSdk.push(await sdk.turn(`turn ${i}`));
    }
    sdk.close();

    // Each server turn is paired with the SDK turn right after it; the median of the differences
    // is less sensitive to load swings on this shared machine than a difference of medians.
    const warmAdded = summarize(warmServer.map((t, i) => t - (warmSdk[i] ?? t)));
    const coldAdded = summarize(coldServer.map((t, i) => t - (coldSdk[i] ?? t)));
    const ws = summarize(warmServer);
    const wb = summarize(warmSdk);
    const cs = summarize(coldServer);
    const cb = summarize(coldSdk);
    const row = (name: string, s: ReturnType<typeof summarize>) =>
      `| ${name} | ${s.n} | ${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} |`;
    return [
      `### turn-overhead (${WARM_TURNS} warm turns, ${COLD_STARTS} first turns, alternating server and SDK)`,
      "",
      "| path | n | median ms | p95 ms |",
      "| --- | ---: | ---: | ---: |",
      row("warm turn via server", ws),
      row("warm turn via SDK directly (baseline)", wb),
      row("first turn via server (create + send)", cs),
      row("first turn via SDK directly (baseline)", cb),
      "",
      `Added by the server, warm: **${warmAdded.p50.toFixed(1)} ms median** of paired differences (p95 ${warmAdded.p95.toFixed(1)} ms; difference of medians ${(ws.p50 - wb.p50).toFixed(1)} ms); target ≤ 5 ms.`,
      `Added by the server, first turn: **${coldAdded.p50.toFixed(1)} ms median** of paired differences (difference of medians ${(cs.p50 - cb.p50).toFixed(1)} ms); target ≤ 30 ms.`,
    ].join("\n");
  } finally {
    client.close();
    await server.cleanup();
    await api.close();
    agentEnv.cleanup();
  }
}

if (import.meta.main) console.log(await run());
