/**
 * `npm run bench`: every benchmark, each run side by side with its baseline,
 * printed as markdown for docs/benchmarks.md. `npm run bench -- NAME` runs one.
 */
const benches: Record<string, () => Promise<{ run(): Promise<string> }>> = {
  "turn-overhead": () => import("./turn-overhead.ts"),
  "protocol-throughput": () => import("./protocol-throughput.ts"),
};

const only = process.argv[2];
console.log(`Benchmarks on ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}\n`);
for (const [name, load] of Object.entries(benches)) {
  if (only && only !== name) continue;
  const bench = await load();
  console.log(`${await bench.run()}\n`);
}
process.exit(0);
