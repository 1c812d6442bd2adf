/**
 * bench/lighthouse: Lighthouse 13 (mobile emulation, simulated throttling) against the production
 * server (built client from dist/, real Claude Code CLI on the fake Anthropic API) in Debian's
 * Chromium. Two pages:
 *   - first run: an empty database (the "Start a session" screen);
 *   - conversation: a session whose reply has a tool call and Markdown (the app opens it on load).
 *   - baseline: the first screen as static HTML and CSS only (dist/index.html without its script),
 *     served with the app's compression and security headers: the floor this machine and
 *     Chromium set for this page before any JavaScript runs.
 * Performance, accessibility and best practices, median of LIGHTHOUSE_RUNS runs each (default 3), the
 * pages taken in turn round by round (in a rotating order), so that the machine's load moves all of
 * them alike.
 * LIGHTHOUSE_REPORTS=<dir> keeps every run's JSON report and its trace there.
 * Targets: ≥ 0.95 each. Also the first-screen JS size from dist/build-info.json.
 *
 * Lighthouse runs on Node (it is not tested on Bun): `node node_modules/lighthouse/cli/index.js`.
 * The browser is paired by sending the pairing cookie with every request (`--extra-headers`),
 * the cookie the server set when this script opened the pairing URL.
 *
 *   bun bench/lighthouse.ts            (or: npm run bench -- lighthouse)
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
import { inlineScriptHashes, securityHeaders } from "../src/server/auth/headers.ts";
import { makeAgentEnv } from "../tests/fixtures/agentEnv.ts";
import { startFakeAnthropic } from "../tests/fixtures/fakeAnthropic.ts";
import { TestClient } from "../tests/fixtures/testServer.ts";

const ROOT = resolve(import.meta.dir, "..");
const RUNS = Math.max(1, Number(process.env.LIGHTHOUSE_RUNS ?? 3));
const CHROME_PATH = process.env.CHROME_PATH ?? "/usr/bin/chromium";
const CHROME_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
].join(" ");
const CATEGORIES = ["performance", "accessibility", "best-practices"] as const;
const TARGET = 0.95;

type Category = (typeof CATEGORIES)[number];

interface LighthouseRun {
  scores: Record<Category, number>;
  metrics: { fcp: number; lcp: number; tbt: number; cls: number; si: number };
  lcpElement: string;
  /** Audits that count towards a score and scored below 0.9: [category/id, score]. */
  failing: [string, number][];
  /** Lighthouse's CPU benchmark of this machine (higher is faster; it varies with the load). */
  benchmarkIndex: number;
}

