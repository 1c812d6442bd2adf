/**
 * bench/agents: 40 sessions each send one message at once, through the real Claude Code CLI on
 * the fake Anthropic API, over one socket. The server runs in its own process
 * (bench/servers/fullServer.ts) so its process tree is the server plus its agents.
 *
 * Side by side in one run: the default agent limit (POCKET_MAX_AGENTS unset: defaultMaxAgents()
 * on this machine) and no limit. Reported: answers received, time to the last answer, peak agent
 * processes, and peak RSS of the server plus its agents (sampled every 100 ms from /proc).
 * `npm run bench -- agents` prints the load average before and after it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { defaultMaxAgents } from "../src/server/config.ts";
import { makeAgentEnv } from "../tests/fixtures/agentEnv.ts";
import { startFakeAnthropic } from "../tests/fixtures/fakeAnthropic.ts";
import { TestClient } from "../tests/fixtures/testServer.ts";
import { spawnServer } from "./lib.ts";

const SESSIONS = Number(process.env.AGENTS_SESSIONS ?? 40);
const TIMEOUT_MS = 300_000;

interface ProcInfo {
  pid: number;
  ppid: number;
  rssKb: number;
  name: string;
}

function processes(): ProcInfo[] {
  const all: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, "m").exec(status)?.[1] ?? "";
      all.push({
        pid: Number(entry),
        ppid: Number(field("PPid")),
        rssKb: Number.parseInt(field("VmRSS") || "0", 10),
        name: field("Name"),
      });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return all;
}

/** The server's RSS plus every descendant's, and how many of its direct children are agents. */
function sampleTree(rootPid: number): { rssBytes: number; agents: number } {
  const all = processes();
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let rssKb = all.find((p) => p.pid === rootPid)?.rssKb ?? 0;
  const stack = [...(children.get(rootPid) ?? [])];
  for (let p = stack.pop(); p; p = stack.pop()) {
    rssKb += p.rssKb;
    stack.push(...(children.get(p.pid) ?? []));
  }
  const agents = (children.get(rootPid) ?? []).filter((p) => p.name.startsWith("claude")).length;
  return { rssBytes: rssKb * 1024, agents };
}

interface Outcome {
  label: string;
  answered: number;
  failed: number;
  lastAnswerMs: number;
  peakAgents: number;
  peakRssBytes: number;
}

async function runOnce(label: string, env: Record<string, string>): Promise<Outcome> {
  const server = await spawnServer("bench/servers/fullServer.ts", { ...env, BENCH_SESSIONS: String(SESSIONS) });
  const client = await TestClient.connect(server.url);
  const sessions = client.all("connection")[0]?.sessions ?? [];
  let peakAgents = 0;
  let peakRssBytes = 0;
  const sampler = setInterval(() => {
    const { rssBytes, agents } = sampleTree(server.proc.pid);
    peakAgents = Math.max(peakAgents, agents);
    peakRssBytes = Math.max(peakRssBytes, rssBytes);
  }, 100);
  const started = performance.now();
  const ids = sessions.map((s) => client.send(s.id, `hello from session ${s.id}`));
  let answered = 0;
  let failed = 0;
  let lastAnswerMs = 0;
  await Promise.all(
    ids.map(async (id) => {
      const end = await Promise.race([
        client.next("chat:response", (p) => p.requestId === id, { timeoutMs: TIMEOUT_MS }).then(() => "ok" as const),
        client.next("chat:error", (p) => p.requestId === id, { timeoutMs: TIMEOUT_MS }).then(() => "error" as const),
      ]).catch(() => "timeout" as const);
      if (end === "ok") answered++;
      else failed++;
      lastAnswerMs = Math.max(lastAnswerMs, performance.now() - started);
    }),
  );
  clearInterval(sampler);
  client.close();
  await server.stop();
  return { label, answered, failed, lastAnswerMs, peakAgents, peakRssBytes };
}

export async function run(): Promise<string> {
  const api = await startFakeAnthropic();
  const agentEnv = makeAgentEnv(api.url);
  const base = { ...agentEnv.env, BENCH_REAL_AGENT: "1", POCKET_MAX_TURNS: "2" };
  const outcomes: Outcome[] = [];
  try {
    outcomes.push(await runOnce(`default limit (${defaultMaxAgents()})`, base));
    outcomes.push(await runOnce("no limit", { ...base, POCKET_MAX_AGENTS: "1000" }));
  } finally {
    await api.close();
    agentEnv.cleanup();
  }
  const rows = outcomes.map(
    (o) =>
      `| ${o.label} | ${o.answered}/${SESSIONS}${o.failed ? ` (${o.failed} failed)` : ""} | ${(o.lastAnswerMs / 1000).toFixed(1)} s | ${o.peakAgents} | ${(o.peakRssBytes / 1024 ** 3).toFixed(2)} GB |`,
  );
  return [
    `### agents (${SESSIONS} sessions send at once over one socket; real CLI, fake API)`,
    "",
    "| agent limit | answered | last answer | peak agent processes | peak RSS, server + agents |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

if (import.meta.main) {
  console.log(await run());
  process.exit(0);
}
