import { homedir, hostname, totalmem } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { z } from "zod";
import { LIMITS } from "../shared/constants.ts";
import { ModelName } from "../shared/messages.ts";
import { tokenWeakness } from "./auth/strength.ts";
import { isLoopbackHost } from "./auth/tls.ts";

/**
 * The server's whole configuration, parsed once from the environment at start.
 * A bad value stops the server with a message naming the variable, instead of
 * surfacing as a strange failure later.
 */
const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  POCKET_DATA_DIR: z.string().min(1).optional(),
  /** One or more allowed working-directory roots, separated by the OS path delimiter (':'). */
  POCKET_WORKDIR: z.string().min(1).optional(),
  POCKET_TOKEN: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      const weakness = value === undefined || value.trim() === "" ? null : tokenWeakness(value.trim());
      if (weakness) ctx.addIssue({ code: "custom", message: weakness });
    }),
  POCKET_ALLOWED_ORIGINS: z.string().optional(),
  /** The origin browsers use when a proxy in front terminates HTTPS (e.g. `tailscale serve`). */
  POCKET_PUBLIC_URL: z
    .string()
    .optional()
    .refine((value) => value === undefined || value.trim() === "" || publicOrigin(value) !== null, {
      message: "POCKET_PUBLIC_URL must be an origin like https://box.tailnet.ts.net (no path)",
    }),
  POCKET_TLS_CERT: z.string().optional(),
  POCKET_TLS_KEY: z.string().optional(),
  /** Close a session's warm agent process after this long without a turn. */
  POCKET_IDLE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(10 * 60_000),
  POCKET_DEFAULT_MODEL: ModelName.default("sonnet"),
  /** Upper bound on agent steps per message; unset means the CLI's own behaviour. */
  POCKET_MAX_TURNS: z.coerce.number().int().min(1).optional(),
  POCKET_CLAUDE_PATH: z.string().optional(),
  /** Agent processes (Claude Code CLIs) alive at once; further turns wait for one to be free. */
  POCKET_MAX_AGENTS: z.coerce.number().int().min(1).max(1_000).optional(),
  /** What the app calls this machine (its Machines and Projects sheets, and a home it is linked to). */
  POCKET_MACHINE_NAME: z
    .string()
    .trim()
    .max(LIMITS.machineNameChars, `must be at most ${LIMITS.machineNameChars} characters`)
    .optional(),
  /** Web Push's VAPID contact (`sub`): a mailto: or https: URL push services may use to reach you. */
  POCKET_VAPID_SUBJECT: z
    .string()
    .trim()
    .optional()
    .refine((value) => !value || /^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(value), {
      message: "POCKET_VAPID_SUBJECT must be a mailto: address or an https: URL",
    }),
});

/** The VAPID contact when none is configured (Apple's push service refuses a `localhost` one). */
export const DEFAULT_VAPID_SUBJECT = "mailto:pocket-agent@example.com";

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  workdirRoots: string[];
  token?: string;
  allowedOrigins: string[];
  tls: { cert?: string; key?: string };
  lan: boolean;
  idleTimeoutMs: number;
  defaultModel: string;
  maxTurns?: number;
  claudePath?: string;
  maxAgents: number;
  /** The browser-facing origin behind a proxy (`POCKET_PUBLIC_URL`), normalized; unset when browsers reach the server directly. */
  publicUrl?: string;
  /** The VAPID `sub` claim of every push request. */
  vapidSubject: string;
  /** This machine's name as the app shows it: `POCKET_MACHINE_NAME`, else the host name. */
  machineName: string;
  /**
   * False only with `--dev` (`npm run dev`): the client bundled on request with hot reload.
   * Production is the default whatever NODE_ENV says, so a bare `bun src/server/main.ts` cannot
   * start the development server by accident.
   */
  production: boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Command-line flags (`pocket-agent start --port …`). Each one overrides its environment
 * variable and goes through the same checks; an error names the flag.
 */
