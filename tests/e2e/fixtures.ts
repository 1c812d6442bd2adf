import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test as base, expect, type Page, type WebSocket } from "@playwright/test";

/**
 * Worker-scoped real stack: the fake Anthropic API and the production server
 * (built client, real Claude Code CLI, SQLite) as child processes, each with
 * its own temp dirs, cleaned up at the end. Tests script the fake API over
 * its control endpoint and read the page's real Socket.IO frames.
 */
const root = resolve(__dirname, "../..");
const bun = join(root, "node_modules/.bin/bun");
export const E2E_TOKEN = "e2e-token-0123456789abcdef0123456789abcdef";

export interface Stack {
  baseURL: string;
  apiUrl: string;
  dataDir: string;
  workdir: string;
  /** Queue replies on the fake Anthropic API (optionally only for prompts matching `when`). */
  script(replies: unknown[], when?: string): Promise<void>;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
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

export const test = base.extend<{ frames: Frames }, { stack: Stack }>({
  stack: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
    async ({}, use) => {
      const temp = mkdtempSync(join(tmpdir(), "pocket-e2e-"));
      const api = spawn(bun, ["tests/fixtures/fakeAnthropic.ts", "--port", "0"], {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
      });
      const apiUrl = (await waitForLine(api, /FAKE_ANTHROPIC_URL=(\S+)/, "fake Anthropic API"))[1] ?? "";
      const dataDir = join(temp, "data");
      const workdir = join(temp, "work");
      const { mkdirSync } = await import("node:fs");
      for (const dir of [dataDir, workdir, join(temp, "claude"), join(temp, "tmp")])
        mkdirSync(dir, { recursive: true });
      let port = 0;
      let server: ChildProcess | null = null;
      const env = {
        ...process.env,
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        POCKET_DATA_DIR: dataDir,
        POCKET_WORKDIR: workdir,
        POCKET_TOKEN: E2E_TOKEN,
        POCKET_DEFAULT_MODEL: "haiku",
        POCKET_MAX_TURNS: "4",
        POCKET_LOG_LEVEL: "warn",
        ANTHROPIC_BASE_URL: apiUrl,
        ANTHROPIC_API_KEY: "test-key",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        CLAUDE_CONFIG_DIR: join(temp, "claude"),
        CLAUDE_CODE_MAX_RETRIES: "0",
        TMPDIR: join(temp, "tmp"),
      };
      const stack: Stack = {
        baseURL: "",
        apiUrl,
        dataDir,
        workdir,
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
      rmSync(temp, { recursive: true, force: true });
    },
    { scope: "worker" },
  ],
  baseURL: async ({ stack }, use) => use(stack.baseURL),
  frames: async ({ page }, use) => use(new Frames(page)),
});
export { expect };

export type Frame = { direction: "sent" | "received"; event: string; payload: Record<string, unknown> };

/** The page's real Socket.IO traffic, decoded from websocket frames (`42["event",{…}]`). */
export class Frames {
  readonly all: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  constructor(page: Page) {
    page.on("websocket", (ws: WebSocket) => {
      if (!ws.url().includes("/socket.io/")) return; // skip Bun's HMR socket in dev mode
      ws.on("framesent", (f) => this.record("sent", f.payload));
      ws.on("framereceived", (f) => this.record("received", f.payload));
    });
  }

  private record(direction: Frame["direction"], raw: string | Buffer) {
    const text = typeof raw === "string" ? raw : raw.toString();
    const match = /^42(?:\/[^,]*,)?(\[.*\])$/s.exec(text);
    if (!match?.[1]) return;
    const [event, payload] = JSON.parse(match[1]) as [string, Record<string, unknown>];
    const frame = { direction, event, payload };
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

  /** Resolves with the first frame (already seen or future) that matches. */
  async waitFor(
    direction: Frame["direction"],
    event: string,
    where: (payload: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const match = (f: Frame) => f.direction === direction && f.event === event && where(f.payload);
    const seen = this.all.find(match);
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