interface BuildInfo {
  version: string;
  firstScreen: string[];
  firstScreenBytes: number;
  firstScreenGzip: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function ensureBuild(): Promise<BuildInfo> {
  const infoPath = join(ROOT, "dist/build-info.json");
  if (!existsSync(infoPath)) {
    const build = spawn([process.execPath, "scripts/build.ts"], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
    if ((await build.exited) !== 0) throw new Error("client build failed");
  }
  return JSON.parse(readFileSync(infoPath, "utf8")) as BuildInfo;
}

/** Reads `child`'s stdout until `pattern` matches. */
async function waitForLine(child: Subprocess<"ignore", "pipe", "inherit">, pattern: RegExp): Promise<RegExpExecArray> {
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const match = pattern.exec(buffer);
    if (match) {
      reader.releaseLock();
      return match;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited before it was ready:\n${buffer}`);
    buffer += decoder.decode(value);
  }
}

/** Opens the pairing URL like a browser would and returns the cookie it sets (`name=value`). */
async function pairingCookie(baseUrl: string, token: string): Promise<string> {
  const res = await fetch(`${baseUrl}/?token=${token}`, { redirect: "manual" });
  const cookie = res.headers.get("set-cookie")?.split(";")[0];
  if (res.status !== 303 || !cookie) throw new Error(`pairing failed: ${res.status}`);
  return cookie;
}

function lighthouseArgs(url: string, outputPath: string, headersPath: string): string[] {
  return [
    join(ROOT, "node_modules/lighthouse/cli/index.js"),
    url,
    "--output=json",
    `--output-path=${outputPath}`,
    `--only-categories=${CATEGORIES.join(",")}`,
    "--form-factor=mobile",
    `--chrome-flags=${CHROME_FLAGS}`,
    `--extra-headers=${headersPath}`,
    "--max-wait-for-load=45000",
    "--quiet",
    ...(process.env.LIGHTHOUSE_REPORTS ? ["--save-assets"] : []),
  ];
}

async function lighthouse(url: string, headersPath: string, workDir: string): Promise<LighthouseRun> {
  const output = join(workDir, `lh-${Date.now()}-${randomBytes(3).toString("hex")}.json`);
  const proc = spawn([process.env.NODE ?? "node", ...lighthouseArgs(url, output, headersPath)], {
    cwd: ROOT,
    env: { ...process.env, CHROME_PATH },
    stdout: "ignore",
    stderr: "pipe",
  });
  const stderr = await new Response(proc.stderr).text();
  if ((await proc.exited) !== 0 || !existsSync(output)) throw new Error(`lighthouse failed:\n${stderr}`);
  const report = JSON.parse(readFileSync(output, "utf8")) as {
    runtimeError?: { message: string };
    environment?: { benchmarkIndex?: number };
    categories: Record<string, { score: number | null; auditRefs: { id: string; weight: number }[] }>;
    audits: Record<
      string,
      { score: number | null; numericValue?: number; scoreDisplayMode: string; details?: { items?: unknown[] } }
    >;
  };
  if (report.runtimeError) throw new Error(`lighthouse: ${report.runtimeError.message}`);
  const keep = process.env.LIGHTHOUSE_REPORTS;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(output, join(keep, basename(output)));
    // --save-assets writes the trace beside the report: `<name>-0.trace.json`.
    const trace = output.replace(/\.json$/, "-0.trace.json");
    if (existsSync(trace)) copyFileSync(trace, join(keep, basename(trace)));
  }
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, report.categories[c]?.score ?? 0])) as Record<
    Category,
    number
  >;
  const value = (id: string) => report.audits[id]?.numericValue ?? Number.NaN;
  // Audits that count towards a score and did not pass.
  const failing: [string, number][] = [];
  for (const category of CATEGORIES) {
    for (const ref of report.categories[category]?.auditRefs ?? []) {
      const audit = report.audits[ref.id];
      if (!audit || ref.weight === 0 || audit.score === null || audit.score >= 0.9) continue;
      if (audit.scoreDisplayMode === "informative" || audit.scoreDisplayMode === "notApplicable") continue;
      failing.push([`${category}/${ref.id}`, audit.score]);
    }
  }
  // Lighthouse 13 names the LCP element in the LCP breakdown insight.
  const lcpItems = (report.audits["lcp-breakdown-insight"]?.details?.items ?? []) as {
    type?: string;
    snippet?: string;
    nodeLabel?: string;
  }[];
  const lcpNode = lcpItems.find((item) => item.type === "node");
  const lcpElement = lcpNode ? `${lcpNode.snippet ?? "?"} ("${lcpNode.nodeLabel ?? ""}")` : "?";
  return {
    scores,
    metrics: {
      fcp: value("first-contentful-paint"),
      lcp: value("largest-contentful-paint"),
      tbt: value("total-blocking-time"),
      cls: value("cumulative-layout-shift"),
      si: value("speed-index"),
    },
    lcpElement,
    failing,
    benchmarkIndex: report.environment?.benchmarkIndex ?? Number.NaN,
  };
}

interface Page {
  name: string;
  url: string;
  runs: LighthouseRun[];
}

/** One Lighthouse run of `page`, kept in `page.runs`. */
async function measureOnce(page: Page, headersPath: string, workDir: string): Promise<void> {
  // Lighthouse sometimes loses the trace on a loaded machine (NO_NAVSTART, NO_FCP): try that run again.
  for (let attempt = 1; ; attempt++) {
    try {
      page.runs.push(await lighthouse(page.url, headersPath, workDir));
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
      console.error(`lighthouse run failed (attempt ${attempt}), retrying: ${(error as Error).message.trim()}`);
    }
  }
}

function summarise({ name, runs }: Page) {
  const score = (c: Category) => median(runs.map((r) => r.scores[c]));
  const metric = (m: keyof LighthouseRun["metrics"]) => median(runs.map((r) => r.metrics[m]));
  // Each failing audit once, with its lowest score over the runs.
  const worst = new Map<string, number>();
  for (const [id, score] of runs.flatMap((r) => r.failing)) worst.set(id, Math.min(score, worst.get(id) ?? 1));
  const failing = [...worst].map(([id, score]) => `${id} (${score})`);
  return { name, runs, score, metric, failing, lcpElement: runs.at(-1)?.lcpElement ?? "?" };
}

/**
 * dist/index.html without its module script, with its stylesheet and icons, from a bare Bun.serve
 * that answers like the app's server does (gzip, the same security headers): the page differs
 * from the app's first screen only by having no JavaScript.
 */
function serveStaticFirstScreen(distDir: string): { url: string; stop: () => void } {
  const html = readFileSync(join(distDir, "index.html"), "utf8");
  const withoutScript = html.replace(/<script type="module"[^>]*><\/script>/, "");
  if (withoutScript === html) throw new Error("dist/index.html has no module script to leave out");
  const headers = securityHeaders({ https: false, scriptHashes: inlineScriptHashes(withoutScript) });
  const answer = (req: Request, body: Uint8Array<ArrayBuffer> | string, type: string) => {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const gzip = req.headers.get("accept-encoding")?.includes("gzip");
    return new Response(gzip ? Bun.gzipSync(bytes) : bytes, {
      headers: [
        ...headers,
        ["content-type", type],
        ...(gzip ? [["content-encoding", "gzip"] as [string, string]] : []),
      ],
    });
  };
  const types: Record<string, string> = {
    css: "text/css",
    svg: "image/svg+xml",
    png: "image/png",
    webmanifest: "application/manifest+json",
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/") return answer(req, withoutScript, "text/html; charset=utf-8");
      const ext = /^\/[\w./-]+\.(\w+)$/.exec(path)?.[1];
      const type = ext ? types[ext] : undefined;
      const file = join(distDir, path);
      if (type && !path.includes("..") && existsSync(file))
        return answer(req, new Uint8Array(readFileSync(file)), type);
      return new Response("not found", { status: 404, headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/`, stop: () => server.stop(true) };
}

const MARKDOWN_REPLY = [
  "## Test run",
  "",
  "**41 passed, 2 failed** in `vitest run`.",
  "",
  "- `orders.test.ts`: expected `status` to be `refunded`",
  "- `checkout.test.ts`: timed out after 5000 ms",
  "",
  "```ts",
  "const total = applyCoupon(cart, code); // returns a Promise<number>, so total is never a number",
  "```",
  "",
  "See [the vitest docs](https://vitest.dev/guide/).",
].join("\n");

interface AppServer {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** The production server (dist/) on its own empty data dir. */
async function startServer(agentEnv: Record<string, string>, cwd: string, dataDir: string): Promise<AppServer> {
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString("hex");
  const server = spawn([process.execPath, "src/server/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...agentEnv,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: "0",
      POCKET_DATA_DIR: dataDir,
      POCKET_WORKDIR: cwd,
      POCKET_TOKEN: token,
      POCKET_DEFAULT_MODEL: "haiku",
      POCKET_MAX_TURNS: "4",
      POCKET_LOG_LEVEL: "warn",
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const stop = async () => {
    server.kill("SIGTERM");
    await server.exited;
  };
  try {
    const url = (await waitForLine(server, /on (https?:\/\/\S+)/))[1] ?? "";
    return { url, token, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function run(): Promise<string> {
  const build = await ensureBuild();
  const api = await startFakeAnthropic();
  const agent = makeAgentEnv(api.url);
  const temp = mkdtempSync(join(tmpdir(), "pocket-lighthouse-"));
  const servers: AppServer[] = [];
  // Baseline: the same first screen as HTML and CSS only (no JavaScript), served like the app serves it.
  // What Lighthouse scores here is the floor this machine and Chromium set for this page.
  const staticOnly = serveStaticFirstScreen(join(ROOT, "dist"));
  try {
    // Two servers: one stays empty (the first-run screen), the other holds a conversation.
    const empty = await startServer(agent.env, agent.cwd, join(temp, "empty"));
    servers.push(empty);
    const busy = await startServer(agent.env, agent.cwd, join(temp, "conversation"));
    servers.push(busy);

    // A conversation to open: one turn with a tool call and a Markdown reply.
    const client = await TestClient.connect(busy.url, { token: busy.token });
    const createId = crypto.randomUUID();
    client.socket.emit("session:create", { requestId: createId, model: "haiku" });
    const session = await client.next("session:created", (p) => p.requestId === createId);
    const prompt = "Run the tests and summarise any failures";
    api.when(
      prompt,
      { kind: "message", blocks: [{ type: "tool_use", name: "Bash", input: { command: "ls", description: "List" } }] },
      { kind: "message", blocks: [{ type: "text", text: MARKDOWN_REPLY }] },
    );
    const requestId = crypto.randomUUID();
    client.socket.emit("chat:send", { message: prompt, sessionId: session.id, requestId });
    await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: 60_000 });
    client.socket.disconnect();

    // Both servers' pairing cookies go with every request; each server ignores the other's.
    const cookies = [await pairingCookie(empty.url, empty.token), await pairingCookie(busy.url, busy.token)];
    const headersPath = join(temp, "headers.json");
    writeFileSync(headersPath, JSON.stringify({ Cookie: cookies.join("; ") }));

    const measured: Page[] = [
      { name: "first run (no session)", url: `${empty.url}/`, runs: [] },
      { name: "conversation", url: `${busy.url}/`, runs: [] },
      { name: "baseline: static first screen, no JS", url: staticOnly.url, runs: [] },
    ];
    // Round by round, so a change in the machine's load hits every page alike, and in an order that
    // rotates, so no page always runs first: comparing two builds here, whichever ran first in each
    // round came out ahead, in both orders (by 0.04-0.08), more than the builds differed.
    for (let round = 0; round < RUNS; round++) {
      for (let i = 0; i < measured.length; i++) {
        const page = measured[(i + round) % measured.length];
        if (page) await measureOnce(page, headersPath, temp);
      }
    }

    const pages = measured.map(summarise);
    const fmt = (n: number) => n.toFixed(2);
    const ok = (n: number) => (n >= TARGET ? "✅" : "❌");
    const rows = pages.map(
      (p) =>
        `| ${p.name} | ${CATEGORIES.map((c) => `${fmt(p.score(c))} ${ok(p.score(c))}`).join(" | ")} | ${Math.round(p.metric("fcp"))} | ${Math.round(p.metric("lcp"))} | ${Math.round(p.metric("tbt"))} | ${p.metric("cls").toFixed(3)} |`,
    );
    const command = `node node_modules/lighthouse/cli/index.js <url> ${lighthouseArgs(
      "",
      "<out.json>",
      "<headers.json>",
    )
      .slice(2)
      .map((arg) => (arg.includes(" ") ? `"${arg}"` : arg))
      .join(" ")}  (CHROME_PATH=${CHROME_PATH})`;
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    return [
      `### lighthouse (Lighthouse 13, mobile emulation, simulated throttling; median of ${RUNS} runs; target ≥ ${TARGET})`,
      "",
      "| page | performance | accessibility | best practices | FCP ms | LCP ms | TBT ms | CLS |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
      `Lighthouse benchmarkIndex of this machine during the runs: ${pages.flatMap((p) => p.runs.map((r) => Math.round(r.benchmarkIndex))).join(", ")} (CPU slowdown 4× is applied on top).`,
      "",
      `Per run (perf/a11y/bp): ${pages.map((p) => `${p.name}: ${p.runs.map((r) => CATEGORIES.map((c) => fmt(r.scores[c])).join("/")).join(", ")}`).join("; ")}.`,
      "",
      `LCP element: ${pages.map((p) => `${p.name}: \`${p.lcpElement.replaceAll("`", "'")}\``).join("; ")}.`,
      "",
      `Audits below 0.9 in any run (lowest score): ${pages.map((p) => `${p.name}: ${p.failing.length ? p.failing.join(", ") : "none"}`).join("; ")}.`,
      "",
      `First-screen JS (dist/build-info.json, build ${build.version}): ${build.firstScreen.join(", ")} = ${kb(build.firstScreenBytes)}, **${kb(build.firstScreenGzip)} gzip** (budget 150 KB).`,
      "",
      `Command: \`${command}\`, against \`bun src/server/main.ts\` (NODE_ENV=production, ${relative(ROOT, join(ROOT, "dist"))}/).`,
    ].join("\n");
  } finally {
    staticOnly.stop();
    for (const server of servers) await server.stop();
    await api.close();
    agent.cleanup();
    rmSync(temp, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  console.log(await run());
  process.exit(0);
}
