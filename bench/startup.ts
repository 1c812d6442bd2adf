/**
 * bench/startup: what the app's start-up costs the browser's main thread, read from Chromium's own
 * trace, against the same first screen without JavaScript (the baseline) in the same run.
 *
 * Lighthouse's performance score (bench/lighthouse.ts) moves by ±0.05 from one run to the next on
 * this shared machine, more than most start-up changes are worth; its simulation also multiplies
 * and reorders the tasks. This bench counts the tasks as they ran: for each page load (phone
 * viewport, Debian Chromium, no throttling), every task on the page's main thread during the first
 * STARTUP_WINDOW_MS (default 3000) after navigation, in the thread's CPU time (the machine is
 * shared: wall time also counts whatever else ran on the core): their total, the longest, and the
 * blocking time (Σ of each task's time over 50 ms), also projected to a phone 4× slower (each task
 * × 4, as Lighthouse's mobile emulation does, without its reordering); and the total in wall time.
 * Pages (bench/pages.ts): the first run, a conversation, the baseline; STARTUP_RUNS rounds
 * (default 7), the order rotating per round.
 * STARTUP_TRACES=<dir> keeps each load's trace there (it opens in Chrome's Performance panel).
 *
 *   bun bench/startup.ts            (or: npm run bench -- startup)
 */
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { median, rotated } from "./lib.ts";
import { ensureBuild, startBenchPages } from "./pages.ts";

const RUNS = Math.max(1, Number(process.env.STARTUP_RUNS ?? 7));
const WINDOW_MS = Math.max(500, Number(process.env.STARTUP_WINDOW_MS ?? 3000));
const CHROME_PATH = process.env.CHROME_PATH ?? "/usr/bin/chromium";
const LONG_TASK_MS = 50;
const PHONE_SLOWDOWN = 4;
const TRACE_CATEGORIES = [
  "-*",
  "disabled-by-default-devtools.timeline",
  "devtools.timeline",
  "blink.user_timing",
  "loading",
];

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  /** Wall time, µs. */
  dur?: number;
  /** The thread's CPU time, µs: what the task cost, without the time other processes took the core. */
  tdur?: number;
  args?: { data?: { documentLoaderURL?: string }; beginData?: { url?: string } };
}

export interface LoadCost {
  /** Σ of the main thread's tasks, CPU ms. */
  cpu: number;
  /** The same in wall time: higher than `cpu` by whatever else the shared machine ran meanwhile. */
  wall: number;
  /** The longest task, CPU ms. */
  longest: number;
  longTasks: number;
  /** Σ max(0, task − 50 ms), CPU. */
  blocking: number;
  /** The same with every task 4× longer. */
  phoneBlocking: number;
}

/**
 * The tasks of the page's main thread (the one that parsed the http(s) document) in `events`,
 * within `windowMs` of the navigation's start. A renderer process started for the navigation (COOP
 * switches process) can join the trace too late for its first events: then the window starts at
 * that thread's first task.
 */
export function startupCost(events: readonly TraceEvent[], windowMs: number): LoadCost {
  const isPage = (url: string | undefined) => /^https?:/.test(url ?? "");
  const navigation = events.find((e) => e.name === "navigationStart" && isPage(e.args?.data?.documentLoaderURL));
  const parse = events.find((e) => e.name === "ParseHTML" && isPage(e.args?.beginData?.url));
  const thread = navigation ?? parse;
  if (!thread) throw new Error("the trace has no page navigation (no navigationStart, no ParseHTML)");
  const onThread = events
    .filter((e) => e.name === "RunTask" && e.ph === "X" && e.pid === thread.pid && e.tid === thread.tid)
    .sort((a, b) => a.ts - b.ts);
  const start = navigation?.ts ?? onThread[0]?.ts ?? thread.ts;
  const end = start + windowMs * 1000;
  const inWindow = onThread.filter((e) => e.ts >= start && e.ts < end);
  const tasks = inWindow.map((e) => (e.tdur ?? e.dur ?? 0) / 1000);
  const over = (slowdown: number) => tasks.reduce((sum, d) => sum + Math.max(0, d * slowdown - LONG_TASK_MS), 0);
  return {
    cpu: tasks.reduce((sum, d) => sum + d, 0),
    wall: inWindow.reduce((sum, e) => sum + (e.dur ?? 0) / 1000, 0),
    longest: Math.max(0, ...tasks),
    longTasks: tasks.filter((d) => d >= LONG_TASK_MS).length,
    blocking: over(1),
    phoneBlocking: over(PHONE_SLOWDOWN),
  };
}

