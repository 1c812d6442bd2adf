import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
import { TEST_TOKEN, TestClient } from "../fixtures/testServer.ts";

/**
 * The server as people start it (`bun src/server/main.ts`, `npm run dev`): a
 * real process. Production is the default; development is `--dev` only, on
 * loopback only, and its page goes through pairing and the security headers
 * too. What the server starts never inherits its secrets.
 */
const ROOT = resolve(import.meta.dir, "../..");
let temp: string;

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), "pocket-startup-"));
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

interface Started {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string | null;
  output: string;
}

/** Starts the server; resolves once it listens (with its URL) or has exited (url null). */
async function startProcess(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const dir = mkdtempSync(join(temp, "run-"));
  const { NODE_ENV: _ignored, ...inherited } = process.env;
  const proc = spawn([process.execPath, "src/server/main.ts", ...args], {
    cwd: ROOT,
    env: {
      ...inherited,
      PORT: "0",
      HOST: "127.0.0.1",
      POCKET_DATA_DIR: join(dir, "data"),
      POCKET_WORKDIR: dir,
      POCKET_TOKEN: TEST_TOKEN,
      POCKET_LOG_LEVEL: "error",
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  let output = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    output += new TextDecoder().decode(value);
    const url = / on (http\S+)/.exec(output)?.[1];
    if (url) {
      reader.releaseLock();
      return { proc, url, output };
    }
  }
  await proc.exited;
  return { proc, url: null, output: output + (await new Response(proc.stderr).text()) };
}

describe("production by default", () => {
  test("without --dev the server serves the production build (or says it needs one), whatever NODE_ENV is", async () => {
    const started = await startProcess([], { NODE_ENV: "development" });
    try {
      if (existsSync(join(ROOT, "dist/index.html"))) {
        expect(started.url).not.toBeNull();
        const page = await fetch(`${started.url}/`);
        expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
        expect(await page.text()).not.toContain("/_bun/client/");
      } else {
        expect(started.url).toBeNull();
        expect(started.proc.exitCode).toBe(1);
        expect(started.output).toContain("No client build");
      }
    } finally {
      started.proc.kill();
      await started.proc.exited;
    }
  }, 30_000);

  test("--dev is refused with --lan or a non-loopback HOST", async () => {
    for (const [args, env] of [
      [["--dev", "--lan"], {}],
      [["--dev"], { HOST: "0.0.0.0" }],
    ] as const) {
      const started = await startProcess([...args], env);
      started.proc.kill();
      await started.proc.exited;
      expect(started.url).toBeNull();
      expect(started.proc.exitCode).toBe(2);
      expect(started.output).toContain("--dev serves the development build on loopback only");
    }
  }, 30_000);
});

describe("--dev", () => {
  let started: Started;
  let envFile: string;

  beforeAll(async () => {
    // Stands in for the Claude Code CLI: records the environment it was given, then fails the turn.
    envFile = join(temp, "agent-env.txt");
    const fakeCli = join(temp, "fake-claude");
    writeFileSync(fakeCli, `#!/bin/sh\nenv > '${envFile}'\necho 'fake CLI' >&2\nexit 3\n`);
    chmodSync(fakeCli, 0o755);
    started = await startProcess(["--dev"], { POCKET_CLAUDE_PATH: fakeCli, POCKET_STT_KEY: "sk-stt-secret-value" });
    expect(started.url).not.toBeNull();
  }, 30_000);
  afterAll(async () => {
    started.proc.kill();
    await started.proc.exited;
  });

  test("the bundled page goes through pairing and carries the security headers", async () => {
    const pair = await fetch(`${started.url}/?token=${TEST_TOKEN}`, { redirect: "manual" });
    expect(pair.status).toBe(303);
    expect(pair.headers.get("location")).toBe("/");
    expect(pair.headers.get("set-cookie")).toContain("pocket_auth=");

    const page = await fetch(`${started.url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/_bun/client/");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    // Bun injects an inline script into the page it bundles: the CSP names it by hash.
    expect(csp.match(/'sha256-/g)?.length).toBeGreaterThan(1);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
  }, 30_000);

  test("the agent's environment holds neither POCKET_TOKEN nor POCKET_STT_KEY", async () => {
    const client = await TestClient.connect(started.url ?? "");
    try {
      const session = await client.createSession({ model: "haiku" });
      const requestId = client.send(session.id, "hello");
      await client.next("chat:error", (p) => p.requestId === requestId, { timeoutMs: 30_000 });
      const env = readFileSync(envFile, "utf8");
      expect(env).toContain("PATH=");
      expect(env).not.toContain("POCKET_TOKEN");
      expect(env).not.toContain(TEST_TOKEN);
      expect(env).not.toContain("POCKET_STT_KEY");
      expect(env).not.toContain("sk-stt-secret-value");
    } finally {
      client.close();
    }
  }, 60_000);
});
