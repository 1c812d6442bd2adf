/**
 * bench/machines: one home server linking M remotes (default 5) with S sessions each (default 10),
 * every server its own process with the in-process fake agent (docs/scaling.md, issue 21).
 *
 * Measured: how long linking each machine takes (`machine:add` → `machine:added`, its sessions
 * cached and subscribed); then T turns in every remote session at once, sent by a client of each
 * remote directly, while one client of home watches all M×S sessions: the relayed events per
 * second at home, and the extra latency of the hop (an event's arrival at home's client minus its
 * arrival at the remote's own client, by `(sessionId, seq)`). The baseline is the direct client.
 *
 * `npm run bench -- machines` (BENCH_MACHINES, BENCH_SESSIONS, BENCH_TURNS). Run it on an idle machine.
 */
import { io, type Socket } from "socket.io-client";
import { TEST_TOKEN } from "../tests/fixtures/testServer.ts";
import { spawnServer, summarize } from "./lib.ts";

const MACHINES = Number(process.env.BENCH_MACHINES ?? 5);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10);
const TURNS = Number(process.env.BENCH_TURNS ?? 5);

interface Received {
  event: string;
  payload: { sessionId?: string; seq?: number; requestId?: string; machine?: { id: string } };
  at: number;
}

function connect(url: string): Promise<{ socket: Socket; received: Received[]; sessions: { id: string }[] }> {
  const socket = io(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    auth: { token: TEST_TOKEN },
  });
  const received: Received[] = [];
  return new Promise((resolve, reject) => {
    socket.onAny((event: string, payload: Received["payload"] & { sessions?: { id: string }[] }) => {
      received.push({ event, payload, at: performance.now() });
      if (event === "connection") resolve({ socket, received, sessions: payload.sessions ?? [] });
    });
    socket.once("connect_error", reject);
  });
}

function until(received: Received[], match: (r: Received) => boolean, timeoutMs = 60_000): Promise<Received> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      const found = received.find(match);
      if (found) return resolve(found);
      if (Date.now() - started > timeoutMs) return reject(new Error("bench: timed out"));
      setTimeout(check, 5);
    };
    check();
  });
}

const key = (r: Received) => `${r.payload.sessionId}:${r.payload.seq}`;

export async function run(): Promise<string> {
  const home = await spawnServer("bench/servers/fullServer.ts", { BENCH_SESSIONS: "0" });
  const remotes = await Promise.all(
    Array.from({ length: MACHINES }, () =>
      spawnServer("bench/servers/fullServer.ts", { BENCH_SESSIONS: String(SESSIONS) }),
    ),
  );
  try {
    const watcher = await connect(home.url);
    const linkMs: number[] = [];
    for (const remote of remotes) {
      const requestId = crypto.randomUUID();
      const t0 = performance.now();
      watcher.socket.emit("machine:add", { url: remote.url, token: TEST_TOKEN, requestId });
      await until(watcher.received, (r) => r.payload.requestId === requestId);
      linkMs.push(performance.now() - t0);
    }
    const listed = await connect(home.url);
    const sessions = listed.sessions.map((s) => s.id);
    listed.socket.close();
    for (const sessionId of sessions) {
      watcher.socket.emit("session:subscribe", { sessionId, requestId: crypto.randomUUID() });
    }

    const directs = await Promise.all(remotes.map((remote) => connect(remote.url)));
    for (const direct of directs) {
      for (const s of direct.sessions) {
        direct.socket.emit("session:subscribe", { sessionId: s.id, requestId: crypto.randomUUID() });
      }
    }
    const watchedFrom = watcher.received.length;
    const started = performance.now();
    const finals: string[] = [];
    for (let turn = 0; turn < TURNS; turn++) {
      for (const direct of directs) {
        for (const s of direct.sessions) {
          const requestId = crypto.randomUUID();
          finals.push(requestId);
          direct.socket.emit("chat:send", { sessionId: s.id, message: `turn ${turn}`, requestId });
        }
      }
    }
    const done = new Set(finals);
    await until(
      watcher.received,
      () => {
        const ended = watcher.received
          .slice(watchedFrom)
          .filter(
            (r) => (r.event === "chat:response" || r.event === "chat:error") && done.has(r.payload.requestId ?? ""),
          );
        return ended.length >= finals.length;
      },
      300_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const relayed = watcher.received.slice(watchedFrom).filter((r) => typeof r.payload.seq === "number");
    const direct = new Map<string, number>();
    for (const d of directs)
      for (const r of d.received) if (typeof r.payload.seq === "number") direct.set(key(r), r.at);
    const hop = relayed.flatMap((r) => {
      const at = direct.get(key(r));
      return at === undefined ? [] : [r.at - at];
    });
    const link = summarize(linkMs);
    const extra = summarize(hop);
    for (const d of directs) d.socket.close();
    watcher.socket.close();
    return [
      `### machines (${MACHINES} remotes × ${SESSIONS} sessions, ${TURNS} turns each, fake agent)`,
      "",
      "| measure | p50 | p95 | p99 |",
      "| --- | --- | --- | --- |",
      `| link one machine (machine:add → machine:added), ms | ${link.p50.toFixed(1)} | ${link.p95.toFixed(1)} | ${link.p99.toFixed(1)} |`,
      `| extra latency of the hop (home's client − remote's client), ms | ${extra.p50.toFixed(1)} | ${extra.p95.toFixed(1)} | ${extra.p99.toFixed(1)} |`,
      "",
      `${relayed.length} events relayed to home's client in ${seconds.toFixed(1)} s: **${(relayed.length / seconds).toFixed(0)} events/s** across ${sessions.length} sessions on ${MACHINES} machines.`,
    ].join("\n");
  } finally {
    await Promise.all([home, ...remotes].map((s) => s.stop()));
  }
}
