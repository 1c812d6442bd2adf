/**
 * The Socket.IO connection to the server, typed with the shared event maps.
 *
 * `ChatSocket` is the part of `Socket<ServerToClientEvents, ClientToServerEvents>`
 * the chat machine uses. The real socket satisfies it (checked at compile time in
 * `createSocket`), and so does the in-memory fake the machine tests run against.
 */
import { io, type Socket } from "socket.io-client";
import type {
  ClientEventName,
  ClientPayload,
  ClientToServerEvents,
  ServerEventName,
  ServerPayload,
  ServerToClientEvents,
} from "../../shared/messages.ts";

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the machine needs from a Socket.IO client socket. */
export interface ChatSocket {
  /** True while the socket is connected to the server. */
  readonly connected: boolean;
  /** True while the socket is connected or Socket.IO will keep trying to reconnect it. */
  readonly active: boolean;
  on<K extends ServerEventName>(event: K, listener: (payload: ServerPayload<K>) => void): unknown;
  on(event: "connect", listener: () => void): unknown;
  on(event: "disconnect", listener: (reason: string) => void): unknown;
  on(event: "connect_error", listener: (error: Error) => void): unknown;
  off<K extends ServerEventName>(event: K, listener: (payload: ServerPayload<K>) => void): unknown;
  off(event: "connect", listener: () => void): unknown;
  off(event: "disconnect", listener: (reason: string) => void): unknown;
  off(event: "connect_error", listener: (error: Error) => void): unknown;
  /** Every incoming event, by name: how the app notices events from a newer server it has no listener for. */
  onAny(listener: (event: string, ...args: unknown[]) => void): unknown;
  offAny(listener: (event: string, ...args: unknown[]) => void): unknown;
  emit<K extends ClientEventName>(event: K, payload: ClientPayload<K>): unknown;
  connect(): unknown;
  disconnect(): unknown;
}

export interface SocketOptions {
  /** Server origin; defaults to the page's own origin. */
  url?: string;
  /** How long one connection attempt may take before it counts as failed (Socket.IO's `timeout`). */
  connectTimeoutMs?: number;
}

/**
 * The transports a connection tries, in order, within one attempt (`tryAllTransports`): a WebSocket
 * (one round trip on a phone, and what browser tools show); if it cannot open (a proxy, a reconnect
 * that races the server's restart), long-polling at once, then an upgrade to a WebSocket as soon as
 * one opens.
 *
 * WebSocket is listed twice on purpose. engine.io's fallback drops the failed transport from the
 * head of this list, and a connection only upgrades to transports still on it: with
 * `["websocket", "polling"]` a connection that fell back stayed on long-polling for its whole life
 * (a request per message, a held-open request per reply). The second entry keeps the upgrade
 * (decision 014; src/client/connection/socket.test.ts pins the behaviour against the real server).
 */
const TRANSPORTS: ["websocket", "polling", "websocket"] = ["websocket", "polling", "websocket"];
/**
 * After an attempt failed: long-polling first, then the same upgrade. A WebSocket that gets no
 * answer at all (a proxy that swallows it) never fails fast: it holds the attempt until the connect
 * timeout, and with WebSocket first every attempt would end the same way.
 */
const POLLING_FIRST: ["polling", "websocket"] = ["polling", "websocket"];

/** Creates (but does not yet connect) the app's socket. Reconnection uses Socket.IO's jittered backoff. */
export function createSocket(options: SocketOptions = {}): AppSocket {
  const socket: AppSocket = io(options.url ?? "", {
    path: "/socket.io/",
    autoConnect: false,
    transports: TRANSPORTS,
    tryAllTransports: true,
    reconnection: true,
    reconnectionAttempts: Number.POSITIVE_INFINITY,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5_000,
    randomizationFactor: 0.5,
    timeout: options.connectTimeoutMs ?? 10_000,
  });
  startWithPollingAfterAFailure(socket);
  const check: ChatSocket = socket;
  void check;
  return socket;
}

/** Polling first after a failed attempt; WebSocket first again once a connection is on one. */
function startWithPollingAfterAFailure(socket: AppSocket): void {
  const manager = socket.io;
  const websocketFirst = () => {
    manager.opts.transports = TRANSPORTS;
  };
  socket.on("connect_error", () => {
    manager.opts.transports = POLLING_FIRST;
  });
  socket.on("connect", () => {
    const engine = manager.engine;
    if (engine.transport.name === "websocket") websocketFirst();
    else engine.once("upgrade", websocketFirst);
  });
}

/**
 * Skips the rest of Socket.IO's backoff and tries to connect right away.
 *
 * iOS Safari freezes a backgrounded page: timers stall and the socket dies
 * silently, so when the page comes back (visible, pageshow, online) waiting for
 * the backoff timer would leave the user staring at "Reconnecting…".
 * `disconnect()` on a socket that is not connected emits nothing; it clears the
 * manager's pending reconnect timer so that `connect()` opens a new transport now.
 */
export function reconnectNow(socket: ChatSocket): void {
  if (socket.connected) return;
  socket.disconnect();
  socket.connect();
}