/** Loads `url` in a fresh context (no cache, no service worker: a first visit) and returns its trace. */
async function traceLoad(
  browser: Browser,
  url: string,
  cookie: { name: string; value: string } | undefined,
): Promise<TraceEvent[]> {
  const context = await browser.newContext({
    viewport: { width: 375, height: 667 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    serviceWorkers: "block",
  });
  // In the jar, like a paired phone's: a Cookie header added to requests does not reach the WebSocket.
  if (cookie) await context.addCookies([{ ...cookie, url }]);
  try {
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);
    const events: TraceEvent[] = [];
    cdp.on("Tracing.dataCollected", ({ value }) => events.push(...(value as unknown as TraceEvent[])));
    const complete = new Promise<void>((resolve) => cdp.once("Tracing.tracingComplete", () => resolve()));
    // Started on the page's own session, like Lighthouse does: a browser-wide trace lost the first
    // events of the new renderer more often.
    await cdp.send("Tracing.start", { categories: TRACE_CATEGORIES.join(","), transferMode: "ReportEvents" });
    await tab.goto(url, { waitUntil: "commit" });
    // A fixed window from navigation: the measurement, not a wait for something to happen.
    await tab.waitForTimeout(WINDOW_MS);
    await cdp.send("Tracing.end");
    await complete;
    return events;
  } finally {
    await context.close();
  }
}

export async function run(): Promise<string> {
  const build = await ensureBuild();
  const pages = await startBenchPages();
  const browser = await chromium.launch({ executablePath: CHROME_PATH, args: ["--no-sandbox"] });
  try {
    const measured = [
      { name: "first run (no session)", url: pages.firstRun, loads: [] as LoadCost[] },
      { name: "conversation", url: pages.conversation, loads: [] as LoadCost[] },
      { name: "baseline: static first screen, no JS", url: pages.baseline, loads: [] as LoadCost[] },
    ];
    for (let round = 0; round < RUNS; round++) {
      for (const page of rotated(measured, round)) {
        // The renderer COOP starts for the navigation sometimes joins the trace too late for any of
        // the page's first events: that load is measured again.
        for (let attempt = 1; ; attempt++) {
          const events = await traceLoad(browser, page.url, pages.cookieFor(page.url));
          const keep = process.env.STARTUP_TRACES;
          if (keep) {
            const file = `startup-${round}-${measured.indexOf(page)}.json`;
            await Bun.write(join(keep, file), JSON.stringify({ traceEvents: events }));
          }
          try {
            page.loads.push(startupCost(events, WINDOW_MS));
            break;
          } catch (error) {
            if (attempt >= 3) throw error;
          }
        }
      }
    }

    const fmt = (n: number) => `${Math.round(n)}`;
    const baseline = measured.at(-1);
    const rows = measured.map(({ name, loads }) => {
      const m = (key: keyof LoadCost) => median(loads.map((load) => load[key]));
      const added = baseline && baseline.loads !== loads ? m("cpu") - median(baseline.loads.map((l) => l.cpu)) : 0;
      return `| ${name} | ${fmt(m("cpu"))} | ${baseline?.loads === loads ? "–" : `+${fmt(added)}`} | ${fmt(m("longest"))} | ${m("longTasks")} | ${fmt(m("blocking"))} | ${fmt(m("phoneBlocking"))} | ${fmt(m("wall"))} |`;
    });
    const perLoad = measured
      .map(({ name, loads }) => `${name}: ${loads.map((load) => fmt(load.cpu)).join(", ")}`)
      .join("; ");
    const load = (
      await Bun.file("/proc/loadavg")
        .text()
        .catch(() => "?")
    )
      .split(" ")
      .slice(0, 3)
      .join(" ");
    return [
      `### startup (main-thread tasks in the first ${WINDOW_MS} ms of a load; phone viewport, no throttling; median of ${RUNS} loads)`,
      "",
      "| page | CPU ms | over baseline | longest task ms | tasks ≥ 50 ms | blocking ms | blocking ms at 4× | wall ms |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
      `CPU ms per load: ${perLoad}. Load average at the end: ${load}. First-screen JS: ${build.firstScreen.join(", ")} (${(build.firstScreenGzip / 1024).toFixed(1)} KB gzip).`,
    ].join("\n");
  } finally {
    await browser.close();
    await pages.stop();
  }
}

if (import.meta.main) {
  console.log(await run());
  process.exit(0);
}
