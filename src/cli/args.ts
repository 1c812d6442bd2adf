/**
 * The command line: which command, its flags, and each command's `--help`. A mistake in the
 * arguments is a `UsageError`: one clear line, a pointer to `--help`, and exit code 2.
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import type { ConfigFlags } from "../server/config.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

/** The flags that say how the server runs: `start`, `doctor` and `service install` take them. */
const SERVER_OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  lan: { type: "boolean" },
  workdir: { type: "string" },
  "data-dir": { type: "string" },
  name: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const DATA_DIR_OPTIONS = { "data-dir": { type: "string" }, help: { type: "boolean", short: "h" } } as const;

export type Command =
  | { name: "help"; topic?: string }
  | { name: "version" }
  | { name: "start"; flags: ConfigFlags; lan: boolean }
  | { name: "doctor"; flags: ConfigFlags; lan: boolean }
  | { name: "pair"; flags: ConfigFlags }
  | { name: "token rotate"; flags: ConfigFlags }
  | { name: "login"; args: string[] }
  | { name: "service install"; flags: ConfigFlags; lan: boolean; start: boolean }
  | { name: "service uninstall" }
  | { name: "service status" };

const SERVER_FLAGS_HELP = `  --port N          Port to listen on (default 3000; env PORT)
  --host ADDRESS    Address to listen on (default 127.0.0.1; env HOST)
  --lan             Reachable from your phone on this network, over HTTPS
  --workdir DIR     Folder the agent may work in; several joined with ':' (default: this folder; env POCKET_WORKDIR)
  --data-dir DIR    Where the token, keys and database live (default ~/.pocket-agent; env POCKET_DATA_DIR)
  --name NAME       What the app calls this machine (default: its host name; env POCKET_MACHINE_NAME)`;

export const HELP: Record<string, string> = {
  main: `Pocket Agent: drive Claude Code on this machine from your phone.

Usage: pocket-agent [command] [options]

Commands:
  start              Run the server (the default command)
  pair               Show the pairing URL and QR code of the running server again
  token rotate       Make a new access token: signs out every paired device
  doctor             Check the setup, with the fix for each problem
  login              Sign in to Claude Code (the copy bundled with Pocket Agent)
  service install    Run Pocket Agent in the background, started at login
  service uninstall  Remove that service
  service status     Show whether the service is installed and running

Options:
  -h, --help         Help for pocket-agent or a command (pocket-agent start --help)
  -v, --version      Print the version

Flags override the environment variables (PORT, HOST, POCKET_DATA_DIR, POCKET_WORKDIR, ...).`,
  start: `Usage: pocket-agent [start] [options]

Runs the server in this terminal and prints the pairing QR code.

Options:
${SERVER_FLAGS_HELP}
  -h, --help        This help`,
  doctor: `Usage: pocket-agent doctor [options]

Checks what Pocket Agent needs (Node/Bun, Claude Code login, data dir, port, HTTPS for --lan,
ffmpeg and a speech engine, push keys) and prints the fix for each problem. It makes no paid API
call. Exits 1 when something needed is missing. Takes start's options, to check that setup.

Options:
${SERVER_FLAGS_HELP}
  -h, --help        This help`,
  pair: `Usage: pocket-agent pair [--data-dir DIR]

Prints the pairing URL and QR code of the server running on this data dir, to pair another device.

Options:
  --data-dir DIR    The server's data dir (default ~/.pocket-agent; env POCKET_DATA_DIR)
  -h, --help        This help`,
  token: `Usage: pocket-agent token rotate [--data-dir DIR]

Replaces the access token. Every paired device is signed out at once (a running server notices
within a second) and must scan the new QR code, which this prints.

Options:
  --data-dir DIR    The server's data dir (default ~/.pocket-agent; env POCKET_DATA_DIR)
  -h, --help        This help`,
  login: `Usage: pocket-agent login [claude auth login options]

Runs \`claude auth login\` of the Claude Code CLI bundled with Pocket Agent, so you can sign in
without a global \`claude\`. Options such as --console or --sso are passed on.
Alternatively set ANTHROPIC_API_KEY in the server's environment.`,
  service: `Usage: pocket-agent service install|uninstall|status [options]

Runs Pocket Agent in the background: a systemd user unit on Linux, a launchd agent on macOS.
It starts when you log in, restarts when it fails, and logs to the journal
(journalctl --user -u pocket-agent) or ~/Library/Logs/pocket-agent.log.

install options:
${SERVER_FLAGS_HELP}
  --no-start        Write the service file only; do not enable or start it
  -h, --help        This help`,
};

