/**
 * The app's socket (createSocket) against a real Socket.IO server on Bun (@socket.io/bun-engine),
 * with the server refusing WebSockets on demand: which transport each connection opens with, and
 * that one refused WebSocket does not leave the connection on long-polling.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Server as Engine } from "@socket.io/bun-engine";
import { Server } from "socket.io";
import { type AppSocket, createSocket } from "./socket.ts";

interface Stack {
  url: string;
  /** Every Socket.IO request: its transport, and whether it opened a connection (no sid yet). */
  requests: { transport: string | null; handshake: boolean }[];
  /** Refuses WebSocket requests: only those that open a connection, or every one (upgrades too). */
  refuseWebSockets: "none" | "handshakes" | "all";
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
    refuseWebSockets: "none",
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
      const refused =
        transport === "websocket" &&
        (stack.refuseWebSockets === "all" || (stack.refuseWebSockets === "handshakes" && handshake));
      if (refused) return new Response("WebSocket refused by the test", { status: 400 });
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
async function connectTo(s: Stack): Promise<AppSocket> {
  socket = createSocket({ url: s.url });
  const connected = once(socket, "connect");
  socket.connect();
  await connected;
  return socket;
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
    const client = await connectTo(stack);
    expect(client.io.engine.transport.name).toBe("websocket");
    expect(stack.requests.map((r) => r.transport)).toEqual(["websocket"]);
  });

  test("after a refused WebSocket it connects over long-polling, upgrades, and reconnects as a WebSocket", async () => {
    stack = startStack();
    stack.refuseWebSockets = "handshakes";
    const client = await connectTo(stack);
    // The connection that succeeded opened over long-polling…
    const firstAccepted = stack.requests.findIndex((r) => r.handshake && r.transport === "polling");
    expect(firstAccepted).toBeGreaterThan(0);
    expect(stack.requests.slice(0, firstAccepted).every((r) => r.transport === "websocket")).toBe(true);
    // …and moves to a WebSocket (the probe carries the sid, which this server accepts).
    if (client.io.engine.transport.name !== "websocket") await once(client.io.engine, "upgrade");
    expect(client.io.engine.transport.name).toBe("websocket");

    // The next connection starts with a WebSocket again.
    stack.refuseWebSockets = "none";
    const before = stack.requests.length;
    await connectionDrops(client);
    const reconnect = stack.requests.slice(before).filter((r) => r.handshake);
    expect(reconnect.map((r) => r.transport)).toEqual(["websocket"]);
    expect(client.io.engine.transport.name).toBe("websocket");
  });

  test("where WebSockets never open it stays on long-polling, and reconnects start with long-polling", async () => {
    stack = startStack();
    stack.refuseWebSockets = "all";
    const client = await connectTo(stack);
    expect(client.io.engine.transport.name).toBe("polling");

    const before = stack.requests.length;
    await connectionDrops(client);
    const reconnect = stack.requests.slice(before).filter((r) => r.handshake);
    // No more WebSocket attempt (and its failure) before every reconnect on such a network.
    expect(reconnect.map((r) => r.transport)).toEqual(["polling"]);
    expect(client.io.engine.transport.name).toBe("polling");
  });
});
