/**
 * The socket hooks against the real stack: Bun.serve + @socket.io/bun-engine +
 * socket.io, with socket.io-client over polling (then upgrade) and websocket only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Server as Engine } from "@socket.io/bun-engine";
import { Server } from "socket.io";
import { type Socket as ClientSocket, io as connect } from "socket.io-client";
import { type LogLevel, setLogLevel, setLogSink } from "../logger.ts";
import { createAuth } from "./index.ts";
import { createSocketAuthHooks } from "./socket.ts";
import { cookieValueFor } from "./token.ts";

const TOKEN = "socket-test-token-0123456789abcdef";
const COOKIE = `pocket_auth=${cookieValueFor(TOKEN)}`;

interface Stack {
  base: string;
  stop(): Promise<void>;
}

/** A server wired as documented in socket.ts; `allowRequest: false` leaves only the middleware. */
function startStack(options: { allowRequest?: boolean; limit?: number } = {}): Stack {
  const auth = createAuth(
    { token: TOKEN, allowedOrigins: [], secureCookies: false },
    { rateLimit: { limit: options.limit ?? 10 } },
  );
  const hooks = createSocketAuthHooks(auth);
  const io = new Server();
  const engine = new Engine({
    path: "/socket.io/",
    ...(options.allowRequest === false ? {} : { allowRequest: hooks.allowRequest }),
  });
  engine.on("connection", hooks.onEngineConnection);
  io.bind(engine);
  io.use(hooks.middleware);
  io.on("connection", (socket) => {
    socket.on("ping-me", (ack: (reply: string) => void) => ack("pong"));
  });
  const handler = engine.handler();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: handler.idleTimeout,
    websocket: handler.websocket,
    fetch: (req, srv) => engine.handleRequest(req, srv),
  });
  return {
    base: `http://127.0.0.1:${server.port}`,
    async stop() {
      await io.close();
      await server.stop(true);
    },
  };
}

let stack: Stack;
let base: string;
let logs: string[] = [];
let restoreSink: () => void;
const opened: ClientSocket[] = [];

beforeAll(() => {
  restoreSink = setLogSink((line) => logs.push(line));
  // The throttling test reads the warning it logs: not hidden by POCKET_LOG_LEVEL=error (npm test's).
  setLogLevel("info");
  stack = startStack();
  base = stack.base;
});

afterAll(async () => {
  setLogLevel((process.env.POCKET_LOG_LEVEL as LogLevel | undefined) ?? "info");
  for (const s of opened) s.close();
  await stack.stop();
  restoreSink();
});

type Outcome = { connected: true; transport: string } | { connected: false; message: string; code?: unknown };

function attempt(options: Parameters<typeof connect>[1], waitForUpgrade = false, url: string = base): Promise<Outcome> {
  const socket = connect(url, { reconnection: false, forceNew: true, timeout: 4_000, ...options });
  opened.push(socket);
  return new Promise((resolve) => {
    socket.on("connect_error", (err: Error & { data?: { code?: unknown } }) =>
      resolve({ connected: false, message: err.message, code: err.data?.code }),
    );
    socket.on("connect", async () => {
      const reply = await socket.timeout(3_000).emitWithAck("ping-me");
      expect(reply).toBe("pong");
      if (waitForUpgrade && socket.io.engine.transport.name !== "websocket") {
        await new Promise((r) => socket.io.engine.once("upgrade", r));
      }
      resolve({ connected: true, transport: socket.io.engine.transport.name });
    });
  });
}

describe("socket.io handshake through the hooks", () => {
  test("no credential → connect_error 'unauthorized'", async () => {
    expect(await attempt({})).toEqual({ connected: false, message: "unauthorized", code: "UNAUTHORIZED" });
  });

  test("wrong auth.token → connect_error 'unauthorized' (websocket only, too)", async () => {
    expect(await attempt({ auth: { token: "wrong" } })).toMatchObject({ connected: false, message: "unauthorized" });
    expect(await attempt({ auth: { token: "wrong" }, transports: ["websocket"] })).toMatchObject({
      connected: false,
      message: "unauthorized",
    });
  });

  test("auth.token, no Origin (a script) → connected, over polling then upgraded to websocket", async () => {
    expect(await attempt({ auth: { token: TOKEN } }, true)).toEqual({ connected: true, transport: "websocket" });
  });

  test("auth.token over websocket only → connected", async () => {
    expect(await attempt({ auth: { token: TOKEN }, transports: ["websocket"] })).toEqual({
      connected: true,
      transport: "websocket",
    });
  });

  test("the pairing cookie alone (no auth.token) → connected, same-origin Origin header", async () => {
    const extraHeaders = { cookie: COOKIE, origin: base };
    expect(await attempt({ extraHeaders }, true)).toEqual({ connected: true, transport: "websocket" });
    expect(await attempt({ extraHeaders, transports: ["websocket"] })).toEqual({
      connected: true,
      transport: "websocket",
    });
  });

  test("a foreign Origin is refused even with the cookie and the token", async () => {
    const extraHeaders = { cookie: COOKIE, origin: "https://evil.example" };
    const polling = await attempt({ extraHeaders, auth: { token: TOKEN } });
    const ws = await attempt({ extraHeaders, auth: { token: TOKEN }, transports: ["websocket"] });
    // Refused by allowRequest (HTTP 403) before Socket.IO runs: the client reports a transport error.
    expect(polling).toEqual({ connected: false, message: "xhr poll error" });
    expect(ws).toEqual({ connected: false, message: "websocket error" });
  });

  test("the websocket upgrade of an authorised polling session is checked too (foreign Origin → 403)", async () => {
    const handshake = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: { origin: base } });
    expect(handshake.status).toBe(200);
    const sid = /"sid":"([^"]+)"/.exec(await handshake.text())?.[1];
    expect(sid).toBeString();
    const upgrade = await fetch(`${base}/socket.io/?EIO=4&transport=websocket&sid=${sid}`, {
      headers: {
        origin: "https://evil.example",
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    expect(upgrade.status).toBe(403);
    expect(await upgrade.json()).toEqual({ code: 4, message: "forbidden_origin" });
  });

  test("without allowRequest the middleware still refuses a foreign Origin, as 'forbidden_origin'", async () => {
    const only = startStack({ allowRequest: false });
    try {
      const outcome = await attempt(
        { extraHeaders: { cookie: COOKIE, origin: "https://evil.example" }, transports: ["websocket"] },
        false,
        only.base,
      );
      expect(outcome).toEqual({ connected: false, message: "forbidden_origin", code: "UNAUTHORIZED" });
    } finally {
      await only.stop();
    }
  });

  test("failures are throttled per client address (recorded via onEngineConnection)", async () => {
    const small = startStack({ limit: 3 });
    logs = [];
    try {
      for (let i = 0; i < 3; i++) {
        expect(await attempt({ auth: { token: `guess-${i}` } }, false, small.base)).toMatchObject({
          message: "unauthorized",
        });
      }
      expect(logs.some((l) => l.includes('"address":"127.0.0.1"'))).toBe(true);
      // A new engine session from the throttled address is refused by allowRequest already.
      expect(await attempt({ auth: { token: TOKEN } }, false, small.base)).toEqual({
        connected: false,
        message: "xhr poll error",
      });
    } finally {
      await small.stop();
    }
  });
});
