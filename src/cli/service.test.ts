import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  detectManager,
  installService,
  NO_MANAGER,
  type ServiceContext,
  servicePlan,
  serviceStatus,
  systemdUnit,
  uninstallService,
} from "./service.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-service-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const linux = (env: Record<string, string>): ServiceContext => ({
  platform: "linux",
  env,
  which: (bin) => (bin === "systemctl" ? "/usr/bin/systemctl" : null),
  uid: 1000,
});

/** Records the commands a plan runs instead of touching the machine's service manager. */
function recorder(code = 0) {
  const ran: string[][] = [];
  return {
    ran,
    run: (argv: string[]) => {
      ran.push(argv);
      return { code, output: code ? "Failed to connect to bus" : "active" };
    },
  };
}

describe("service manager", () => {
  test("systemd on Linux with systemctl, launchd on macOS, none elsewhere", () => {
    expect(detectManager(linux({}))).toBe("systemd");
    expect(detectManager({ ...linux({}), which: () => null })).toBeNull();
    expect(detectManager({ ...linux({}), platform: "darwin" })).toBe("launchd");
    expect(detectManager({ ...linux({}), platform: "freebsd" })).toBeNull();
    expect(servicePlan({ ...linux({}), platform: "win32" }, { argv: [], workingDirectory: "/", path: "" })).toBeNull();
    expect(NO_MANAGER).toContain("neither systemd");
  });

  test("the systemd unit starts at login, restarts on failure and quotes what systemd would expand", () => {
    const unit = systemdUnit({
      argv: ["/opt/bun", "/opt/pa/src/cli/main.ts", "start", "--workdir", '/home/me/100% $HOME "x"'],
      workingDirectory: "/home/me",
      path: "/usr/bin:/bin",
    });
    expect(unit).toContain("Restart=on-failure");
    expect(unit).toContain("WantedBy=default.target");
    expect(unit).toContain(
      'ExecStart="/opt/bun" "/opt/pa/src/cli/main.ts" "start" "--workdir" "/home/me/100%% $$HOME \\"x\\""',
    );
    expect(unit).toContain('Environment="PATH=/usr/bin:/bin"');
  });

  test("install --no-start writes the unit under XDG_CONFIG_HOME and starts nothing; status and uninstall find it", async () => {
    const plan = servicePlan(linux({ XDG_CONFIG_HOME: dir, HOME: dir }), {
      argv: ["/opt/bun", "/opt/pa/src/cli/main.ts", "start"],
      workingDirectory: dir,
      path: "/usr/bin",
    });
    if (!plan) throw new Error("no plan");
    expect(plan.file).toBe(join(dir, "systemd", "user", "pocket-agent.service"));
    const rec = recorder();
    const installed = await installService(plan, false, rec.run);
    expect(installed.code).toBe(0);
    expect(rec.ran).toEqual([]);
    expect(await readFile(plan.file, "utf8")).toBe(plan.content);
    expect(installed.lines.join("\n")).toContain(`Wrote ${plan.file}`);
    expect(installed.lines.join("\n")).toContain("loginctl enable-linger");

    const status = await serviceStatus(plan, rec.run);
    expect(status.lines[0]).toBe(`Installed: ${plan.file}`);
    expect(rec.ran).toEqual([["systemctl", "--user", "status", "--no-pager", "pocket-agent.service"]]);

    const removed = await uninstallService(plan, rec.run);
    expect(removed.code).toBe(0);
    expect(existsSync(plan.file)).toBe(false);
    expect((await serviceStatus(plan, rec.run)).code).toBe(3);
  });

  test("install enables and starts it; when the user manager is unreachable it says so, file kept", async () => {
    const plan = servicePlan(linux({ XDG_CONFIG_HOME: dir }), { argv: ["/opt/bun"], workingDirectory: dir, path: "" });
    if (!plan) throw new Error("no plan");
    const ok = recorder();
    expect((await installService(plan, true, ok.run)).code).toBe(0);
    expect(ok.ran).toEqual([
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "enable", "--now", "pocket-agent.service"],
    ]);
    const failing = recorder(1);
    const result = await installService(plan, true, failing.run);
    expect(result.code).toBe(1);
    expect(result.lines.join("\n")).toContain("Failed to connect to bus");
    expect(existsSync(plan.file)).toBe(true);
  });

  test("launchd: a plist in ~/Library/LaunchAgents, kept alive after failures, logging to ~/Library/Logs", async () => {
    const plan = servicePlan(
      { platform: "darwin", env: { HOME: dir }, which: () => null, uid: 501 },
      {
        argv: ["/opt/bun", "/opt/pa/src/cli/main.ts", "start", "--workdir", "/a&b"],
        workingDirectory: dir,
        path: "/usr/bin",
      },
    );
    if (!plan) throw new Error("no plan");
    expect(plan.file).toBe(join(dir, "Library", "LaunchAgents", "dev.pocket-agent.plist"));
    expect(plan.content).toContain("<string>/a&amp;b</string>");
    expect(plan.content).toMatch(/<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
    expect(plan.content).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
    expect(plan.content).toContain(join(dir, "Library", "Logs", "pocket-agent.log"));
    const rec = recorder();
    await installService(plan, true, rec.run);
    expect(rec.ran).toEqual([
      ["launchctl", "bootout", "gui/501/dev.pocket-agent"],
      ["launchctl", "bootstrap", "gui/501", plan.file],
    ]);
  });
});
