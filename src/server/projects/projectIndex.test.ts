import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRepo } from "../../../tests/fixtures/gitRepos.ts";
import type { Session } from "../../shared/messages.ts";
import type { ClaudeSessionInfo, ClaudeSessions } from "./claudeSessions.ts";
import { ProjectIndex } from "./projectIndex.ts";

/**
 * The cache around the scan, on real directories and real git repositories. Claude Code's session
 * list is a stand-in here (what `listSessions()` returns); the real SDK on transcripts the real CLI
 * wrote is tested in tests/integration/projects.test.ts.
 */
let base: string;
let root: string;
let clock: number;
let claudeList: ClaudeSessionInfo[];
let listCalls: number;
let pocket: Session[];

const claude: ClaudeSessions = {
  listAll: async () => {
    listCalls++;
    return claudeList;
  },
  listIn: async () => [],
  messages: async () => [],
  fork: async () => "",
  heldByLiveProcess: () => new Set(),
};

const index = (options: Partial<ConstructorParameters<typeof ProjectIndex>[0]> = {}) =>
  new ProjectIndex({ roots: [root], claude, sessions: () => pocket, now: () => clock, ...options });

const info = (cwd: string, lastModified: number): ClaudeSessionInfo => ({
  sessionId: crypto.randomUUID(),
  summary: "s",
  lastModified,
  cwd,
});

const session = (project: string, updatedAt: string): Session => ({
  id: crypto.randomUUID(),
  title: "t",
  model: "haiku",
  cwd: project,
  project,
  permissionMode: "default",
  pinned: false,
  archived: false,
  status: "idle",
  queued: 0,
  pendingPermissions: 0,
  lastSeq: 0,
  createdAt: updatedAt,
  updatedAt,
});

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "pocket-index-")));
  root = join(base, "code");
  mkdirSync(root);
  clock = Date.parse("2026-12-03T12:00:00Z");
  claudeList = [];
  listCalls = 0;
  pocket = [];
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("ProjectIndex", () => {
  test("a scan is answered while fresh; a stale one is answered at once while a new scan runs", async () => {
    makeRepo(join(root, "api"));
    const projects = index({ freshMs: 10_000 });
    expect((await projects.list()).map((p) => p.name).sort()).toEqual(["api", "code"]);
    expect(listCalls).toBe(1);

    makeRepo(join(root, "web"));
    clock += 5_000;
    expect((await projects.list()).map((p) => p.name)).not.toContain("web");
    expect(listCalls).toBe(1);

    clock += 6_000;
    // Stale: the old answer now, a rescan behind it.
    expect((await projects.list()).map((p) => p.name)).not.toContain("web");
    await projects.settled();
    expect(listCalls).toBe(2);
    expect((await projects.list()).map((p) => p.name)).toContain("web");
  });

  test("dirty is absent until git status has answered, then cached", async () => {
    const repo = makeRepo(join(root, "api"));
    writeFileSync(join(repo, "wip.txt"), "x");
    const projects = index();
    const first = await projects.list();
    const api = () => first.find((p) => p.name === "api");
    expect(api()?.isGit).toBe(true);
    expect(api()?.branch).toBe("main");
    await projects.settled();
    expect((await projects.list()).find((p) => p.name === "api")?.dirty).toBe(true);
  });

  test("directories with Claude Code history are projects; cwds are compared where they really are", async () => {
    mkdirSync(join(root, "notes", "deeper", "a", "b"), { recursive: true });
    mkdirSync(join(root, "empty"));
    symlinkSync(join(root, "notes"), join(base, "notes-link"));
    claudeList = [
      info(join(base, "notes-link"), clock - 1_000), // the same directory, by a symlink
      info(join(root, "notes"), clock - 5_000),
      info(join(root, "notes", "deeper", "a", "b"), clock), // depth 4: too deep to list
      info(join(base, "outside"), clock), // outside the roots
      { ...info(join(root, "gone"), clock), cwd: undefined },
    ];
    const projects = await index().list();
    expect(projects.map((p) => p.name)).toEqual(["notes", "code"]);
    expect(projects[0]).toMatchObject({
      path: join(root, "notes"),
      claudeSessionCount: 2,
      lastActivityAt: new Date(clock - 1_000).toISOString(),
      sessionCount: 0,
    });
  });

  test("Pocket Agent sessions are counted at answer time; their directories are projects while they exist", async () => {
    const deep = join(root, "a", "b", "c", "d");
    mkdirSync(deep, { recursive: true });
    const projects = index();
    expect((await projects.list()).map((p) => p.name)).toEqual(["code"]);
    pocket = [session(root, "2026-12-03T11:00:00.000Z"), session(deep, "2026-12-03T11:30:00.000Z")];
    pocket.push(session(join(root, "removed"), "2026-12-03T11:45:00.000Z"));
    pocket.push(session(join(base, "elsewhere"), "2026-12-03T11:50:00.000Z"));
    const listed = await projects.list();
    expect(listed.map((p) => [p.path, p.sessionCount, p.lastActivityAt])).toEqual([
      [deep, 1, "2026-12-03T11:30:00.000Z"],
      [root, 1, "2026-12-03T11:00:00.000Z"],
    ]);
    expect(listCalls).toBe(1);
  });

  test("most recently active first, then by name", async () => {
    for (const name of ["b", "a", "c"]) mkdirSync(join(root, name));
    claudeList = [
      info(join(root, "c"), clock - 10),
      info(join(root, "b"), clock - 100),
      info(join(root, "a"), clock - 100),
    ];
    expect((await index().list()).map((p) => p.name)).toEqual(["c", "a", "b", "code"]);
  });

  test("when Claude Code's sessions cannot be listed, the directories still are", async () => {
    makeRepo(join(root, "api"));
    const failing = { ...claude, listAll: () => Promise.reject(new Error("EACCES")) };
    const projects = await index({ claude: failing }).list();
    expect(projects.map((p) => [p.name, p.claudeSessionCount])).toEqual([
      ["api", 0],
      ["code", 0],
    ]);
  });

  test("several roots; one that does not exist is skipped", async () => {
    const second = join(base, "work");
    makeRepo(join(second, "tool"));
    const projects = await index({ roots: [root, second, join(base, "missing")] }).list();
    expect(projects.map((p) => [p.name, p.root]).sort()).toEqual([
      ["code", root],
      ["tool", second],
      ["work", second],
    ]);
  });
});
