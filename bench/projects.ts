/**
 * bench/projects: how long the phone waits for its projects list on a big tree, 20 roots ×
 * 200 directories (each root: 40 projects, half of them git work trees, each with 4 folders; plus a
 * `node_modules` of 50 packages and a hidden folder that must not be entered), and 200 Claude Code
 * sessions spread over the projects, in a CLAUDE_CONFIG_DIR of their own.
 *
 * Side by side, through a socket.io-client round trip to a fresh server each time (`project:list`):
 * - baseline: the naive list, every answer computed on the spot: the walk, `git status` in each of
 *   the 400 work trees (2 at a time, as the server runs them) and the Claude Code listing, before
 *   answering;
 * - first answer: what the server does on its first request (walk, branches from git's files,
 *   the Claude Code listing; dirty states follow in the background);
 * - cached answer: the next requests while the scan is fresh.
 * Target: the first answer ≤ 300 ms.
 *
 * The transcripts are small stand-ins written here in the shape the CLI writes (a user prompt and
 * an answer): the server reads them only through the Agent SDK's `listSessions`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setLogLevel } from "../src/server/logger.ts";
import { sdkClaudeSessions } from "../src/server/projects/claudeSessions.ts";
import { isDirty } from "../src/server/projects/git.ts";
import { walkRoots } from "../src/server/projects/walk.ts";
import { createFakeRunner } from "../tests/fixtures/fakeAgentRunner.ts";
import { git } from "../tests/fixtures/gitRepos.ts";
import { startTestServer, TestClient } from "../tests/fixtures/testServer.ts";
import { median, rotated, summarize } from "./lib.ts";

const ROOTS = 20;
const PROJECTS_PER_ROOT = 40;
const FOLDERS_PER_PROJECT = 4; // 40 + 40 × 4 = 200 directories per root
const CLAUDE_SESSIONS = 200;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const WARM = 50;

function slug(path: string): string {
  return path.replace(/[^a-zA-Z0-9]/g, "-");
}

function transcript(sessionId: string, cwd: string, prompt: string, at: Date): string {
  const user = {
    parentUuid: null,
    isSidechain: false,
    type: "user",
    message: { role: "user", content: prompt },
    uuid: crypto.randomUUID(),
    timestamp: at.toISOString(),
    cwd,
    sessionId,
    version: "2.1.332",
    gitBranch: "main",
    entrypoint: "cli",
    userType: "external",
  };
  const assistant = {
    ...user,
    parentUuid: user.uuid,
    type: "assistant",
    uuid: crypto.randomUUID(),
    message: { role: "assistant", type: "message", content: [{ type: "text", text: `Echo: ${prompt}` }] },
  };
  return `${JSON.stringify(user)}\n${JSON.stringify(assistant)}\n`;
}

function buildTree(base: string): { roots: string[]; configDir: string } {
  const roots: string[] = [];
  const projects: string[] = [];
  for (let r = 0; r < ROOTS; r++) {
    const root = join(base, `root-${r}`);
    roots.push(root);
    for (let p = 0; p < PROJECTS_PER_ROOT; p++) {
      const project = join(root, `project-${p}`);
      for (const folder of ["src", "test", "docs", "lib"].slice(0, FOLDERS_PER_PROJECT)) {
        mkdirSync(join(project, folder), { recursive: true });
      }
      if (p % 2 === 0) {
        git(project, "init", "-q", "-b", "main");
        writeFileSync(join(project, "README.md"), `# project ${p}\n`);
        projects.push(project);
      }
    }
    for (let m = 0; m < 50; m++) mkdirSync(join(root, "project-1", "node_modules", `pkg-${m}`), { recursive: true });
    mkdirSync(join(root, ".cache", "a", "b"), { recursive: true });
  }
  const configDir = join(base, "claude");
  for (let s = 0; s < CLAUDE_SESSIONS; s++) {
    const cwd = projects[(s * 7) % projects.length] as string;
    const dir = join(configDir, "projects", slug(cwd));
    mkdirSync(dir, { recursive: true });
    const id = crypto.randomUUID();
    writeFileSync(join(dir, `${id}.jsonl`), transcript(id, cwd, `task ${s}: fix the flaky test`, new Date()));
  }
  return { roots, configDir };
}

/** The naive answer: everything computed before answering, git status included. */
async function naiveList(roots: string[], configDir: string): Promise<number> {
  const walked = walkRoots(roots);
  const claude = await sdkClaudeSessions(configDir).listAll();
  const repos = walked.filter((d) => d.isGit).map((d) => d.path);
  let next = 0;
  const worker = async () => {
    while (next < repos.length) await isDirty(repos[next++] as string);
  };
  await Promise.all([worker(), worker()]);
  return walked.length + claude.length;
}