const COMMANDS = ["start", "pair", "token", "doctor", "login", "service"];

function parse<T extends ParseArgsOptionsConfig>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true as const, strict: true as const });
  } catch (error) {
    // node:util's messages name the flag: "Unknown option '--prot'", "Option '--port <value>' argument missing".
    const message =
      error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, "") : String(error);
    throw new UsageError(`${message} (pocket-agent ${command})`);
  }
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument "${positionals[0]}" for pocket-agent ${command}`);
}

function serverFlags(values: Record<string, string | boolean | undefined>): ConfigFlags {
  const flags: ConfigFlags = {};
  if (typeof values.port === "string") flags.port = values.port;
  if (typeof values.host === "string") flags.host = values.host;
  if (typeof values.workdir === "string") flags.workdir = values.workdir;
  if (typeof values["data-dir"] === "string") flags.dataDir = values["data-dir"];
  if (typeof values.name === "string") flags.name = values.name;
  return flags;
}

export function parseCommand(argv: string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith("-")) {
    if (first === "--help" || first === "-h") return { name: "help" };
    if (first === "--version" || first === "-v") return { name: "version" };
    return parseCommand(["start", ...argv]);
  }
  switch (first) {
    case "help":
      return { name: "help", topic: rest[0] };
    case "start":
    case "doctor": {
      const { values, positionals } = parse(first, rest, SERVER_OPTIONS);
      if (values.help) return { name: "help", topic: first };
      noPositionals(first, positionals);
      return { name: first, flags: serverFlags(values), lan: values.lan === true };
    }
    case "pair": {
      const { values, positionals } = parse(first, rest, DATA_DIR_OPTIONS);
      if (values.help) return { name: "help", topic: "pair" };
      noPositionals(first, positionals);
      return { name: "pair", flags: serverFlags(values) };
    }
    case "token": {
      const { values, positionals } = parse(first, rest, DATA_DIR_OPTIONS);
      if (values.help) return { name: "help", topic: "token" };
      const [action, ...extra] = positionals;
      if (action !== "rotate") {
        throw new UsageError(
          action === undefined
            ? "Missing action: pocket-agent token rotate"
            : `Unknown action "${action}": pocket-agent token rotate`,
        );
      }
      noPositionals("token rotate", extra);
      return { name: "token rotate", flags: serverFlags(values) };
    }
    case "login":
      if (rest.includes("--help") || rest.includes("-h")) return { name: "help", topic: "login" };
      return { name: "login", args: rest };
    case "service": {
      const { values, positionals } = parse(first, rest, { ...SERVER_OPTIONS, "no-start": { type: "boolean" } });
      if (values.help) return { name: "help", topic: "service" };
      const [action, ...extra] = positionals;
      if (action !== "install" && action !== "uninstall" && action !== "status") {
        throw new UsageError(
          action === undefined
            ? "Missing action: pocket-agent service install|uninstall|status"
            : `Unknown action "${action}": pocket-agent service install|uninstall|status`,
        );
      }
      noPositionals(`service ${action}`, extra);
      if (action === "install") {
        return {
          name: "service install",
          flags: serverFlags(values),
          lan: values.lan === true,
          start: !values["no-start"],
        };
      }
      const given = Object.keys(values);
      if (given.length > 0) throw new UsageError(`pocket-agent service ${action} takes no options (got --${given[0]})`);
      return { name: `service ${action}` };
    }
    default:
      throw new UsageError(`Unknown command "${first}". Commands: ${COMMANDS.join(", ")}`);
  }
}
