/**
 * `pocket-agent service install | uninstall | status`: Pocket Agent as a background service of the
 * user (no root): a systemd user unit on Linux, a launchd agent on macOS. It starts at login,
 * restarts after a failure, and logs where the system keeps logs (the journal;
 * ~/Library/Logs). The service runs this same Bun and this same entry point, with the options
 * given to `install`, so an npm upgrade in place keeps it working.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export type ServiceManager = "systemd" | "launchd";

export const SERVICE_NAME = "pocket-agent";
export const LAUNCHD_LABEL = "dev.pocket-agent";

export interface ServicePlan {
  manager: ServiceManager;
  /** The file written. */
  file: string;
  content: string;
  /** Commands that load, enable and start it. */
  enable: string[][];
  /** Commands that stop and disable it (before the file is removed). */
  disable: string[][];
  status: string[];
  /** Where its output goes. */
  logs: string;
}

export interface ServiceContext {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  which: (bin: string) => string | null;
  uid: number;
}

/** systemd where `systemctl` exists on Linux, launchd on macOS, else null (say so). */
export function detectManager(ctx: ServiceContext): ServiceManager | null {
  if (ctx.platform === "darwin") return "launchd";
  if (ctx.platform === "linux" && ctx.which("systemctl")) return "systemd";
  return null;
}

export interface ServiceCommand {
  /** The program and arguments that run the server in the foreground. */
  argv: string[];
  workingDirectory: string;
  /** PATH for the service: a user manager's own PATH lacks ~/.local/bin, Homebrew, nvm... */
  path: string;
}

/** systemd quoting: each argument in double quotes, with `\`, `"`, `$` and `%` escaped. */
function systemdQuote(arg: string): string {
  return `"${arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "$$$$").replace(/%/g, "%%")}"`;
}

export function systemdUnit(command: ServiceCommand): string {
  return `# Written by \`pocket-agent service install\`; remove with \`pocket-agent service uninstall\`.
[Unit]
Description=Pocket Agent (drive Claude Code from your phone)
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
Type=simple
ExecStart=${command.argv.map(systemdQuote).join(" ")}
WorkingDirectory=${command.workingDirectory.replace(/%/g, "%%")}
Environment=${systemdQuote(`PATH=${command.path}`)}
Environment=POCKET_COMMAND=pocket-agent
# Secrets such as ANTHROPIC_API_KEY go in this optional file (KEY=value lines), not in the unit.
EnvironmentFile=-%h/.config/pocket-agent/env
Restart=on-failure
RestartSec=5
# The agent processes are the server's children: stopping the service stops them too.
KillMode=control-group
TimeoutStopSec=20

[Install]
WantedBy=default.target
`;
}

const xml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function launchdPlist(command: ServiceCommand, logFile: string): string {
  const args = command.argv.map((a) => `      <string>${xml(a)}</string>`).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by \`pocket-agent service install\`; remove with \`pocket-agent service uninstall\`. -->
<plist version="1.0">
  <dict>
    <key>Label</key>
    <string>${LAUNCHD_LABEL}</string>
    <key>ProgramArguments</key>
    <array>
${args}
    </array>
    <key>WorkingDirectory</key>
    <string>${xml(command.workingDirectory)}</string>
    <key>EnvironmentVariables</key>
    <dict>
      <key>PATH</key>
      <string>${xml(command.path)}</string>
      <key>POCKET_COMMAND</key>
      <string>pocket-agent</string>
    </dict>
    <key>RunAtLoad</key>
    <true/>
    <key>KeepAlive</key>
    <dict>
      <key>SuccessfulExit</key>
      <false/>
    </dict>
    <key>ThrottleInterval</key>
    <integer>10</integer>
    <key>StandardOutPath</key>
    <string>${xml(logFile)}</string>
    <key>StandardErrorPath</key>
    <string>${xml(logFile)}</string>
  </dict>
</plist>
`;
}

