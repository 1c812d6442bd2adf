import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, test as base, expect, type Page, type WebSocket } from "@playwright/test";

/**
 * Worker-scoped real stack: the fake Anthropic API and the production server
 * (built client, real Claude Code CLI, SQLite) as child processes, each with
 * its own temp dirs, cleaned up at the end. Tests script the fake API over
 * its control endpoint and read the page's real Socket.IO frames.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const bun = join(root, "node_modules/.bin/bun");
export const E2E_TOKEN = "e2e-token-0123456789abcdef0123456789abcdef";

export interface Stack {
  baseURL: string;
  apiUrl: string;
  dataDir: string;
  workdir: string;
  /** The environment that runs `claude` at "the desk": the same fake API and CLAUDE_CONFIG_DIR as the server's agents. */
  claudeEnv: Record<string, string>;
  /** Queue replies on the fake Anthropic API (optionally only for prompts matching `when`). */
  script(replies: unknown[], when?: string): Promise<void>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
}

export function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolvePromise, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = pattern.exec(buffer);
      if (match) {
        child.stdout?.off("data", onData);
        resolvePromise(match);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${buffer}`)));
  });
}

/**
 * The environment of a Pocket Agent server (and the real CLI it starts) living in `temp`: its data,
 * work, Claude config and temp folders there (made here), the agent pointed at the fake API.
 */
export function serverProcessEnv(temp: string, apiUrl: string, token: string) {
  for (const dir of ["data", "work", "claude", "tmp"]) mkdirSync(join(temp, dir), { recursive: true });
  return {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    POCKET_DATA_DIR: join(temp, "data"),
    POCKET_WORKDIR: join(temp, "work"),
    POCKET_TOKEN: token,
    POCKET_DEFAULT_MODEL: "haiku",
    POCKET_MAX_TURNS: "4",
    POCKET_LOG_LEVEL: "warn",
    // Not the host name of whichever machine runs the tests: the screenshots show it.
    POCKET_MACHINE_NAME: "desk",
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: "test-key",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CONFIG_DIR: join(temp, "claude"),
    CLAUDE_CODE_MAX_RETRIES: "0",
    TMPDIR: join(temp, "tmp"),
  };
}

/**
 * Pairs a browser context the way a person does: opens the pairing URL, which sets the HttpOnly
 * cookie and answers 303 → `/`. Done through the context's request client (it shares the cookie
 * jar), so no page is loaded and no socket is opened as a side effect.
 */
export async function pairContext(context: BrowserContext, baseURL: string): Promise<void> {
  const res = await context.request.get(`${baseURL}/?token=${E2E_TOKEN}`, { maxRedirects: 0 });
  expect(res.status(), "pairing URL answers 303").toBe(303);
  expect(res.headers().location).toBe("/");
  const cookies = await context.cookies(baseURL);
  expect(cookies.some((cookie) => cookie.name === "pocket_auth" && cookie.httpOnly)).toBe(true);
}

export interface TestFixtures {
  /**
   * Uncaught errors and unhandled rejections in the test's pages (its fresh contexts' too); the
   * test fails if there are any.
   */
  pageErrors: PageErrors;
  /**
   * Option: pair the context before the test (default true). `test.use({ paired: false })` gives
   * an unpaired context and a blank `page` (for pairing tests).
   */
  paired: boolean;
  /** The page's real Socket.IO frames (sent and received), recorded from the page's creation. */
  frames: Frames;
  /**
   * A new, unpaired browser context with the project's settings (viewport, colour scheme…), closed
   * after the test. Use it next to the paired `page` when a test needs both.
   */
  freshContext: () => Promise<BrowserContext>;
}

export interface WorkerFixtures {
  /**
   * Worker option: `test.use({ isolatedStack: true })` runs the file in its own worker, so it gets
   * a stack of its own with an empty database (e.g. to see the first-run screen). Each project
   * (phone, desktop) already has its own workers, hence its own stacks. Files that say `true`
   * share that worker with each other; a name (`isolatedStack: "push"`) gets a worker, a browser
   * and a stack of its own that no other file uses.
   */
  isolatedStack: boolean | string;
  /** Extra environment for the worker's server (a spec's own fixtures override it, e.g. the voice engine). */
  serverEnv: Record<string, string>;
  stack: Stack;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  isolatedStack: [false, { scope: "worker", option: true }],
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
  serverEnv: [async ({}, use) => use({}), { scope: "worker" }],
  stack: [
    async ({ isolatedStack, serverEnv }, use) => {
      const prefix =
        typeof isolatedStack === "string"
          ? `pocket-e2e-${isolatedStack}-`
          : isolatedStack
            ? "pocket-e2e-isolated-"
            : "pocket-e2e-";
      const temp = mkdtempSync(join(tmpdir(), prefix));
      const api = spawn(bun, ["tests/fixtures/fakeAnthropic.ts", "--port", "0"], {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
      });
      const apiUrl = (await waitForLine(api, /FAKE_ANTHROPIC_URL=(\S+)/, "fake Anthropic API"))[1] ?? "";
      const dataDir = join(temp, "data");
      const workdir = join(temp, "work");
      let port = 0;
      let server: ChildProcess | null = null;
      const env = { ...serverProcessEnv(temp, apiUrl, E2E_TOKEN), ...serverEnv };
      const stack: Stack = {
        baseURL: "",
        apiUrl,
        dataDir,
        workdir,
        claudeEnv: {
          ANTHROPIC_BASE_URL: apiUrl,
          ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY,
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          CLAUDE_CONFIG_DIR: env.CLAUDE_CONFIG_DIR,
          CLAUDE_CODE_MAX_RETRIES: "0",
          TMPDIR: env.TMPDIR,
        },
        async script(replies, when) {
          const res = await fetch(`${apiUrl}/__script`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ replies, ...(when ? { when } : {}) }),
          });
          expect(res.ok).toBe(true);
        },
        async startServer() {
          server = spawn(bun, ["src/server/main.ts"], {
            cwd: root,
            env: { ...env, PORT: String(port) },
            stdio: ["ignore", "pipe", "inherit"],
          });
          const match = await waitForLine(server, /on (https?:\/\/\S+)/, "server");
          stack.baseURL = match[1] ?? "";
          port = Number(new URL(stack.baseURL).port);
        },
        async stopServer() {
          const running = server;
          if (!running || running.exitCode !== null) return;
          const exited = new Promise((r) => running.once("exit", r));
          running.kill("SIGKILL");
          await exited;
        },
      };
      await stack.startServer();
      await use(stack);
      await stack.stopServer();
      api.kill("SIGTERM");
      // The agent processes the server started may still be writing their last files as they exit.
      rmSync(temp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
    { scope: "worker" },
  ],
  baseURL: async ({ stack }, use) => use(stack.baseURL),
  paired: [true, { option: true }],
  context: async ({ context, paired, stack }, use) => {
    if (paired) await pairContext(context, stack.baseURL);
    await use(context);
  },
  // A paired page starts on the app (`/`), already connected; an unpaired one starts blank.
  page: async ({ page, paired, frames }, use) => {
    if (paired) {
      await page.goto("/");
      await frames.waitFor("received", "connection");
    }
    await use(page);
  },
  // Every test, whatever it checks: no page of it threw or left a promise rejected unhandled.
  pageErrors: [
    async ({ context }, use) => {
      const errors = new PageErrors();
      errors.watch(context);
      await use(errors);
      errors.stop();
      expect(errors.seen, "uncaught errors or unhandled rejections in the page").toEqual([]);
    },
    { auto: true },
  ],
  // Attached to the page before it navigates, so the first socket's frames are recorded too.
  frames: async ({ context }, use) => {
    const frames = new Frames();
    const attach = (page: Page) => frames.attach(page);
    for (const existing of context.pages()) attach(existing);
    context.on("page", attach);
    await use(frames);
    context.off("page", attach);
  },
  freshContext: async (
    { browser, baseURL, viewport, deviceScaleFactor, isMobile, hasTouch, userAgent, colorScheme, locale, pageErrors },
    use,
  ) => {
    const made: BrowserContext[] = [];
    await use(async () => {
      const context = await browser.newContext({
        baseURL,
        viewport,
        deviceScaleFactor,
        isMobile,
        hasTouch,
        userAgent,
        colorScheme,
        locale,
      });
      made.push(context);
      pageErrors.watch(context);
      return context;
    });
    for (const context of made) await context.close();
  },
});
export { expect };

/** The `pageerror`s of every page in the contexts it watches. */
export class PageErrors {
  readonly seen: string[] = [];
  private readonly watched: Array<() => void> = [];

  watch(context: BrowserContext): void {
    const attach = (page: Page) => page.on("pageerror", (error) => this.seen.push(`${page.url()}: ${error.message}`));
    for (const existing of context.pages()) attach(existing);
    context.on("page", attach);
    this.watched.push(() => context.off("page", attach));
  }

  stop(): void {
    for (const unwatch of this.watched.splice(0)) unwatch();
  }
}

export type Frame = {
  direction: "sent" | "received";
  event: string;
  payload: Record<string, unknown>;
  /** When the page sent or received it (ms since the epoch, test-process clock). */
  at: number;
  /** Which Socket.IO connection carried it: 1 for the first one opened, then 2… (reconnects, reloads). */
  socket: number;
  /** The engine.io transport that carried it. */
  transport: "websocket" | "polling";
  /**
   * A binary event (`451-[…]`): the binary attachments that followed it, in order (the payload
   * holds `{ _placeholder: true, num }` where each one goes). Absent for a plain event.
   */
  binaries?: Buffer[];
};

/**
 * The page's real Socket.IO traffic, decoded from websocket frames (`42["event",{…}]`), or from
 * long-polling requests when Socket.IO fell back to them.
 */
export class Frames {
  readonly all: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  /** How many Socket.IO connections the pages opened so far (the newest one's number). */
  sockets = 0;
  /** Records the Socket.IO frames of `page` (the fixture attaches every page of the test's context). */
  constructor(page?: Page) {
    if (page) this.attach(page);
  }

  attach(page: Page): void {
    page.on("websocket", (ws: WebSocket) => {
      if (!ws.url().includes("/socket.io/")) return; // skip Bun's HMR socket in dev mode
      // An upgrade from long-polling carries the connection's sid: still the same connection.
      const socket = this.socketFor(new URL(ws.url()).searchParams.get("sid"));
      ws.on("framesent", (f) => this.record("sent", f.payload, socket, "websocket"));
      ws.on("framereceived", (f) => this.record("received", f.payload, socket, "websocket"));
    });
    // A connection opens over long-polling after a WebSocket could not open (a reconnect that races
    // the server's restart, a proxy), until it upgrades (src/client/connection/socket.ts). The packets are the
    // same, several to a request body, separated by U+001E.
    page.on("requestfinished", async (request) => {
      const url = new URL(request.url());
      if (!url.pathname.startsWith("/socket.io/") || url.searchParams.get("transport") !== "polling") return;
      if (request.method() === "POST") {
        this.recordPolling("sent", request.postData() ?? "", url.searchParams.get("sid"));
        return;
      }
      // The page may close while a poll is in flight (a test's teardown): its answer is then gone.
      const response = await request.response().catch(() => null);
      const body = await response?.text().catch(() => "");
      this.recordPolling("received", body ?? "", url.searchParams.get("sid"));
    });
  }

  /** Connections known by their engine.io sid (opened over long-polling), each counted like a websocket. */
  private socketsBySid = new Map<string, number>();

  /** The number of the connection `sid` names (numbering it if it is new), or of a new one (no sid). */
  private socketFor(sid: string | null): number {
    const known = sid === null ? undefined : this.socketsBySid.get(sid);
    if (known !== undefined) return known;
    this.sockets += 1;
    if (sid !== null) this.socketsBySid.set(sid, this.sockets);
    return this.sockets;
  }

  private recordPolling(direction: Frame["direction"], body: string, sid: string | null) {
    for (const packet of body.split("\x1e")) {
      // The handshake's open packet (`0{"sid":…}`) names the session the later requests carry.
      const opened = /^0(\{.*\})$/s.exec(packet)?.[1];
      const id = sid ?? (opened ? (JSON.parse(opened) as { sid?: string }).sid : undefined);
      if (!id) continue;
      this.record(direction, packet, this.socketFor(id), "polling");
    }
  }

  /** Binary events still waiting for their attachments, by connection and direction. */
  private awaitingBinaries = new Map<string, { frame: Frame; expected: number }>();

  private record(direction: Frame["direction"], raw: string | Buffer, socket: number, transport: Frame["transport"]) {
    const key = `${socket}:${direction}`;
    const waiting = this.awaitingBinaries.get(key);
    // A binary attachment: a websocket binary frame, or a `b`+base64 packet over long-polling.
    const binary =
      typeof raw !== "string" ? raw : waiting && raw.startsWith("b") ? Buffer.from(raw.slice(1), "base64") : null;
    if (binary) {
      if (!waiting) return;
      waiting.frame.binaries?.push(binary);
      if ((waiting.frame.binaries?.length ?? 0) < waiting.expected) return;
      this.awaitingBinaries.delete(key);
      this.publish(waiting.frame);
      return;
    }
    const text = typeof raw === "string" ? raw : raw.toString();
    const match = /^4(?:2|5(\d+)-)(?:\/[^,]*,)?(\[.*\])$/s.exec(text);
    if (!match?.[2]) return;
    const [event, payload] = JSON.parse(match[2]) as [string, Record<string, unknown>];
    const frame: Frame = { direction, event, payload, at: Date.now(), socket, transport };
    const expected = match[1] === undefined ? 0 : Number(match[1]);
    if (expected > 0) {
      // Published once its attachments have arrived, so a test sees the whole message.
      frame.binaries = [];
      this.awaitingBinaries.set(key, { frame, expected });
      return;
    }
    this.publish(frame);
  }

  private publish(frame: Frame) {
    this.all.push(frame);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(frame)) return true;
      w.resolve(frame);
      return false;
    });
  }

  sent(event: string): Record<string, unknown>[] {
    return this.all.filter((f) => f.direction === "sent" && f.event === event).map((f) => f.payload);
  }

  received(event: string): Record<string, unknown>[] {
    return this.all.filter((f) => f.direction === "received" && f.event === event).map((f) => f.payload);
  }

  /** How many frames were recorded so far: pass it as `after` to `waitFor` to ignore older frames. */
  mark(): number {
    return this.all.length;
  }

  /** The frames of one turn (`requestId`) received so far, in arrival order. */
  turn(requestId: unknown): Frame[] {
    return this.all.filter((f) => f.direction === "received" && f.payload.requestId === requestId);
  }

  /** Resolves with the first frame (already seen or future) that matches. */
  async waitFor(
    direction: Frame["direction"],
    event: string,
    where: (payload: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 30_000,
    after = 0,
  ): Promise<Record<string, unknown>> {
    const match = (f: Frame) => f.direction === direction && f.event === event && where(f.payload);
    const seen = this.all.slice(after).find(match);
    if (seen) return seen.payload;
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${direction} ${event} frame within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolvePromise(f.payload);
        },
      });
    });
  }
}
