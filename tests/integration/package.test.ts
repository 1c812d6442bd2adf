import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import packageJson from "../../package.json" with { type: "json" };

/**
 * The package as a new user gets it: `npm pack` (which builds the client), then
 * `npm install -g ./pocket-agent-*.tgz` into a temporary prefix, then the installed
 * `pocket-agent` run from an unrelated folder. One pack and one install per run (slow: the
 * install unpacks the Claude Code CLI, ~400 MB, from the npm cache).
 */
const ROOT = resolve(import.meta.dir, "../..");
let temp: string;
let prefix: string;
let tarball: string;
let installed: string;
let command: string;

/** A user's environment: none of Pocket Agent's variables, none of the npm run's own. */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|POCKET_|ANTHROPIC_|CLAUDE_|PORT$|HOST$|INIT_CWD$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, CLAUDE_CONFIG_DIR: join(temp, "claude"), POCKET_LOG_LEVEL: "error", ...extra };
}

function run(argv: string[], cwd: string, env = userEnv()): { code: number; out: string } {
  const proc = Bun.spawnSync(argv, { cwd, env, stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode ?? 1, out: `${proc.stdout.toString()}${proc.stderr.toString()}` };
}

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), "pocket-package-"));
  prefix = join(temp, "prefix");
  const packed = run(["npm", "pack", "--pack-destination", temp], ROOT);
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
  tarball = join(temp, `pocket-agent-${packageJson.version}.tgz`);
  const install = run(
    ["npm", "install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tarball],
    temp,
  );
  if (install.code !== 0) throw new Error(`npm install -g failed:\n${install.out}`);
  installed = join(prefix, "lib", "node_modules", "pocket-agent");
  command = join(prefix, "bin", "pocket-agent");
}, 600_000);
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("the packed command", () => {
  test("the tarball holds the built client and the server, not the tests or the client's sources", () => {
    const files = run(["tar", "tzf", tarball], temp).out.split("\n").filter(Boolean);
    expect(files).toContain("package/bin/pocket-agent.js");
    expect(files).toContain("package/dist/index.html");
    expect(files).toContain("package/dist/sw.js");
    expect(files).toContain("package/src/cli/main.ts");
    expect(files).toContain("package/src/server/main.ts");
    expect(files.filter((f) => /\.test\.ts$|^package\/(tests|src\/client|bench|scripts)\//.test(f))).toEqual([]);
  });

  test("no dev dependency is installed", () => {
    // What the installed packages themselves depend on (a dependency may share a name with one of ours).
    const required = new Set<string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (name.startsWith(".")) continue;
        const path = join(dir, name);
        if (name.startsWith("@")) {
          walk(path);
          continue;
        }
        const manifest = join(path, "package.json");
        if (!existsSync(manifest)) continue;
        const pkg = JSON.parse(readFileSync(manifest, "utf8"));
        for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
          for (const dep of Object.keys(pkg[field] ?? {})) required.add(dep);
        }
        if (existsSync(join(path, "node_modules"))) walk(join(path, "node_modules"));
      }
    };
    walk(join(installed, "node_modules"));
    const ours: string[] = [];
    for (const [name, version] of Object.entries(packageJson.devDependencies)) {
      const manifest = join(installed, "node_modules", name, "package.json");
      if (!existsSync(manifest)) continue;
      const found = JSON.parse(readFileSync(manifest, "utf8")).version;
      // Present only as some dependency's own dependency, in another version than ours.
      if (!required.has(name) || found === version) ours.push(`${name}@${found}`);
    }
    expect(ours).toEqual([]);
    for (const buildOnly of ["bun-plugin-tailwind", "tailwindcss", "react", "@playwright/test", "@biomejs/biome"]) {
      expect(existsSync(join(installed, "node_modules", buildOnly))).toBe(false);
    }
  });

  test("--help and doctor run", () => {
    const elsewhere = mkdtempSync(join(temp, "cwd-"));
    const help = run([command, "--help"], elsewhere);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: pocket-agent [command] [options]");
    const doctor = run([command, "doctor", "--port", "0", "--data-dir", join(temp, "doctor")], elsewhere);
    expect(doctor.out).toMatch(/✓ Node and Bun\s+Bun \d+\.\d+\.\d+ \(from the bun package\), Node v\d+/);
    // The bundled Claude Code CLI was installed and answered (not logged in: no key here).
    expect(doctor.out).toMatch(/✗ Claude Code\s+not logged in/);
    expect(doctor.out).toContain("→ Run `pocket-agent login`, or set ANTHROPIC_API_KEY");
    expect(doctor.code).toBe(1);
    const bad = run([command, "start", "--port", "nope"], elsewhere);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain("--port: Invalid input");
  });

  test("start from another folder serves /healthz and the app, with that folder as working root", async () => {
    const elsewhere = mkdtempSync(join(temp, "project-"));
    mkdirSync(join(elsewhere, "src"));
    const dataDir = join(temp, "data");
    const proc = Bun.spawn([command, "start", "--port", "0", "--data-dir", dataDir], {
      cwd: elsewhere,
      env: userEnv({ ANTHROPIC_API_KEY: "sk-ant-not-a-real-key" }),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const reader = proc.stdout.getReader();
      let output = "";
      while (!/Working root/.test(output) || !/\?token=/.test(output)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`exited before listening:\n${output}${await new Response(proc.stderr).text()}`);
        output += new TextDecoder().decode(value);
      }
      reader.releaseLock();
      const url = / on (http\S+)/.exec(output)?.[1] ?? "";
      expect(output).toMatch(/Claude Code\s+✓ logged in \(ANTHROPIC_API_KEY\)/);
      expect(output).toMatch(new RegExp(`Data dir\\s+${dataDir}`));
      expect(output).toMatch(new RegExp(`Working root\\s+${elsewhere}`));

      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const html = await page.text();
      expect(html).toBe(readFileSync(join(installed, "dist", "index.html"), "utf8"));
      const script = /src="\/(chunk-[a-z0-9]+\.js)"/.exec(html)?.[1] ?? "";
      expect(script).not.toBe("");
      const chunk = await fetch(`${url}/${script}`);
      expect(chunk.status).toBe(200);
      expect(chunk.headers.get("content-type")).toContain("javascript");
    } finally {
      // SIGTERM to the launcher reaches the server, which stops cleanly.
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
    expect(existsSync(join(dataDir, "server.json"))).toBe(false);
  });
});
