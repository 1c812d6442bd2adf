/**
 * bench/lighthouse: Lighthouse 13 (mobile emulation, simulated throttling) against the production
 * server (built client from dist/, real Claude Code CLI on the fake Anthropic API) in Debian's
 * Chromium. Four pages (bench/pages.ts): the first run (an empty database), a conversation (the
 * app opens it on load), the baseline: the same first screen as static HTML and CSS only, served
 * like the app serves it, and the floor: a page with one paragraph and the same headers, what this
 * machine and Chromium score for a page that does nothing.
 * Performance, accessibility and best practices, median of LIGHTHOUSE_RUNS runs each (default 3), the
 * pages taken in turn round by round (in a rotating order), so that the machine's load moves all of
 * them alike.
 * LIGHTHOUSE_REPORTS=<dir> keeps every run's JSON report and its trace there.
 * Targets: ≥ 0.95 each. Also the first-screen JS size from dist/build-info.json.
 *
 * Lighthouse runs on Node (it is not tested on Bun): `node node_modules/lighthouse/cli/index.js`.
 * The browser is paired the way a phone is: the app pages are opened by their pairing URL
 * (`/?token=…`), whose 303 sets the cookie and lands on the page. (Until 2026-12-03 the cookie was
 * sent with `--extra-headers`; it does not reach the app's WebSocket, so those runs measured the
 * pairing screen, not the app.)
 *
 *   bun bench/lighthouse.ts            (or: npm run bench -- lighthouse)
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { spawn } from "bun";
import { median, rotated } from "./lib.ts";
import { ensureBuild, ROOT, startBenchPages } from "./pages.ts";

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

export async function run(): Promise<string> {
  const build = await ensureBuild();
  const temp = mkdtempSync(join(tmpdir(), "pocket-lighthouse-"));
  const pages = await startBenchPages();
  try {
    const headersPath = join(temp, "headers.json");
    writeFileSync(headersPath, JSON.stringify({}));

    const measured: Page[] = [
      { name: "first run (no session)", url: pages.paired.firstRun, runs: [] },
      { name: "conversation", url: pages.paired.conversation, runs: [] },
      { name: "baseline: static first screen, no JS", url: pages.baseline, runs: [] },
      { name: "floor: one paragraph, no CSS or JS", url: pages.floor, runs: [] },
    ];
    // Round by round, so a change in the machine's load hits every page alike, and in an order that
    // rotates, so no page always runs first: comparing two builds here, whichever ran first in each
    // round came out ahead, in both orders (by 0.04-0.08), more than the builds differed.
    for (let round = 0; round < RUNS; round++) {
      for (const page of rotated(measured, round)) await measureOnce(page, headersPath, temp);
    }

    const summaries = measured.map(summarise);
    const fmt = (n: number) => n.toFixed(2);
    const ok = (n: number) => (n >= TARGET ? "✅" : "❌");
    const rows = summaries.map(
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
      `Lighthouse benchmarkIndex of this machine during the runs: ${summaries.flatMap((p) => p.runs.map((r) => Math.round(r.benchmarkIndex))).join(", ")} (CPU slowdown 4× is applied on top).`,
      "",
      `Per run (perf/a11y/bp): ${summaries.map((p) => `${p.name}: ${p.runs.map((r) => CATEGORIES.map((c) => fmt(r.scores[c])).join("/")).join(", ")}`).join("; ")}.`,
      "",
      `LCP element: ${summaries.map((p) => `${p.name}: \`${p.lcpElement.replaceAll("`", "'")}\``).join("; ")}.`,
      "",
      `Audits below 0.9 in any run (lowest score): ${summaries.map((p) => `${p.name}: ${p.failing.length ? p.failing.join(", ") : "none"}`).join("; ")}.`,
      "",
      `First-screen JS (dist/build-info.json, build ${build.version}): ${build.firstScreen.join(", ")} = ${kb(build.firstScreenBytes)}, **${kb(build.firstScreenGzip)} gzip** (budget 150 KB).`,
      "",
      `Command: \`${command}\`, against \`bun src/server/main.ts\` (NODE_ENV=production, ${relative(ROOT, join(ROOT, "dist"))}/).`,
    ].join("\n");
  } finally {
    await pages.stop();
    rmSync(temp, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  console.log(await run());
  process.exit(0);
}
