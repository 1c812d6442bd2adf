/**
 * bench/reopen: how long a phone takes to show the conversation again when the app is reopened,
 * with the copy saved on the device (decision 023) against without it (what every load did before).
 *
 * Debian Chromium, phone viewport, 4× CPU throttling (Emulation.setCPUThrottlingRate), a warm
 * service worker (the app was opened once before, so the page and its code come from its cache),
 * on loopback and through a proxy that adds a phone's round trip (PHONE_RTT_MS) to every exchange.
 * Measured: from navigation start to the last turn's reply on screen, read in the page
 * (performance.now() when a MutationObserver first sees the reply's text). The baseline deletes the
 * app's IndexedDB away (an init script), so it keeps nothing and waits for the server's replay as
 * every load did before; both variants load the same build from the same server, alternating round
 * by round.
 *
 *   bun bench/reopen.ts            (or: npm run bench -- reopen)
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { startLatencyProxy } from "../tests/fixtures/latencyProxy.ts";
import { median, rotated } from "./lib.ts";
import { ensureBuild, startBenchPages } from "./pages.ts";

const CHROME_PATH = process.env.CHROME_PATH ?? "/usr/bin/chromium";
const RUNS = Number(process.env.REOPEN_RUNS ?? 9);
const CPU_SLOWDOWN = 4;
/** A phone's round trip to its workstation over Wi-Fi or 4G and a VPN, added by a proxy (latencyProxy.ts). */
const PHONE_RTT_MS = 150;
/** Text of the conversation page's last reply (bench/pages.ts MARKDOWN_REPLY). */
const LAST_REPLY_TEXT = "the vitest docs";

interface Variant {
  name: string;
  network: string;
  keepSavedCopy: boolean;
  page: Page;
  times: number[];
}

/** In every page before its scripts: when the last reply first shows, in ms since navigation start. */
function watchForReply(text: string): void {
  const flags = window as unknown as { __replyAt?: number };
  const check = () => {
    if (flags.__replyAt !== undefined) return;
    const log = document.querySelector('[role="log"]');
    if (log?.textContent?.includes(text)) {
      flags.__replyAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, characterData: true });
}

/** The baseline's pages: no IndexedDB, so the app keeps nothing on the device (indexedDbCache.ts). */
function hideIndexedDb(): void {
  Object.defineProperty(window, "indexedDB", { value: undefined, configurable: true });
}

async function phoneContext(
  browser: Awaited<ReturnType<typeof chromium.launch>>,
  cookie: { name: string; value: string } | undefined,
  url: string,
  keepSavedCopy: boolean,
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 375, height: 667 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  if (cookie) await context.addCookies([{ ...cookie, url }]);
  await context.addInitScript(watchForReply, LAST_REPLY_TEXT);
  if (!keepSavedCopy) await context.addInitScript(hideIndexedDb);
  return context;
}

async function replyShown(page: Page): Promise<number> {
  const handle = await page.waitForFunction(() => (window as unknown as { __replyAt?: number }).__replyAt, null, {
    timeout: 60_000,
  });
  return (await handle.jsonValue()) as number;
}

/** Opens the app once: the service worker installs and takes control, and the copy is saved. */
async function warmUp(page: Page, url: string, keepSavedCopy: boolean): Promise<void> {
  await page.goto(url);
  await replyShown(page);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }),
      );
    }
  });
  if (!keepSavedCopy) return;
  // The copy is written at most a second after the last change (savedConversationsActor.ts).
  await page.waitForFunction(
    () =>
      new Promise<boolean>((resolve) => {
        const open = indexedDB.open("pocket-agent");
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("conversations")) return resolve(false);
          const count = db.transaction("conversations").objectStore("conversations").count();
          count.onsuccess = () => resolve(count.result > 0);
          count.onerror = () => resolve(false);
        };
        open.onerror = () => resolve(false);
      }),
    null,
    { timeout: 30_000, polling: 200 },
  );
}

async function measure(variant: Variant): Promise<number> {
  const { page } = variant;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  await page.reload();
  const at = await replyShown(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  await cdp.detach();
  return at;
}

export async function run(): Promise<string> {
  await ensureBuild();
  const pages = await startBenchPages();
  const browser = await chromium.launch({ executablePath: CHROME_PATH, args: ["--no-sandbox"] });
  try {
    const direct = pages.conversation;
    const cookie = pages.cookieFor(direct);
    const proxy = await startLatencyProxy(Number(new URL(direct).port), PHONE_RTT_MS / 2);
    const networks = [
      { network: "loopback", url: direct },
      { network: `${PHONE_RTT_MS} ms round trip`, url: `http://127.0.0.1:${proxy.port}/` },
    ];
    const variants: Variant[] = [];
    try {
      for (const { network, url } of networks) {
        for (const [name, keepSavedCopy] of [
          ["saved copy on the device", true],
          ["baseline: nothing saved (waits for the server's replay)", false],
        ] as const) {
          const context = await phoneContext(browser, cookie, url, keepSavedCopy);
          const page = await context.newPage();
          await warmUp(page, url, keepSavedCopy);
          variants.push({ name, network, keepSavedCopy, page, times: [] });
        }
      }
      for (let round = 0; round < RUNS; round++) {
        for (const variant of rotated(variants, round)) variant.times.push(await measure(variant));
      }
    } finally {
      proxy.stop();
    }
    const fmt = (n: number) => `${Math.round(n)}`;
    const rows = variants.map(
      (v) =>
        `| ${v.network} | ${v.name} | ${fmt(median(v.times))} | ${fmt(Math.min(...v.times))} | ${fmt(Math.max(...v.times))} |`,
    );
    const summary = networks.map(({ network }) => {
      const [saved, baseline] = variants.filter((v) => v.network === network).map((v) => median(v.times));
      return `${network}: ${fmt(saved ?? 0)} ms with the saved copy against ${fmt(baseline ?? 0)} ms without it`;
    });
    return [
      `### reopen (navigation → last turn on screen; phone viewport, ${CPU_SLOWDOWN}× CPU throttling, warm service worker; median of ${RUNS} loads)`,
      "",
      "| network | variant | median ms | min ms | max ms |",
      "| --- | --- | --- | --- | --- |",
      ...rows,
      "",
      `${summary.join("; ")}. Per load: ${variants.map((v) => `${v.network}, ${v.name.split(":")[0]}: ${v.times.map(fmt).join(", ")}`).join("; ")}.`,
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
