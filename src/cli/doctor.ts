/**
 * `pocket-agent doctor`: every thing Pocket Agent needs or can use, each with ✓ or ✗ and, for a
 * ✗, the exact command or setting that fixes it. Local checks only: no paid API call.
 */
import { access, constants, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { bundledClaudePath, type ClaudeLogin, claudeLoginStatus } from "../server/agent/claudeCli.ts";
import { isLoopbackHost, needsTls } from "../server/auth/tls.ts";
import type { Config } from "../server/config.ts";
import { readVapidKeys, VAPID_FILE_NAME } from "../server/push/vapidKeys.ts";
import { readRunningServer } from "../server/serverInfo.ts";
import { parseTranscriptionConfig } from "../server/transcription/config.ts";
import { createEngines, noEngineMessage, selectEngine } from "../server/transcription/engines/index.ts";

export interface Check {
  name: string;
  ok: boolean;
  /** A failed needed check makes `doctor` exit 1; the others are features that stay off. */
  needed: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorDeps {
  env: Record<string, string | undefined>;
  /** How the user runs the commands, for the fixes (`pocket-agent`). */
  command: string;
  /** Replaces `claude auth status` (tests). */
  claudeLogin?: (claudePath: string | null) => Promise<ClaudeLogin>;
  which?: (bin: string) => string | null;
  /** The platform's package manager command, for the fixes. */
  platform?: NodeJS.Platform;
}

const MIN_NODE_MAJOR = 20;

export async function runChecks(config: Config, deps: DoctorDeps): Promise<Check[]> {
  const which = deps.which ?? ((bin: string) => Bun.which(bin));
  const install = (pkg: { apt: string; brew: string }) =>
    (deps.platform ?? process.platform) === "darwin" ? `brew install ${pkg.brew}` : `sudo apt-get install ${pkg.apt}`;
  return Promise.all([
    runtimeCheck(deps.env, which),
    claudeCheck(config, deps),
    dataDirCheck(config.dataDir),
    portCheck(config),
    httpsCheck(config, which, install),
    ffmpegCheck(which, install),
    speechCheck(deps.env),
    pushKeysCheck(config.dataDir, deps.command),
  ]);
}

async function runtimeCheck(env: DoctorDeps["env"], which: (bin: string) => string | null): Promise<Check> {
  // The launcher (bin/pocket-agent.js) runs on Node and says which; from the repository, ask node.
  let node = env.POCKET_NODE_VERSION;
  if (!node && which("node")) {
    const proc = Bun.spawnSync(["node", "--version"], { stdout: "pipe", stderr: "ignore" });
    node = proc.stdout.toString().trim() || undefined;
  }
  const major = node ? Number(/^v?(\d+)/.exec(node)?.[1]) : Number.NaN;
  const bun = `Bun ${Bun.version} (from the bun package)`;
  if (node && major < MIN_NODE_MAJOR) {
    return {
      name: "Node and Bun",
      ok: false,
      needed: true,
      detail: `${bun}, Node ${node}`,
      fix: `Install Node ${MIN_NODE_MAJOR} or newer (https://nodejs.org, or nvm install ${MIN_NODE_MAJOR}), then reinstall Pocket Agent`,
    };
  }
  return { name: "Node and Bun", ok: true, needed: true, detail: node ? `${bun}, Node ${node}` : bun };
}

async function claudeCheck(config: Config, deps: DoctorDeps): Promise<Check> {
  const name = "Claude Code";
  const path = config.claudePath ?? bundledClaudePath();
  if (!path) {
    return {
      name,
      ok: false,
      needed: true,
      detail: `the CLI bundled with the Agent SDK (@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}) is not installed`,
      fix: "Reinstall Pocket Agent without --omit=optional, or set POCKET_CLAUDE_PATH to a claude binary",
    };
  }
  const login = await (deps.claudeLogin ?? ((p) => claudeLoginStatus(p, deps.env)))(path);
  if (login.state === "logged_in") return { name, ok: true, needed: true, detail: `logged in (${login.method})` };
  return {
    name,
    ok: false,
    needed: true,
    detail: login.state === "logged_out" ? "not logged in, and ANTHROPIC_API_KEY is not set" : login.reason,
    fix: `Run \`${deps.command} login\`, or set ANTHROPIC_API_KEY in the server's environment`,
  };
}

async function dataDirCheck(dataDir: string): Promise<Check> {
  const name = "Data dir";
  // The server creates it: what must be writable is the folder itself or its nearest existing parent.
  let existing = dataDir;
  let isFolder = false;
  for (;;) {
    try {
      isFolder = (await stat(existing)).isDirectory();
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  if (!isFolder) {
    return {
      name,
      ok: false,
      needed: true,
      detail: `${existing} is not a writable folder`,
      fix: `Move ${existing} out of the way, or choose another folder with --data-dir DIR`,
    };
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
    const detail = existing === dataDir ? `${dataDir} is writable` : `${dataDir} will be created`;
    return { name, ok: true, needed: true, detail };
  } catch {
    return {
      name,
      ok: false,
      needed: true,
      detail: `${existing} is not writable`,
      fix: `Give yourself the folder (sudo chown -R "$USER" ${existing}), or choose another with --data-dir DIR`,
    };
  }
}

async function portCheck(config: Config): Promise<Check> {
  const name = "Port";
  const where = `${config.host}:${config.port}`;
  const ours = await readRunningServer(config.dataDir);
  if (ours && ours.port === config.port) {
    return { name, ok: true, needed: true, detail: `${where} is Pocket Agent's, already running (pid ${ours.pid})` };
  }
  const problem = await new Promise<string | null>((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen({ host: config.host, port: config.port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
  if (problem === null) return { name, ok: true, needed: true, detail: `${where} is free` };
  const fix =
    problem === "EADDRINUSE"
      ? `Stop what uses it (see: ss -ltnp 'sport = :${config.port}'), or pick another port: --port ${config.port + 1}`
      : problem === "EADDRNOTAVAIL"
        ? `${config.host} is not an address of this machine: use --host 127.0.0.1, or --lan`
        : `Pick a port above 1023: --port 3000`;
  return { name, ok: false, needed: true, detail: `${where} cannot be used (${problem})`, fix };
}

async function httpsCheck(
  config: Config,
  which: (bin: string) => string | null,
  install: (pkg: { apt: string; brew: string }) => string,
): Promise<Check> {
  const name = "HTTPS for LAN use";
  if (!needsTls(config)) {
    return {
      name,
      ok: true,
      needed: false,
      detail: `not needed on ${isLoopbackHost(config.host) ? "loopback" : config.host}; with --lan the server speaks HTTPS`,
    };
  }
  const { cert, key } = config.tls;
  if (cert || key) {
    const missing = [cert, key].filter((f): f is string => !f);
    const unreadable: string[] = [];
    for (const file of [cert, key]) {
      if (file) await access(file, constants.R_OK).catch(() => unreadable.push(file));
    }
    if (missing.length === 0 && unreadable.length === 0) {
      return { name, ok: true, needed: true, detail: `your certificate ${cert}` };
    }
    return {
      name,
      ok: false,
      needed: true,
      detail: missing.length
        ? "POCKET_TLS_CERT and POCKET_TLS_KEY must be set together"
        : `cannot read ${unreadable.join(", ")}`,
      fix: "Set both POCKET_TLS_CERT and POCKET_TLS_KEY to readable PEM files (e.g. made with mkcert)",
    };
  }
  const ca = join(config.dataDir, "tls", "ca-cert.pem");
  const caExists = await access(ca, constants.R_OK).then(
    () => true,
    () => false,
  );
  if (!which("openssl") && !caExists) {
    return {
      name,
      ok: false,
      needed: true,
      detail: "openssl is needed to create the local certificate",
      fix: `${install({ apt: "openssl", brew: "openssl" })}, or set POCKET_TLS_CERT and POCKET_TLS_KEY`,
    };
  }
  return {
    name,
    ok: true,
    needed: true,
    detail: caExists
      ? `local CA ${ca} (installed on the phone once)`
      : `a local CA is created in ${dirname(ca)} at first start; install ca-cert.pem on the phone once`,
  };
}

async function ffmpegCheck(
  which: (bin: string) => string | null,
  install: (pkg: { apt: string; brew: string }) => string,
): Promise<Check> {
  const path = which("ffmpeg");
  if (path) return { name: "ffmpeg", ok: true, needed: false, detail: path };
  return {
    name: "ffmpeg",
    ok: false,
    needed: false,
    detail: "not found: voice input is off",
    fix: install({ apt: "ffmpeg", brew: "ffmpeg" }),
  };
}

async function speechCheck(env: DoctorDeps["env"]): Promise<Check> {
  const name = "Speech engine";
  let config: ReturnType<typeof parseTranscriptionConfig>;
  try {
    config = parseTranscriptionConfig(env);
  } catch (error) {
    return {
      name,
      ok: false,
      needed: true,
      detail: "the speech settings are invalid (the server will not start)",
      fix: error instanceof Error ? error.message.replace(/\n\s*/g, " ") : String(error),
    };
  }
  const engines = createEngines(config, { warm: false });
  const engine = await selectEngine(config.mode, engines);
  if (engine) return { name, ok: true, needed: false, detail: engine.name };
  return {
    name,
    ok: false,
    needed: false,
    detail: "none: voice input is off",
    fix: noEngineMessage(config.mode, engines),
  };
}

async function pushKeysCheck(dataDir: string, command: string): Promise<Check> {
  const name = "Push keys";
  const file = join(dataDir, VAPID_FILE_NAME);
  try {
    const keys = await readVapidKeys(dataDir);
    if (keys) return { name, ok: true, needed: false, detail: file };
    return {
      name,
      ok: false,
      needed: false,
      detail: "none yet: notifications need them",
      fix: `Start the server once (\`${command}\`): it creates ${file}`,
    };
  } catch {
    return {
      name,
      ok: false,
      needed: true,
      detail: `${file} is unusable (the server will not start)`,
      fix: `mv ${file} ${file}.bak  (a new pair is created at start; each phone turns notifications on again)`,
    };
  }
}

export function formatChecks(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => {
    const head = `${c.ok ? "✓" : "✗"} ${c.name.padEnd(width)}  ${c.detail}${!c.ok && !c.needed ? " (optional)" : ""}`;
    return c.ok || !c.fix ? head : `${head}\n  ${" ".repeat(width)}  → ${c.fix}`;
  });
  const missing = checks.filter((c) => !c.ok && c.needed).length;
  lines.push(
    "",
    missing === 0
      ? "Everything needed is in place."
      : `${missing} needed ${missing === 1 ? "thing is" : "things are"} missing: fix ${missing === 1 ? "it" : "them"} as shown above.`,
  );
  return lines.join("\n");
}
