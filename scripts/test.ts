/**
 * `npm test`: every test the project has, in one command that works on a
 * fresh Debian machine. It installs the system packages the real-parts tests
 * need (when run as root), runs unit + integration tests with `bun test`,
 * builds the client and runs the Playwright E2E suite against it, then prints
 * one closing line: `N passed, N failed`.
 */
import { existsSync } from "node:fs";

const systemNeeds: { bin: string; pkg: string }[] = [
  { bin: "/usr/bin/chromium", pkg: "chromium" },
  { bin: "ffmpeg", pkg: "ffmpeg" },
  { bin: "espeak-ng", pkg: "espeak-ng" },
  { bin: "pocketsphinx_continuous", pkg: "pocketsphinx" },
  { bin: "/usr/share/pocketsphinx/model/en-us/en-us", pkg: "pocketsphinx-en-us" },
  { bin: "openssl", pkg: "openssl" },
  // Projects: real repositories, and Claude Code run interactively in a pseudo-terminal (`script`).
  { bin: "git", pkg: "git" },
  { bin: "script", pkg: "bsdutils" },
];

const has = (bin: string) => (bin.startsWith("/") ? existsSync(bin) : Bun.which(bin) !== null);

async function run(cmd: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, write: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      output += text;
      write(text);
    }
  };
  await Promise.all([
    pump(proc.stdout, (s) => process.stdout.write(s)),
    pump(proc.stderr, (s) => process.stderr.write(s)),
  ]);
  return { code: await proc.exited, output };
}

async function ensureSystemPackages(): Promise<void> {
  const missing = systemNeeds.filter((n) => !has(n.bin)).map((n) => n.pkg);
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !has("apt-get")) {
    console.error(
      `Missing system packages: ${missing.join(" ")}\nInstall them with: sudo apt-get install -y ${missing.join(" ")}`,
    );
    process.exit(1);
  }
  console.log(`Installing system packages: ${missing.join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if ((await run(["apt-get", "update"], env)).code !== 0) process.exit(1);
  if ((await run(["apt-get", "install", "-y", "--no-install-recommends", ...missing], env)).code !== 0) process.exit(1);
}

function count(output: string, pattern: RegExp): number {
  let total = 0;
  for (const match of output.matchAll(pattern)) total += Number(match[1]);
  return total;
}

await ensureSystemPackages();
const only = process.argv[2];
let passed = 0;
let failed = 0;
let exitCode = 0;

if (only !== "e2e") {
  const unit = await run([process.execPath, "test", "--timeout", "60000"], { POCKET_LOG_LEVEL: "error" });
  passed += count(unit.output, /^\s*(\d+) pass$/gm);
  failed += count(unit.output, /^\s*(\d+) fail$/gm);
  if (unit.code !== 0) exitCode = 1;
}
if (only !== "unit") {
  const build = await run([process.execPath, "scripts/build.ts"]);
  if (build.code !== 0) exitCode = 1;
  const e2e = await run(["npx", "playwright", "test"]);
  passed += count(e2e.output, /^\s*(\d+) passed/gm);
  failed += count(e2e.output, /^\s*(\d+) failed/gm) + count(e2e.output, /^\s*(\d+) flaky/gm);
  if (e2e.code !== 0) exitCode = 1;
}
if (exitCode !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(exitCode);
