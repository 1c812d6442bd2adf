/**
 * bench/protocol-throughput: C socket.io-client connections × R round trips
 * of `session:list` through the full server (validation, SQLite, auth)
 * against a bare Socket.IO echo on bun-engine, in the same run.
 * Target: full server ≥ 80 % of the bare echo's throughput.
 */
import { io, type Socket } from "socket.io-client";
import { TEST_TOKEN } from "../tests/fixtures/testServer.ts";
import { spawnServer, summarize } from "./lib.ts";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);

async function drive(url: string) {
  const sockets: Socket[] = await Promise.all(
    Array.from({ length: CLIENTS }, () => {
      const socket = io(url, {
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
        auth: { token: TEST_TOKEN },
      });
      return new Promise<Socket>((resolve, reject) => {
        socket.once("connect", () => resolve(socket));
        socket.once("connect_error", reject);
      });
    }),
  );
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    sockets.map(async (socket) => {
      for (let i = 0; i < ROUNDS; i++) {
        const requestId = crypto.randomUUID();
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          const onList = (payload: { requestId: string }) => {
            if (payload.requestId !== requestId) return;
            socket.off("session:list", onList);
            resolve();
          };
          socket.on("session:list", onList);
          socket.emit("session:list", { requestId });
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const s of sockets) s.close();
  return { throughput: latencies.length / seconds, ...summarize(latencies) };
}

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

/**
 * Both servers run at once and are driven in alternation, REPEATS times each,
 * so a burst of load from elsewhere on this shared machine hits both alike.
 * The median run (by throughput) of each is reported.
 */
export async function run(): Promise<string> {
  const servers = {
    "bare echo (baseline)": await spawnServer("bench/servers/echoServer.ts"),
    "pocket-agent server": await spawnServer("bench/servers/fullServer.ts"),
  };
  const runs: Record<string, Awaited<ReturnType<typeof drive>>[]> = {};
  try {
    for (const server of Object.values(servers)) await drive(server.url); // warm-up: JIT, SQLite page cache
    for (let i = 0; i < REPEATS; i++) {
      for (const [name, server] of Object.entries(servers)) {
        runs[name] ??= [];
        runs[name].push(await drive(server.url));
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  const median = (name: string) => {
    const sorted = [...(runs[name] ?? [])].sort((a, b) => a.throughput - b.throughput);
    return sorted[Math.floor(sorted.length / 2)];
  };
  const rows = Object.keys(servers).map((name) => {
    const r = median(name);
    return `| ${name} | ${r?.throughput.toFixed(0)} | ${r?.p50.toFixed(1)} | ${r?.p99.toFixed(1)} |`;
  });
  const ratio = (median("pocket-agent server")?.throughput ?? 0) / (median("bare echo (baseline)")?.throughput ?? 1);
  return [
    `### protocol-throughput (${CLIENTS} clients × ${ROUNDS} round trips of session:list, median of ${REPEATS} alternating runs)`,
    "",
    "| server | round trips/s | p50 ms | p99 ms |",
    "| --- | ---: | ---: | ---: |",
    ...rows,
    "",
    `Full server / bare echo throughput: **${(ratio * 100).toFixed(0)} %** (target ≥ 80 %).`,
  ].join("\n");
}

if (import.meta.main) console.log(await run());
