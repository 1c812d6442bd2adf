/**
 * The pages the browser benchmarks load (bench/lighthouse.ts, bench/startup.ts), each from its own
 * server so that one page's state cannot leak into another's:
 *   - first run: the production server (dist/) with an empty database ("Start a session");
 *   - conversation: a second one holding a session whose one turn has a tool call and a Markdown
 *     reply (the app opens it on load);
 *   - baseline: the first screen as static HTML and CSS only (dist/index.html without its script),
 *     served with the app's compression and security headers: what this machine and Chromium
 *     cost before any of the app's JavaScript runs;
 *   - floor: a heading and a paragraph, no CSS or JavaScript, with the same headers: what
 *     Lighthouse gives a page that does nothing on this machine (bench/lighthouse.ts measures it).
 * Both app servers pair with one cookie each; `cookies` holds them for the browser to send.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
import { inlineScriptHashes, securityHeaders } from "../src/server/auth/headers.ts";
import { makeAgentEnv } from "../tests/fixtures/agentEnv.ts";
import { startFakeAnthropic } from "../tests/fixtures/fakeAnthropic.ts";
import { TestClient } from "../tests/fixtures/testServer.ts";

export const ROOT = resolve(import.meta.dir, "..");

export interface BuildInfo {
  version: string;
  firstScreen: string[];
  firstScreenBytes: number;
  firstScreenGzip: number;
}

/** dist/build-info.json, building the client first if there is none. */
export async function ensureBuild(): Promise<BuildInfo> {
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

/**
 * dist/index.html without its module script, with its stylesheet and icons: the page differs from
 * the app's first screen only by having no JavaScript.
 */
function serveStaticFirstScreen(distDir: string): { url: string; stop: () => void } {
  const html = readFileSync(join(distDir, "index.html"), "utf8");
  const withoutScript = html
    .replace(/<script type="module"[^>]*><\/script>/, "")
    .replaceAll(/<link rel="modulepreload"[^>]*>/g, "");
  if (withoutScript === html) throw new Error("dist/index.html has no module script to leave out");
  return serveLikeTheApp(withoutScript, distDir);
}

/**
 * The floor: a heading and a paragraph, no CSS, no JavaScript, served with the app's headers. What
 * Lighthouse scores on this machine for a page that does nothing (Cross-Origin-Opener-Policy
 * included, decision 012).
 */
const FLOOR_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Floor</title></head><body><main><h1>Pocket Agent</h1><p>A heading and a paragraph: no stylesheet, no script.</p></main></body></html>';

/**
 * `html` at `/` and the files of `assetDir` (stylesheet, icons, manifest), from a bare Bun.serve
 * that answers like the app's server does (gzip, the same security headers).
 */
function serveLikeTheApp(html: string, assetDir?: string): { url: string; stop: () => void } {
  const headers = securityHeaders({ https: false, scriptHashes: inlineScriptHashes(html) });
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
      if (path === "/") return answer(req, html, "text/html; charset=utf-8");
      const ext = /^\/[\w./-]+\.(\w+)$/.exec(path)?.[1];
      const type = ext ? types[ext] : undefined;
      const file = assetDir ? join(assetDir, path) : undefined;
      if (type && file && !path.includes("..") && existsSync(file))
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

export interface BenchPages {
  firstRun: string;
  conversation: string;
  baseline: string;
  /** A page that does nothing, served with the app's headers (FLOOR_PAGE). */
  floor: string;
  /**
   * The app pages' pairing URLs (`/?token=…`): a fresh browser that opens one is paired by the
   * server's 303 and lands on the page itself. Lighthouse can only add headers, and a `Cookie`
   * header does not reach the app's WebSocket: with one, these pages measured the pairing screen.
   */
  paired: { firstRun: string; conversation: string };
  /** The pairing cookie (`name`, `value`) of the app server at `url`, for browsers with a cookie jar. */
  cookieFor(url: string): { name: string; value: string } | undefined;
  stop(): Promise<void>;
}

/** Starts the pages' servers and puts the conversation on the second app server. */
export async function startBenchPages(): Promise<BenchPages> {
  const api = await startFakeAnthropic();
  const agent = makeAgentEnv(api.url);
  const temp = mkdtempSync(join(tmpdir(), "pocket-bench-pages-"));
  const servers: AppServer[] = [];
  const staticOnly = serveStaticFirstScreen(join(ROOT, "dist"));
  const floor = serveLikeTheApp(FLOOR_PAGE);
  const stop = async () => {
    staticOnly.stop();
    floor.stop();
    for (const server of servers) await server.stop();
    await api.close();
    agent.cleanup();
    rmSync(temp, { recursive: true, force: true });
  };
  try {
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

    const cookies = new Map<string, string>();
    for (const server of [empty, busy]) cookies.set(`${server.url}/`, await pairingCookie(server.url, server.token));
    return {
      firstRun: `${empty.url}/`,
      conversation: `${busy.url}/`,
      baseline: staticOnly.url,
      floor: floor.url,
      paired: { firstRun: `${empty.url}/?token=${empty.token}`, conversation: `${busy.url}/?token=${busy.token}` },
      cookieFor(url) {
        const [name = "", value = ""] = (cookies.get(url) ?? "").split("=");
        return name ? { name, value } : undefined;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
