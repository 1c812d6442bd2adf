/**
 * `npm run bench`: every benchmark, each run side by side with its baseline,
 * printed as markdown for docs/benchmarks.md. `npm run bench -- NAME` runs one.
 */
import { loadAverage, loadNote } from "./lib.ts";

const benches: Record<string, () => Promise<string>> = {
  "turn-overhead": async () => (await import("./turn-overhead.ts")).run(),
  "protocol-throughput": async () => (await import("./protocol-throughput.ts")).run(),
  replay: async () => (await import("./replay.ts")).run(),
  storage: async () => (await import("./storage.ts")).run(),
  agents: async () => (await import("./agents.ts")).run(),
  lighthouse: async () => (await import("./lighthouse.ts")).run(),
  startup: async () => (await import("./startup.ts")).run(),
  reopen: async () => (await import("./reopen.ts")).run(),
  markdown: async () => (await import("./markdown.ts")).run(),
  projects: async () => (await import("./projects.ts")).run(),
  machines: async () => (await import("./machines.ts")).run(),
  "transcribe-overhead": async () => {
    const result = await (await import("./transcribe-overhead.ts")).run();
    return [
      "### transcribe-overhead (5 s clip, pocketsphinx; overhead = total − engine)",
      "",
      result.header,
      result.rows,
      "",
      `Server overhead, warm: **${result.overhead.median.toFixed(1)} ms median** (target ≤ 150 ms; ffmpeg step ${result.decode.median.toFixed(1)} ms), against ${result.baseline.overhead.median.toFixed(1)} ms cold. Engine time warm ${result.engine.median.toFixed(1)} ms against ${result.baseline.engine.median.toFixed(1)} ms cold (a cold start alone: ${result.engineStart.median.toFixed(1)} ms). Total ${result.total.median.toFixed(1)} ms against ${result.baseline.total.median.toFixed(1)} ms. Load average ${result.load.before.toFixed(1)} → ${result.load.after.toFixed(1)}.`,
    ].join("\n");
  },
};

const only = process.argv[2];
console.log(`Benchmarks on ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}\n`);
for (const [name, bench] of Object.entries(benches)) {
  if (only && only !== name) continue;
  const before = loadAverage();
  const report = await bench();
  const after = loadAverage();
  // Measured on a busy machine, a benchmark measures the load, not the code.
  console.log(`${report}\n\n${name}: ${loadNote(before, after)}\n`);
}
process.exit(0);
