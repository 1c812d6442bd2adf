import { io, type Socket } from "socket.io-client";
import type { z } from "zod";
import {
  type ClientEventName,
  type ClientPayload,
  type ClientToServerEvents,
  type MachineProblem,
  type ServerEventName,
  type ServerMessage,
  type ServerToClientEvents,
  serverEvents,
} from "../../shared/messages.ts";
import { createLogger } from "../logger.ts";
import { type Pin, readPin } from "./tls.ts";

const log = createLogger("machines");

type LinkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type LinkState =
  | { status: "connecting" }
  | { status: "online" }
  | { status: "offline"; problem?: MachineProblem; presented?: Pin };

export interface LinkTarget {
  url: string;
  token: string;
  /** The pinned certificate (https only). */
  pin: Pin | null;
}

export interface LinkTiming {
  /** How often the link checks the machine answers. */
  heartbeatMs: number;
  /** Nothing heard for this long: the machine is taken for gone and the link reconnects. */
  deadAfterMs: number;
  /** Reconnection backoff, doubling from the first to the most (with jitter). */
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export const DEFAULT_TIMING: LinkTiming = {
  heartbeatMs: 2_000,
  deadAfterMs: 4_500,
  reconnectMinMs: 500,
  reconnectMaxMs: 5_000,
};

/** A machine refusing too many attempts (RATE_LIMITED) is asked again after this long. */
const RATE_LIMITED_RETRY_MS = 30_000;

export interface LinkListener {
  state(state: LinkState): void;
  /** A message from the machine, checked against the protocol's schema. */
  message(message: ServerMessage): void;
}

/**
 * One home → remote connection: the same Socket.IO protocol a phone speaks, as a client that
 * says it is a link (`auth.link`), so the remote serves it only its own sessions. Reconnects
 * with backoff; a heartbeat (`machine:ping`) finds a machine that went away without closing the
 * connection (slept, lost its network) within `deadAfterMs`. States (decision 061): `offline` as
 * soon as the connection is lost, `connecting` during each retry, then `online` or `offline`.
 */
export class RemoteLink {
  private socket: LinkSocket | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private lastHeard = 0;
  private closed = false;
  private current: LinkState = { status: "connecting" };

  constructor(
    private readonly target: LinkTarget,
    private readonly listener: LinkListener,
    private readonly timing: LinkTiming = DEFAULT_TIMING,
  ) {}

  get state(): LinkState {
    return this.current;
  }

  get online(): boolean {
    return this.current.status === "online";
  }

  start(): void {
    if (this.closed || this.socket) return;
    const { pin } = this.target;
    const socket: LinkSocket = io(this.target.url, {
      transports: ["websocket"],
      forceNew: true,
      auth: { token: this.target.token, link: true },
      reconnection: true,
      reconnectionDelay: this.timing.reconnectMinMs,
      reconnectionDelayMax: this.timing.reconnectMaxMs,
      randomizationFactor: 0.3,
      timeout: 5_000,
      // Verified against the pinned root only (decision 060); a public CA's chain by the system's CAs.
      ...(pin?.pem ? { ca: pin.pem } : {}),
    });
    this.socket = socket;
    socket.onAny((type: string, payload: unknown) => this.receive(type, payload));
    socket.on("connect", () => {
      this.lastHeard = Date.now();
      this.startHeartbeat();
    });
    socket.on("disconnect", (reason) => {
      this.stopHeartbeat();
      if (this.closed) return;
      log.info("machine disconnected", { url: this.target.url, reason });
      this.setState({ status: "offline", problem: "MACHINE_UNREACHABLE" });
      // After a server-side disconnect Socket.IO does not reconnect by itself.
      if (reason === "io server disconnect") this.retryLater(this.timing.reconnectMaxMs);
    });
    // Each retry after a loss: `connecting` until it is answered (online) or fails (offline again).
    socket.io.on("reconnect_attempt", () => {
      if (!this.closed) this.setState({ status: "connecting" });
    });
    socket.on("connect_error", (error: Error & { data?: { code?: string } }) => {
      if (this.closed) return;
      void this.refused(error);
    });
  }

  /** Sends a request to the machine (the caller checked it is online). */
  emit<K extends ClientEventName>(name: K, payload: ClientPayload<K>): void {
    (this.socket?.emit as ((name: K, payload: ClientPayload<K>) => void) | undefined)?.(name, payload);
  }

  /** Reconnects at once (a new token or pin was stored: the caller makes a new link instead). */
  close(): void {
    this.closed = true;
    this.stopHeartbeat();
    if (this.retry) clearTimeout(this.retry);
    this.socket?.removeAllListeners();
    this.socket?.offAny();
    this.socket?.close();
    this.socket = null;
  }

  private receive(type: string, payload: unknown): void {
    this.lastHeard = Date.now();
    if (!Object.hasOwn(serverEvents, type)) return;
    const schema = serverEvents[type as ServerEventName] as z.ZodType;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      log.warn("dropped a malformed message from a machine", { url: this.target.url, type });
      return;
    }
    const message = { type, payload: parsed.data } as ServerMessage;
    if (message.type === "connection") this.setState({ status: "online" });
    if (message.type === "machine:pong") return;
    this.listener.message(message);
  }

  /** A connection attempt failed: why, as far as the user can act on it. */
  private async refused(error: Error & { data?: { code?: string } }): Promise<void> {
    if (error.message === "unauthorized") {
      // Refused by the machine's middleware: Socket.IO will not try again, and neither do we.
      log.warn("machine refused the token", { url: this.target.url });
      this.setState({ status: "offline", problem: "MACHINE_TOKEN_REFUSED" });
      return;
    }
    if (error.message === "rate_limited") {
      this.setState({ status: "offline", problem: "MACHINE_UNREACHABLE" });
      this.retryLater(RATE_LIMITED_RETRY_MS);
      return;
    }
    const { pin } = this.target;
    if (this.target.url.startsWith("https:") && pin) {
      const presented = await readPin(this.target.url).catch(() => null);
      if (this.closed) return;
      if (presented && presented.fingerprint !== pin.fingerprint) {
        log.warn("machine presented another certificate: refused until confirmed", {
          url: this.target.url,
          pinned: pin.fingerprint,
          presented: presented.fingerprint,
        });
        this.socket?.io.reconnection(false);
        this.setState({ status: "offline", problem: "MACHINE_CERT_CHANGED", presented });
        return;
      }
    }
    // Unreachable for now: Socket.IO keeps trying with backoff.
    this.setState({ status: "offline", problem: "MACHINE_UNREACHABLE" });
  }

  private retryLater(ms: number): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.closed || !this.socket || this.socket.connected) return;
      this.setState({ status: "connecting" });
      this.socket.connect();
    }, ms);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      const socket = this.socket;
      if (!socket?.connected) return;
      if (Date.now() - this.lastHeard > this.timing.deadAfterMs) {
        log.info("machine stopped answering", { url: this.target.url });
        // Closing the transport (not the socket) makes Socket.IO reconnect with its backoff.
        socket.io.engine.close();
        return;
      }
      socket.emit("machine:ping", { requestId: crypto.randomUUID() });
    }, this.timing.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private setState(next: LinkState): void {
    const same =
      next.status === this.current.status &&
      (next.status !== "offline" ||
        (this.current.status === "offline" &&
          next.problem === this.current.problem &&
          next.presented?.fingerprint === this.current.presented?.fingerprint));
    this.current = next;
    if (!same) this.listener.state(next);
  }
}