async function roundTrip(client: TestClient): Promise<{ ms: number; projects: number }> {
  const requestId = crypto.randomUUID();
  const started = performance.now();
  client.socket.emit("project:list", { requestId });
  const reply = await client.next("project:list", (p) => p.requestId === requestId, { timeoutMs: 60_000 });
  return { ms: performance.now() - started, projects: reply.projects.length };
}

export async function run(): Promise<string> {
  setLogLevel("error");
  const base = mkdtempSync(join(tmpdir(), "pocket-bench-projects-"));
  const savedConfigDir = process.env.CLAUDE_CONFIG_DIR;
  try {
    const { roots, configDir } = buildTree(base);
    process.env.CLAUDE_CONFIG_DIR = configDir;
    const dirs = walkRoots(roots).length;
    const naive: number[] = [];
    const first: number[] = [];
    const cached: number[] = [];
    let listed = 0;
    const runner = createFakeRunner();
    for (let round = 0; round < RUNS; round++) {
      for (const path of rotated(["naive", "first"] as const, round)) {
        if (path === "naive") {
          const started = performance.now();
          await naiveList(roots, configDir);
          naive.push(performance.now() - started);
          continue;
        }
        const server = await startTestServer({
          runner,
          workdir: roots.join(":"),
          dataDir: mkdtempSync(join(base, "data-")),
        });
        const client = await TestClient.connect(server.url);
        const answer = await roundTrip(client);
        first.push(answer.ms);
        listed = answer.projects;
        if (round === 0) for (let i = 0; i < WARM; i++) cached.push((await roundTrip(client)).ms);
        client.close();
        await server.projects.index.settled();
        await server.stop();
      }
    }
    const warm = summarize(cached);
    const firstMedian = median(first);
    return [
      `### projects (${ROOTS} roots × ${PROJECTS_PER_ROOT * (FOLDERS_PER_PROJECT + 1)} directories: ${dirs} walked with the roots, ${listed} projects, ${CLAUDE_SESSIONS} Claude Code sessions; socket round trip of \`project:list\`, ${RUNS} fresh servers)`,
      "",
      "| answer | median | min | max |",
      "| --- | ---: | ---: | ---: |",
      `| naive: walk + \`git status\` in every work tree + Claude Code listing, then answer (baseline) | ${median(naive).toFixed(1)} ms | ${Math.min(...naive).toFixed(1)} ms | ${Math.max(...naive).toFixed(1)} ms |`,
      `| first answer of a fresh server (dirty states in the background) | ${firstMedian.toFixed(1)} ms | ${Math.min(...first).toFixed(1)} ms | ${Math.max(...first).toFixed(1)} ms |`,
      `| cached answer (${WARM} requests; p95 ${warm.p95.toFixed(1)} ms) | ${warm.p50.toFixed(1)} ms | ${Math.min(...cached).toFixed(1)} ms | ${Math.max(...cached).toFixed(1)} ms |`,
      "",
      `First answer ${firstMedian <= 300 ? "within" : "**over**"} the 300 ms target.`,
    ].join("\n");
  } finally {
    if (savedConfigDir === undefined) delete process.env.CLAUDE_CONFIG_DIR;
    else process.env.CLAUDE_CONFIG_DIR = savedConfigDir;
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await run());