/** Where the service file goes and the commands around it; null when there is no service manager. */
export function servicePlan(ctx: ServiceContext, command: ServiceCommand): ServicePlan | null {
  const manager = detectManager(ctx);
  const home = ctx.env.HOME || homedir();
  if (manager === "systemd") {
    const configHome = ctx.env.XDG_CONFIG_HOME || join(home, ".config");
    const unit = `${SERVICE_NAME}.service`;
    return {
      manager,
      file: join(configHome, "systemd", "user", unit),
      content: systemdUnit(command),
      enable: [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", unit],
      ],
      disable: [["systemctl", "--user", "disable", "--now", unit]],
      status: ["systemctl", "--user", "status", "--no-pager", unit],
      logs: `journalctl --user -u ${SERVICE_NAME} -f`,
    };
  }
  if (manager === "launchd") {
    const file = join(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`);
    const logFile = join(home, "Library", "Logs", "pocket-agent.log");
    const domain = `gui/${ctx.uid}`;
    return {
      manager,
      file,
      content: launchdPlist(command, logFile),
      enable: [["launchctl", "bootstrap", domain, file]],
      disable: [["launchctl", "bootout", `${domain}/${LAUNCHD_LABEL}`]],
      status: ["launchctl", "print", `${domain}/${LAUNCHD_LABEL}`],
      logs: `tail -f ${logFile}`,
    };
  }
  return null;
}

export const NO_MANAGER =
  "This system has neither systemd (Linux) nor launchd (macOS), so Pocket Agent cannot install itself as a service here. " +
  "Run `pocket-agent` under your own supervisor (tmux, screen, runit, a container's restart policy) instead.";

type Run = (argv: string[]) => { code: number; output: string };

export const runCommand: Run = (argv) => {
  try {
    const proc = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
    return { code: proc.exitCode ?? 1, output: `${proc.stdout.toString()}${proc.stderr.toString()}`.trim() };
  } catch (error) {
    return { code: 127, output: error instanceof Error ? error.message : String(error) };
  }
};

/** Writes the service file; with `start`, loads and starts it. Returns the lines to print. */
export async function installService(
  plan: ServicePlan,
  start: boolean,
  run: Run = runCommand,
): Promise<{ code: number; lines: string[] }> {
  await mkdir(dirname(plan.file), { recursive: true });
  await writeFile(plan.file, plan.content, { mode: 0o644 });
  const lines = [`Wrote ${plan.file}:`, "", plan.content.trimEnd(), ""];
  const enableText = plan.enable.map((c) => c.join(" ")).join(" && ");
  if (!start) {
    lines.push(`Not started (--no-start). To start it now and at every login: ${enableText}`);
    return { code: 0, lines: [...lines, ...afterInstall(plan)] };
  }
  if (plan.manager === "launchd") run(plan.disable[0] ?? []); // A previous copy must be unloaded before bootstrap.
  for (const argv of plan.enable) {
    const result = run(argv);
    if (result.code !== 0) {
      lines.push(
        `\`${argv.join(" ")}\` failed${result.output ? `: ${result.output}` : ""}`,
        `The file is written; start it once the ${plan.manager === "systemd" ? "systemd user manager" : "launchd session"} is reachable: ${enableText}`,
      );
      return { code: 1, lines };
    }
  }
  lines.push(`Started. Logs: ${plan.logs}`);
  return { code: 0, lines: [...lines, ...afterInstall(plan)] };
}

function afterInstall(plan: ServicePlan): string[] {
  if (plan.manager !== "systemd") return [];
  // Without lingering, systemd stops a user's services when the user's last session ends.
  return [`To keep it running after you log out: loginctl enable-linger "$USER"`];
}

export async function uninstallService(
  plan: ServicePlan,
  run: Run = runCommand,
): Promise<{ code: number; lines: string[] }> {
  if (!existsSync(plan.file)) return { code: 0, lines: [`No service installed (${plan.file} does not exist).`] };
  for (const argv of plan.disable) run(argv); // It may not be loaded: the file is removed either way.
  await rm(plan.file, { force: true });
  if (plan.manager === "systemd") run(["systemctl", "--user", "daemon-reload"]);
  return { code: 0, lines: [`Stopped and removed ${plan.file}.`] };
}

export async function serviceStatus(
  plan: ServicePlan,
  run: Run = runCommand,
): Promise<{ code: number; lines: string[] }> {
  let content: string;
  try {
    content = await readFile(plan.file, "utf8");
  } catch {
    return { code: 3, lines: [`Not installed (no ${plan.file}). Install it with: pocket-agent service install`] };
  }
  const exec = /^ExecStart=(.*)$/m.exec(content)?.[1] ?? "";
  const result = run(plan.status);
  return {
    code: result.code === 0 ? 0 : 3,
    lines: [
      `Installed: ${plan.file}`,
      ...(exec ? [`Runs: ${exec}`] : []),
      result.code === 0
        ? result.output
        : `Not running (${plan.status.join(" ")}: ${result.output || `exit ${result.code}`})`,
      `Logs: ${plan.logs}`,
    ],
  };
}
