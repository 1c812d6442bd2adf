/**
 * The app's socket (createSocket) against a real Socket.IO server on Bun (@socket.io/bun-engine),
 * with the server refusing or ignoring WebSockets on demand: which transport each connection opens
 * with, that one refused WebSocket does not leave the connection on long-polling, that falling back
 * is not reported as a failed attempt (the app would show "Can't reach the server"), and that a
 * WebSocket that never answers does not keep the app from connecting.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Server as Engine } from "@socket.io/bun-engine";
import { Server } from "socket.io";
import { type AppSocket, createSocket } from "./socket.ts";

interface Stack {
  url: string;
  /** Every Socket.IO request: its transport, and whether it opened a connection (no sid yet). */
  requests: { transport: string | null; handshake: boolean }[];
  /** What the server refuses: WebSockets that open a connection, every WebSocket (upgrades too), or everything (as if down). */
  refuse: "nothing" | "websocket-handshakes" | "websockets" | "everything";
  /** WebSockets get no answer at all, as behind a proxy that swallows them. */
  hangWebSockets: boolean;
  stop(): Promise<void>;
}

function startStack(): Stack {
  const io = new Server();
  const engine = new Engine({ path: "/socket.io/" });
  io.bind(engine);
  const handler = engine.handler();
  const stack: Stack = {
    url: "",
    requests: [],
    refuse: "nothing",
    hangWebSockets: false,
    async stop() {
      await io.close();
      await server.stop(true);
    },
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: handler.idleTimeout,
    websocket: handler.websocket,
    fetch(req, srv) {
      const params = new URL(req.url).searchParams;
      const transport = params.get("transport");
      const handshake = !params.has("sid");
      stack.requests.push({ transport, handshake });
      const websocket = transport === "websocket";
      const refused =
        stack.refuse === "everything" ||
        (stack.refuse === "websockets" && websocket) ||
        (stack.refuse === "websocket-handshakes" && websocket && handshake);
      if (refused) return new Response("refused by the test", { status: 503 });
      if (websocket && stack.hangWebSockets) return new Promise<Response>(() => {});
      return engine.handleRequest(req, srv);
    },
  });
  stack.url = `http://127.0.0.1:${server.port}`;
  return stack;
}

let stack: Stack | undefined;
let socket: AppSocket | undefined;

afterEach(async () => {
  socket?.disconnect();
  await stack?.stop();
  socket = undefined;
  stack = undefined;
});

/** The next `event` of `target`, failing the test with a clear message if it has not come within 3 s. */
function once(target: { once(event: string, listener: (...args: unknown[]) => void): unknown }, event: string) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within 3 s`)), 3_000);
    target.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Connects the app's socket to `s`; resolves once Socket.IO reports it connected. */
async function connectTo(s: Stack): Promise<{ client: AppSocket; connectErrors: string[] }> {
  const client = createSocket({ url: s.url });
  socket = client;
  const connectErrors: string[] = [];
  client.on("connect_error", (error) => connectErrors.push(error.message));
  const connected = once(client, "connect");
  client.connect();
  await connected;
  return { client, connectErrors };
}

/** The connection drops (as on a network change); the client reconnects by itself (its backoff). */
async function connectionDrops(client: AppSocket): Promise<void> {
  const reconnected = once(client.io, "reconnect");
  client.io.engine.close();
  await reconnected;
}

describe("createSocket transports", () => {
  test("a connection opens as a WebSocket, with no long-polling request", async () => {
    stack = startStack();
    const { client, connectErrors } = await connectTo(stack);
    expect(client.io.engine.transport.name).toBe("websocket");
    expect(stack.requests.map((r) => r.transport)).toEqual(["websocket"]);
    expect(connectErrors).toEqual([]);
  });

  test("after a refused WebSocket it connects over long-polling, upgrades, and reconnects as a WebSocket", async () => {
    stack = startStack();
    stack.refuse = "websocket-handshakes";
    const { client, connectErrors } = await connectTo(stack);
    // One attempt: the refused WebSocket, then long-polling at once, with no error reported…
    const handshakes = stack.requests.filter((r) => r.handshake).map((r) => r.transport);
    expect(handshakes).toEqual(["websocket", "polling"]);
    expect(connectErrors).toEqual([]);
    // …and moves to a WebSocket (the probe carries the sid, which this server accepts).
    if (client.io.engine.transport.name !== "websocket") await once(client.io.engine, "upgrade");
    expect(client.io.engine.transport.name).toBe("websocket");

    // The next connection starts with a WebSocket again.
    stack.refuse = "nothing";
    const before = stack.requests.length;
    await connectionDrops(client);
    const reconnect = stack.requests.slice(before).filter((r) => r.handshake);
    expect(reconnect.map((r) => r.transport)).toEqual(["websocket"]);
    expect(client.io.engine.transport.name).toBe("websocket");
  });

  test("where WebSockets never open, every connection falls back to long-polling at once, with no error", async () => {
    stack = startStack();
    stack.refuse = "websockets";
    const { client, connectErrors } = await connectTo(stack);
    expect(client.io.engine.transport.name).toBe("polling");

    const before = stack.requests.length;
    await connectionDrops(client);
    const reconnect = stack.requests.slice(before).filter((r) => r.handshake);
    expect(reconnect.map((r) => r.transport)).toEqual(["websocket", "polling"]);
    expect(client.io.engine.transport.name).toBe("polling");
    expect(connectErrors).toEqual([]);
  });

  test("behind a proxy that swallows WebSockets, the attempt after the timeout connects over long-polling", async () => {
    stack = startStack();
    stack.hangWebSockets = true;
    const client = createSocket({ url: stack.url, connectTimeoutMs: 300 });
    socket = client;
    const timedOut = once(client, "connect_error");
    const connected = once(client, "connect");
    client.connect();
    await timedOut;
    await connected;
    expect(client.io.engine.transport.name).toBe("polling");

    // Later connections start with long-polling there, instead of waiting out the timeout each time.
    const before = stack.requests.length;
    await connectionDrops(client);
    expect(stack.requests.slice(before).filter((r) => r.handshake)[0]?.transport).toBe("polling");
  });

  test("a server that answers nothing is reported once per attempt, after every transport was tried", async () => {
    stack = startStack();
    stack.refuse = "everything";
    const client = createSocket({ url: stack.url });
    socket = client;
    const failed = once(client, "connect_error");
    client.connect();
    await failed;
    expect(stack.requests.map((r) => r.transport)).toEqual(["websocket", "polling", "websocket"]);
    // The app is told, and Socket.IO's backoff takes over.
    expect(client.active).toBe(true);
    expect(client.connected).toBe(false);
  });
});
