/**
 * Socket.IO wiring for `createAuth`. Which hook checks what (with
 * `@socket.io/bun-engine` 0.1.2 and socket.io 4.8):
 *
 * 1. `io.use(hooks.middleware)` is the authority. Socket.IO runs namespace
 *    middleware once per connection, when the client's CONNECT packet arrives,
 *    whatever the transport. It sees `socket.handshake.headers` (a snapshot of
 *    the first engine.io request: the polling handshake GET, or the websocket
 *    request when the client uses `transports: ["websocket"]`) and
 *    `socket.handshake.auth` (the client's `auth` option, which is only sent in
 *    the CONNECT packet, so no lower hook can see `auth.token`). Calling
 *    `next(new Error("unauthorized"))` is the only way the client gets a
 *    `connect_error` whose `message` is "unauthorized"; the socket never joins
 *    the namespace, so no event handler runs.
 *
 * 2. The engine's `allowRequest` option (`new Engine({ allowRequest: hooks.allowRequest })`:
 *    an option of the bun engine, not of `new Server()`, whose own `allowRequest`
 *    belongs to the Node engine that `io.bind(engine)` replaces) runs on every
 *    engine.io HTTP request: the handshake, each later polling GET/POST, and
 *    the websocket upgrade of a polling session. Unlike Node's engine.io, the
 *    bun engine calls it for requests that carry a `sid` too, so this is the
 *    hook that sees the upgrade request. It re-checks the Origin there (so a
 *    page on another site cannot ride a session id), refuses new engine
 *    sessions from a throttled address or one with too many sessions not yet
 *    authenticated, and refuses a request naming a `sid` from any client but
 *    the one that opened it (`./engineSessions.ts`): HTTP 403 before anything
 *    is allocated or read.
 *
 * 3. `engine.on("connection", hooks.onEngineConnection)` records each engine
 *    session's client address and scheme (the bun engine does not set
 *    `socket.handshake.address`, and its `handshake.secure` is always false),
 *    whether it was opened with the pairing cookie, and closes it on a second
 *    CONNECT packet.
 *
 * ```ts
 * const hooks = createSocketAuthHooks(auth);
 * const engine = new Engine({ path: "/socket.io/", allowRequest: hooks.allowRequest });
 * engine.on("connection", hooks.onEngineConnection);
 * io.bind(engine);
 * io.use(hooks.middleware);
 * ```
 *
 * The client then sees `connect_error` with `err.message` "unauthorized",
 * "forbidden_origin" or "rate_limited" (and `err.data.code` UNAUTHORIZED /
 * RATE_LIMITED) from the middleware; a refusal by `allowRequest` surfaces as a
 * transport error ("xhr poll error" / "websocket error") because it is an HTTP 403.
 */
import type { ErrorCode } from "../../shared/messages.ts";
import { createEngineSessions, type EngineConnection, type EngineSessionsOptions } from "./engineSessions.ts";
import type { Auth, HandshakeFailure } from "./index.ts";

/** What the hooks need from Bun's server: `server.requestIP`. */
export interface AddressSource {
  requestIP(req: Request): { address: string } | null;
}

/** The parts of a Socket.IO `Socket` the middleware reads. */
export interface HandshakeSocket {
  conn: object;
  handshake: {
    headers: Record<string, string | string[] | undefined>;
    auth: Record<string, unknown>;
    address?: string;
  };
}

export interface SocketAuthHooks {
  /** For `new Engine({ allowRequest })`: rejects (→ HTTP 403) on a foreign Origin or a throttled new handshake. */
  allowRequest(req: Request, server: AddressSource): Promise<void>;
  /** For `engine.on("connection", …)`: remembers who opened each engine session; one CONNECT each. */
  onEngineConnection(conn: EngineConnection, req: Request, server: AddressSource): void;
  /** For `io.use(…)`: the token/cookie check; refusals become `connect_error`. */
  middleware(socket: HandshakeSocket, next: (err?: Error) => void): void;
}

const CODE_OF: Record<HandshakeFailure, ErrorCode> = {
  unauthorized: "UNAUTHORIZED",
  forbidden_origin: "UNAUTHORIZED",
  rate_limited: "RATE_LIMITED",
};

/** The error passed to `next()`: its message and `data` reach the client's `connect_error`. */
export function handshakeError(reason: HandshakeFailure): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(reason), { data: { code: CODE_OF[reason] } });
}

export function createSocketAuthHooks(
  auth: Pick<Auth, "checkHandshake" | "checkSocketRequest" | "hasValidCookie">,
  options: EngineSessionsOptions = {},
): SocketAuthHooks {
  const connections = new WeakMap<object, { address: string; secure: boolean }>();
  const sessions = createEngineSessions(options);
  const addressOf = (req: Request, server: AddressSource) => server.requestIP(req)?.address ?? "unknown";

  return {
    async allowRequest(req, server) {
      const address = addressOf(req, server);
      const result = auth.checkSocketRequest(req, address);
      // bun-engine turns a rejection into HTTP 403 with this reason as the message.
      if (!result.ok) throw result.reason;
      const sid = new URL(req.url).searchParams.get("sid");
      const verdict =
        sid === null ? sessions.mayOpen(address) : sessions.check(sid, address, auth.hasValidCookie(req.headers));
      if (verdict === "too_many_pending") throw "rate_limited" satisfies HandshakeFailure;
      if (verdict !== "ok") throw "unauthorized" satisfies HandshakeFailure;
    },
    onEngineConnection(conn, req, server) {
      const address = addressOf(req, server);
      connections.set(conn, { address, secure: new URL(req.url).protocol === "https:" });
      sessions.opened(conn, address, auth.hasValidCookie(req.headers));
    },
    middleware(socket, next) {
      const known = connections.get(socket.conn);
      const result = auth.checkHandshake({
        headers: socket.handshake.headers,
        authToken: socket.handshake.auth.token,
        clientAddress: known?.address ?? socket.handshake.address ?? "unknown",
        secure: known?.secure,
      });
      if (!result.ok) return next(handshakeError(result.reason));
      sessions.authenticated(socket.conn);
      next();
    },
  };
}
