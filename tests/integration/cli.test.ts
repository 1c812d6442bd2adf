import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { io } from "socket.io-client";
import { readStoredToken } from "../../src/server/auth/token.ts";
import { startTestServer, type TestServer } from "../fixtures/testServer.ts";

/**
 * The `pocket-agent` commands as a user runs them: a real process (`bun src/cli/main.ts`, what
 * bin/pocket-agent.js runs), started in another folder, with its own data dir. The packed and
 * installed command is tests/integration/package.test.ts.
 */
const MAIN = resolve(import.meta.dir, "../../src/cli/main.ts");
let temp: string;
let elsewhere: string;

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), "pocket-cli-"));
  elsewhere = join(temp, "some project");
  mkdirSync(elsewhere);
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** The environment of a user with none of Pocket Agent's variables set. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(POCKET_|ANTHROPIC_|CLAUDE_|PORT$|HOST$|XDG_CONFIG_HOME$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, CLAUDE_CONFIG_DIR: join(temp, "claude"), POCKET_LOG_LEVEL: "error", ...extra };
}

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    cwd: elsewhere,
    env: cleanEnv(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out, err };
}

describe("arguments", () => {
  test("each mistake gets one clear message and exit code 2", async () => {
    const cases: [string[], string][] = [
      [["--prot", "3000"], "Unknown option '--prot'"],
      [["start", "--port", "70000"], "--port: Too big"],
      [["doctor", "--port", "abc"], "--port: Invalid input"],
      [["token", "renew"], 'Unknown action "renew"'],
      [["service", "reload"], 'Unknown action "reload"'],
      [["frobnicate"], 'Unknown command "frobnicate"'],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.err).toContain(message);
      expect(result.out).toBe("");
    }
  });

  test("--help for the command and each subcommand; --version", async () => {
    const main = await cli(["--help"]);
    expect(main.code).toBe(0);
    for (const command of ["start", "pair", "token rotate", "doctor", "login", "service install"]) {
      expect(main.out).toContain(command);
    }
    const doctor = await cli(["doctor", "--help"]);
    expect(doctor.out).toContain("Usage: pocket-agent doctor");
    expect((await cli(["--version"])).out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("doctor", () => {
  test("all set: every needed check passes and it exits 0, without calling any API", async () => {
    const dataDir = join(temp, "doctor-ok");
    const result = await cli(["doctor", "--port", "0", "--data-dir", dataDir], {
      ANTHROPIC_API_KEY: "sk-ant-not-a-real-key",
      // Any request the CLI made would fail here, and no test server listens.
      ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
    });
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out).toContain("✓ Claude Code");
    expect(result.out).toContain("logged in (ANTHROPIC_API_KEY)");
    expect(result.out).toMatch(/✓ Data dir\s+.*will be created/);
    expect(result.out).toContain("Everything needed is in place.");
  });

  test("not logged in and a busy port: ✗ with the exact fixes, exit 1", async () => {
    const busy: Server = createServer();
    await new Promise<void>((done) => busy.listen(0, "127.0.0.1", done));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await cli(["doctor", "--port", String(port), "--data-dir", join(temp, "doctor-bad")]);
      expect(result.code).toBe(1);
      expect(result.out).toMatch(/✗ Claude Code\s+not logged in/);
      expect(result.out).toContain("→ Run `npm run cli -- login`, or set ANTHROPIC_API_KEY");
      expect(result.out).toMatch(new RegExp(`✗ Port\\s+127\\.0\\.0\\.1:${port} cannot be used \\(EADDRINUSE\\)`));
      expect(result.out).toContain(`--port ${port + 1}`);
      expect(result.out).toContain("2 needed things are missing");
    } finally {
      busy.close();
    }
  });

  test("an unwritable data dir is needed; the LAN check appears with --lan", async () => {
    if (process.getuid?.() === 0) {
      // Root writes anywhere: a file in the way is the unwritable case here.
      writeFileSync(join(temp, "a-file"), "");
    }
    const locked = join(temp, "locked");
    mkdirSync(locked, { mode: 0o500 });
    const dataDir = process.getuid?.() === 0 ? join(temp, "a-file", "data") : join(locked, "data");
    const result = await cli(["doctor", "--lan", "--port", "0", "--data-dir", dataDir], { ANTHROPIC_API_KEY: "sk-x" });
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/✗ Data dir\s+.* is not (a )?writable/);
    expect(result.out).toMatch(/→ (Give yourself the folder|Move .* out of the way)/);
    expect(result.out).toMatch(/✓ HTTPS for LAN use\s+a local CA is created/);
    chmodSync(locked, 0o700);
  });
});

describe("service", () => {
  test("install --no-start writes a unit that runs this entry point from here; systemd accepts it", async () => {
    const config = join(temp, "xdg");
    const dataDir = join(temp, "service-data");
    const result = await cli(["service", "install", "--no-start", "--port", "4123", "--data-dir", dataDir], {
      XDG_CONFIG_HOME: config,
    });
    if (process.platform !== "linux" || !Bun.which("systemctl")) {
      expect(result.code).toBe(1);
      expect(result.err).toContain("neither systemd");
      return;
    }
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    const file = join(config, "systemd", "user", "pocket-agent.service");
    const unit = readFileSync(file, "utf8");
    expect(result.out).toContain(`Wrote ${file}`);
    expect(result.out).toContain(unit.trim());
    expect(unit).toContain(
      `ExecStart="${process.execPath}" "${MAIN}" "start" "--port" "4123" "--host" "127.0.0.1" "--workdir" "${elsewhere}" "--data-dir" "${dataDir}"`,
    );
    expect(unit).toContain(`WorkingDirectory=${elsewhere}`);

    const verifier = Bun.which("systemd-analyze");
    if (verifier) {
      const runtime = mkdtempSync(join(temp, "runtime-"));
      chmodSync(runtime, 0o700);
      const verify = Bun.spawnSync([verifier, "--user", "verify", file], {
        env: { ...process.env, XDG_RUNTIME_DIR: runtime, XDG_CONFIG_HOME: config },
        stdout: "pipe",
        stderr: "pipe",
      });
      // systemd only warns about a bad setting: any output is a finding.
      expect(`${verify.stdout}${verify.stderr}`).toBe("");
      expect(verify.exitCode).toBe(0);
    }

    const status = await cli(["service", "status"], { XDG_CONFIG_HOME: config });
    expect(status.out).toContain(`Installed: ${file}`);
    const removed = await cli(["service", "uninstall"], { XDG_CONFIG_HOME: config });
    expect(removed.out).toContain(`removed ${file}`);
    expect((await cli(["service", "status"], { XDG_CONFIG_HOME: config })).out).toContain("Not installed");
  });
});

describe("pair and token rotate", () => {
  let server: TestServer;
  beforeAll(async () => {
    // No POCKET_TOKEN: the token lives in the data dir, as for a user.
    server = await startTestServer({ env: { POCKET_TOKEN: "" } });
  });
  afterAll(() => server.cleanup());

  test("pair prints the running server's pairing URL again", async () => {
    const token = await readStoredToken(server.dataDir);
    const result = await cli(["pair", "--data-dir", server.dataDir]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`${server.url}/?token=${token}`);
    expect(result.out).toContain("▄▄▄"); // the QR code
  });

  test("rotate signs out every device at once, the running server included", async () => {
    const oldToken = (await readStoredToken(server.dataDir)) ?? "";
    const paired = await fetch(`${server.url}/?token=${oldToken}`, { redirect: "manual" });
    const cookie = (paired.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(cookie).toContain("=");
    expect((await fetch(`${server.url}/api/push/status`, { headers: { cookie } })).status).toBe(200);
    server.push.store.upsert(
      {
        endpoint: "https://push.example.com/send/abc",
        keys: {
          p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
          auth: "tBHItJI5svbpez7KI4CCXg",
        },
        expirationTime: null,
        name: "Phone",
        events: ["permission"],
      },
      10,
    );
    // Like the app: it reconnects by itself, with what it paired with.
    const socket = io(server.url, {
      transports: ["websocket"],
      forceNew: true,
      reconnectionDelay: 10,
      auth: { token: oldToken },
    });
    await new Promise<void>((done, fail) => {
      socket.once("connect", done);
      socket.once("connect_error", fail);
    });
    const disconnected = new Promise<string>((done) => socket.once("disconnect", done));
    const refused = new Promise<string>((done) => socket.once("connect_error", (error) => done(error.message)));

    const result = await cli(["token", "rotate", "--data-dir", server.dataDir]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    const newToken = (await readStoredToken(server.dataDir)) ?? "";
    expect(newToken).not.toBe(oldToken);
    expect(result.out).toContain(`${server.url}/?token=${newToken}`);

    // The server drops the open connection; the client's reconnect is refused: it must pair again.
    expect(await disconnected).toBe("transport close");
    expect(await refused).toBe("unauthorized");
    socket.close();
    // Signed-out devices get no more notifications.
    expect(server.push.store.count()).toBe(0);
    expect((await fetch(`${server.url}/api/push/status`, { headers: { cookie } })).status).toBe(401);
    expect(
      (await fetch(`${server.url}/api/push/status`, { headers: { authorization: `Bearer ${oldToken}` } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${server.url}/api/push/status`, { headers: { authorization: `Bearer ${newToken}` } })).status,
    ).toBe(200);
  });

  test("with POCKET_TOKEN set, rotate refuses and says what to do instead", async () => {
    const result = await cli(["token", "rotate", "--data-dir", server.dataDir], {
      POCKET_TOKEN: "an-explicit-token-0123456789abcdef",
    });
    expect(result.code).toBe(1);
    expect(result.err).toContain("change POCKET_TOKEN and restart");
  });

  test("pair without a running server says how to start one", async () => {
    const result = await cli(["pair", "--data-dir", join(temp, "no-server")]);
    expect(result.code).toBe(1);
    expect(result.err).toContain("No Pocket Agent server is running on the data dir");
  });
});

describe("login", () => {
  test("runs the Claude Code CLI's own login, passing options on", async () => {
    // A stand-in for the CLI (the real one opens a browser sign-in): it records how it was run.
    const fake = join(temp, "fake-claude");
    const record = join(temp, "login-args");
    writeFileSync(fake, `#!/bin/sh\necho "$@" > '${record}'\nexit 3\n`, { mode: 0o755 });
    const result = await cli(["login", "--console"], { POCKET_CLAUDE_PATH: fake });
    expect(readFileSync(record, "utf8").trim()).toBe("auth login --console");
    expect(result.code).toBe(3);
  });
});
