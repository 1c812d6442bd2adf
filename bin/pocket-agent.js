#!/usr/bin/env node
/**
 * The `pocket-agent` command. Pocket Agent runs on Bun, which comes from the `bun` npm package
 * installed with it (not from PATH: a global install links only this package's own bin). This
 * Node launcher finds that Bun, runs src/cli/main.ts with it in the current directory, passes
 * signals on, and exits with its exit code.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function findBun() {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve("bun/package.json"));
    // The package's install script replaces bin/bun.exe (all platforms) with the native binary.
    const bin = join(dir, "bin", "bun.exe");
    if (existsSync(bin)) return bin;
  } catch {
    // Not installed: reported below.
  }
  return null;
}

const bun = findBun();
if (!bun) {
  console.error(
    "pocket-agent: the Bun runtime it depends on is missing. Reinstall with scripts enabled: npm install -g pocket-agent",
  );
  process.exit(1);
}

const child = spawn(bun, [join(root, "src", "cli", "main.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, POCKET_COMMAND: "pocket-agent", POCKET_NODE_VERSION: process.version },
});

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => {
  console.error(`pocket-agent: could not run Bun (${bun}): ${error.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