export interface ConfigFlags {
  port?: string;
  host?: string;
  workdir?: string;
  dataDir?: string;
  name?: string;
}

const FLAG_OF = {
  port: ["PORT", "--port"],
  host: ["HOST", "--host"],
  workdir: ["POCKET_WORKDIR", "--workdir"],
  dataDir: ["POCKET_DATA_DIR", "--data-dir"],
  name: ["POCKET_MACHINE_NAME", "--name"],
} as const;

export function parseConfig(
  env: Record<string, string | undefined> = process.env,
  argv: string[] = [],
  flags: ConfigFlags = {},
): Config {
  const merged = { ...env };
  const flagNames = new Map<string, string>();
  for (const [key, [variable, flag]] of Object.entries(FLAG_OF)) {
    const value = flags[key as keyof ConfigFlags];
    if (value === undefined) continue;
    merged[variable] = value;
    flagNames.set(variable, flag);
  }
  const parsed = Env.safeParse(merged);
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((i) => {
        const name = i.path.join(".");
        return `  ${flagNames.get(name) ?? name}: ${i.message}`;
      })
      .join("\n");
    throw new ConfigError(`Invalid configuration:\n${details}`);
  }
  const e = parsed.data;
  const lan = argv.includes("--lan");
  const dev = argv.includes("--dev");
  const host = lan && e.HOST === "127.0.0.1" ? "0.0.0.0" : e.HOST;
  // Bun's development server answers its own routes (/_bun/hmr accepts any Origin): never beyond this machine.
  if (dev && (lan || !isLoopbackHost(host))) {
    throw new ConfigError("--dev serves the development build on loopback only: drop --lan (and HOST) or drop --dev.");
  }
  return {
    port: e.PORT,
    host,
    dataDir: resolve(e.POCKET_DATA_DIR ?? join(homedir(), ".pocket-agent")),
    workdirRoots: (e.POCKET_WORKDIR ?? process.cwd())
      .split(delimiter)
      .filter(Boolean)
      .map((p) => resolve(p)),
    token: e.POCKET_TOKEN?.trim() || undefined,
    allowedOrigins: (e.POCKET_ALLOWED_ORIGINS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    tls: { cert: e.POCKET_TLS_CERT, key: e.POCKET_TLS_KEY },
    lan,
    idleTimeoutMs: e.POCKET_IDLE_TIMEOUT_MS,
    defaultModel: e.POCKET_DEFAULT_MODEL,
    maxTurns: e.POCKET_MAX_TURNS,
    claudePath: e.POCKET_CLAUDE_PATH,
    maxAgents: e.POCKET_MAX_AGENTS ?? defaultMaxAgents(),
    publicUrl: e.POCKET_PUBLIC_URL?.trim() ? (publicOrigin(e.POCKET_PUBLIC_URL) ?? undefined) : undefined,
    vapidSubject: e.POCKET_VAPID_SUBJECT || DEFAULT_VAPID_SUBJECT,
    machineName: e.POCKET_MACHINE_NAME || hostname().slice(0, LIMITS.machineNameChars),
    production: !dev,
  };
}

/** `scheme://host[:port]` of an http(s) URL without path, query or credentials; null otherwise. */
function publicOrigin(value: string): string | null {
  try {
    const url = new URL(value.trim());
    const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
    return bare && (url.protocol === "https:" || url.protocol === "http:") ? url.origin.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** Peak RSS of one Claude Code CLI measured here (docs/benchmarks.md, "agents"), rounded up. */
const AGENT_RSS_BYTES = 220 * 1024 * 1024;

/**
 * A quarter of the machine's memory in agent processes, between 2 and 8: a laptop with 8 GB
 * keeps 8 sessions warm (about 1.7 GB), a 2 GB box 2. More parallel agents than that is rarely
 * what one person wants, and each one also spends API budget.
 */
export function defaultMaxAgents(memoryBytes = totalmem()): number {
  return Math.min(8, Math.max(2, Math.floor(memoryBytes / 4 / AGENT_RSS_BYTES)));
}
