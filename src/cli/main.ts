/**
 * `pocket-agent`: the command. Run by bin/pocket-agent.js (which finds the Bun installed with the
 * package) or from the repository with `npm run cli -- <command>`. Exit codes: 0 done, 1 failed
 * (with the reason), 2 wrong arguments or configuration.
 */
import packageJson from "../../package.json" with { type: "json" };
import { bundledClaudePath } from "../server/agent/claudeCli.ts";
import { pairingUrl, printPairingBanner } from "../server/auth/banner.ts";
import { readStoredToken, rotateToken } from "../server/auth/token.ts";
import { type Config, ConfigError, type ConfigFlags, parseConfig } from "../server/config.ts";
import { commandName, runServer } from "../server/main.ts";
import { readRunningServer } from "../server/serverInfo.ts";
import { type Command, HELP, parseCommand, UsageError } from "./args.ts";
import { formatChecks, runChecks } from "./doctor.ts";
import { installService, NO_MANAGER, servicePlan, serviceStatus, uninstallService } from "./service.ts";

class Failure extends Error {
  override name = "Failure";
}

function config(flags: ConfigFlags, lan = false): Config {
  return parseConfig(process.env, lan ? ["--lan"] : [], flags);
}

async function pair(flags: ConfigFlags): Promise<number> {
  const { dataDir, token: envToken } = config(flags);
  const server = await readRunningServer(dataDir);
  if (!server) {
    throw new Failure(
      `No Pocket Agent server is running on the data dir ${dataDir}. Start it with \`${commandName()}\` (it prints the pairing code), or pass the server's --data-dir.`,
    );
  }
  const token = server.tokenFromEnv ? envToken : await readStoredToken(dataDir);
  if (!token) {
    throw new Failure(
      `The server (pid ${server.pid}) takes its token from POCKET_TOKEN: run this with the same POCKET_TOKEN, or open ${server.origin}/?token=<your POCKET_TOKEN>.`,
    );
  }
  console.log(`Pocket Agent ${server.version} (pid ${server.pid}) on ${server.origin}`);
  printPairingBanner(pairingUrl(server.origin, token));
  return 0;
}

async function rotate(flags: ConfigFlags): Promise<number> {
  const { dataDir, token: envToken } = config(flags);
  if (envToken) {
    throw new Failure(
      "POCKET_TOKEN is set, so the token comes from the environment, not the token file: change POCKET_TOKEN and restart the server.",
    );
  }
  const server = await readRunningServer(dataDir);
  if (server?.tokenFromEnv) {
    throw new Failure(
      `The server running on ${dataDir} (pid ${server.pid}) takes its token from POCKET_TOKEN: change POCKET_TOKEN and restart it.`,
    );
  }
  const token = await rotateToken(dataDir);
  console.log(`New access token written to ${dataDir}/token. Every paired device is signed out.`);
  if (!server) {
    console.log(`No server is running on this data dir: the new token applies when it starts (\`${commandName()}\`).`);
    return 0;
  }
  console.log(`The running server (pid ${server.pid}) signs every device out within a second. Pair again:`);
  printPairingBanner(pairingUrl(server.origin, token));
  return 0;
}

async function login(args: string[]): Promise<number> {
  const { claudePath } = config({});
  const path = claudePath ?? bundledClaudePath();
  if (!path) {
    throw new Failure(
      "The Claude Code CLI bundled with Pocket Agent is missing: reinstall Pocket Agent (without --omit=optional), or set POCKET_CLAUDE_PATH.",
    );
  }
  const proc = Bun.spawn([path, "auth", "login", ...args], { stdio: ["inherit", "inherit", "inherit"] });
  return await proc.exited;
}

async function service(command: Extract<Command, { name: `service ${string}` }>): Promise<number> {
  const ctx = {
    platform: process.platform,
    env: process.env,
    which: (b: string) => Bun.which(b),
    uid: process.getuid?.() ?? 0,
  };
  let argv: string[] = [];
  let workingDirectory = process.cwd();
  if (command.name === "service install") {
    const c = config(command.flags, command.lan);
    workingDirectory = c.workdirRoots[0] ?? workingDirectory;
    // Everything explicit and absolute: the service starts elsewhere, with another environment.
    argv = [
      process.execPath,
      Bun.main,
      "start",
      "--port",
      String(c.port),
      "--host",
      c.host,
      ...(c.lan ? ["--lan"] : []),
      "--workdir",
      c.workdirRoots.join(":"),
      "--data-dir",
      c.dataDir,
      // Only a name given: without one the service keeps following the host name.
      ...((command.flags.name ?? process.env.POCKET_MACHINE_NAME ?? "").trim() ? ["--name", c.machineName] : []),
    ];
  }
  const plan = servicePlan(ctx, { argv, workingDirectory, path: process.env.PATH ?? "/usr/bin:/bin" });
  if (!plan) throw new Failure(NO_MANAGER);
  const result =
    command.name === "service install"
      ? await installService(plan, command.start)
      : command.name === "service uninstall"
        ? await uninstallService(plan)
        : await serviceStatus(plan);
  console.log(result.lines.join("\n"));
  return result.code;
}

export async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  switch (command.name) {
    case "help":
      if (command.topic && !HELP[command.topic]) throw new UsageError(`Unknown command "${command.topic}"`);
      console.log(HELP[command.topic ?? "main"]);
      return 0;
    case "version":
      console.log(packageJson.version);
      return 0;
    case "start":
      await runServer(config(command.flags, command.lan));
      return -1; // Keeps running until a signal.
    case "doctor": {
      const checks = await runChecks(config(command.flags, command.lan), { env: process.env, command: commandName() });
      console.log(formatChecks(checks));
      return checks.some((c) => !c.ok && c.needed) ? 1 : 0;
    }
    case "pair":
      return pair(command.flags);
    case "token rotate":
      return rotate(command.flags);
    case "login":
      return login(command.args);
    default:
      return service(command);
  }
}

if (import.meta.main) {
  try {
    const code = await main(process.argv.slice(2));
    if (code >= 0) process.exit(code);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\nRun \`${commandName()} --help\` for usage.`);
      process.exit(2);
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
