/**
 * Engine.io sessions, from their first request until they close: who opened
 * each one, and what it may still do. See `./socket.ts` for where each hook runs.
 *
 * - An engine.io `sid` travels in every long-polling URL (proxy logs, history),
 *   so it must not work as a password: a session answers only the address that
 *   opened it, and, when it was opened with the pairing cookie, only requests
 *   that carry that cookie (behind a proxy every client has the same address).
 * - Opening a session costs nothing and needs no credential (those travel in
 *   the Socket.IO CONNECT packet), so the sessions that have not yet
 *   authenticated are capped per address (the throttle's buckets).
 * - One CONNECT per session: Socket.IO runs the middleware for every CONNECT
 *   packet until one succeeds, so one request could queue thousands of checks.
 *   A second CONNECT closes the session; the packets after it are dropped unread.
 */
import { rateLimitKey } from "./rate-limit.ts";

/** The parts of a bun-engine `Socket` used here. */
export interface EngineConnection {
  id: string;
  on(event: "packet", listener: (packet: { type: string; data?: unknown }) => void): unknown;
  once(event: "close", listener: () => void): unknown;
  close(): unknown;
}

export interface EngineSessionsOptions {
  /** Unauthenticated sessions allowed at once per address bucket. Default 64. */
  maxPendingPerAddress?: number;
}

export type SessionVerdict = "ok" | "unknown_session" | "foreign_client" | "too_many_pending";

interface Session {
  address: string;
  bucket: string;
  /** The handshake carried a valid pairing cookie: every later request must too. */
  cookieBound: boolean;
  /** Not yet admitted by the middleware, and still open: counts against the address's cap. */
  pending: boolean;
}

/** A Socket.IO CONNECT packet inside an engine.io message (Socket.IO packet type 0). */
const isConnect = (packet: { type: string; data?: unknown }) =>
  packet.type === "message" && typeof packet.data === "string" && packet.data.startsWith("0");

export function createEngineSessions(options: EngineSessionsOptions = {}) {
  const maxPending = options.maxPendingPerAddress ?? 64;
  const sessions = new Map<string, Session>();
  /** The same sessions by connection object: Socket.IO's types keep the engine socket's id private. */
  const byConnection = new WeakMap<object, Session>();
  const pending = new Map<string, number>();

  const endPending = (session: Session) => {
    if (!session.pending) return;
    session.pending = false;
    const left = (pending.get(session.bucket) ?? 1) - 1;
    if (left > 0) pending.set(session.bucket, left);
    else pending.delete(session.bucket);
  };

  return {
    /** Before a new session is opened (a request without `sid`). */
    mayOpen(address: string): SessionVerdict {
      return (pending.get(rateLimitKey(address)) ?? 0) >= maxPending ? "too_many_pending" : "ok";
    },

    /** For a request naming `sid`: is it the client that opened the session? */
    check(sid: string, address: string, hasValidCookie: boolean): SessionVerdict {
      const session = sessions.get(sid);
      if (!session) return "unknown_session";
      if (session.address !== address || (session.cookieBound && !hasValidCookie)) return "foreign_client";
      return "ok";
    },

    /** When the engine opened a session (its `connection` event). */
    opened(conn: EngineConnection, address: string, hasValidCookie: boolean): void {
      const session: Session = { address, bucket: rateLimitKey(address), cookieBound: hasValidCookie, pending: true };
      sessions.set(conn.id, session);
      byConnection.set(conn, session);
      pending.set(session.bucket, (pending.get(session.bucket) ?? 0) + 1);
      let connects = 0;
      conn.on("packet", (packet) => {
        if (isConnect(packet) && ++connects > 1) conn.close();
      });
      conn.once("close", () => {
        endPending(session);
        sessions.delete(conn.id);
      });
    },

    /** When the Socket.IO middleware admitted the session's CONNECT (`socket.conn`). */
    authenticated(conn: object): void {
      const session = byConnection.get(conn);
      if (session) endPending(session);
    },

    /** Unauthenticated sessions open now from `address`'s bucket (tests, metrics). */
    pendingFrom(address: string): number {
      return pending.get(rateLimitKey(address)) ?? 0;
    },
  };
}

export type EngineSessions = ReturnType<typeof createEngineSessions>;
