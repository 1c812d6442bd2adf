/**
 * Authentication for every door of the server: the pairing routes, `/api/*`,
 * and the Socket.IO handshake. Pure and synchronous where it can be; the only
 * state is the failed-attempt throttle.
 *
 * Mounting (at start, then in the HTTP fetch handler before routing):
 *
 * ```ts
 * const token = await loadOrCreateToken(config.dataDir, config.token);
 * const tls = await resolveTls(config); // null → plain HTTP on loopback
 * const https = tls !== null;
 * const auth = createAuth({
 *   token,
 *   secureCookies: https,
 *   allowedOrigins: [
 *     ...configuredOrigins({ host: config.host, port: config.port, https, names: tls?.names }),
 *     ...parseAllowedOrigins(config.allowedOrigins),
 *   ],
 * });
 * const scriptHashes = inlineScriptHashes(await Bun.file("dist/index.html").text());
 * printPairingBanner(pairingUrl(publicOrigin, token)); // the only place the token is printed
 *
 * // fetch(req, server):
 * const ip = server.requestIP(req)?.address ?? "unknown";
 * const early = auth.checkHttp(req, ip) ?? (await auth.handleAuthRoutes(req, ip));
 * const res = early ?? (await route(req, server)); // undefined after a websocket upgrade
 * return res && withSecurityHeaders(res, { https, scriptHashes, host: req.headers.get("host") });
 * ```
 *
 * For Socket.IO use `createSocketAuthHooks(auth)` from `./socket.ts` (see there
 * for which hook checks what, and why both are needed).
 *
 * Credentials: the pairing cookie (HMAC of the token, `HttpOnly; SameSite=Strict`,
 * `Secure` + `__Host-` over HTTPS), `Authorization: Bearer <token>` on `/api/*`,
 * `auth: { token }` on the Socket.IO handshake. All compared in constant time.
 */
import { z } from "zod";
import type { ErrorCode } from "../../shared/messages.ts";
import { readBodyLimited } from "../http/body.ts";
import { createLogger } from "../logger.ts";
import { authCookieName, readCookieValues, serializeAuthCookie } from "./cookies.ts";
import { judgeOrigin, parseAllowedOrigins } from "./origin.ts";
import { createRateLimiter, type RateLimiterOptions } from "./rate-limit.ts";
import { cookieValueFor, safeEqual } from "./token.ts";

export { pairingUrl, printPairingBanner } from "./banner.ts";
export { authCookieName, serializeAuthCookie } from "./cookies.ts";
export {
  contentSecurityPolicy,
  inlineScriptHashes,
  type SecurityHeadersContext,
  securityHeaders,
  withSecurityHeaders,
} from "./headers.ts";
export { configuredOrigins, normalizeOrigin, parseAllowedOrigins } from "./origin.ts";
export { createRateLimiter, type RateLimiter, rateLimitKey } from "./rate-limit.ts";
export { createSocketAuthHooks, handshakeError, type SocketAuthHooks } from "./socket.ts";
export {
  certificateNames,
  isLoopbackHost,
  needsTls,
  resolveTls,
  type TlsMaterial,
  type TlsOptions,
  type TlsSettings,
} from "./tls.ts";
export {
  generateToken,
  loadOrCreateToken,
  MIN_TOKEN_LENGTH,
  readStoredToken,
  redactToken,
  rotateToken,
  safeEqual,
  watchTokenFile,
} from "./token.ts";

const log = createLogger("auth");

export interface AuthConfig {
  token: string;
  /**
   * Extra browser origins allowed besides the one the request addressed
   * (scheme + Host): typically `configuredOrigins(...)` plus
   * `parseAllowedOrigins(POCKET_ALLOWED_ORIGINS)`. Wildcards are refused.
   */
  allowedOrigins: string[];
  /** The server speaks HTTPS: cookies get `Secure` and the `__Host-` prefix; origins are `https://`. */
  secureCookies: boolean;
}

export interface AuthOptions {
  now?: () => number;
  /** Defaults: 10 failures per 60 s per address, 10 000 addresses tracked. */
  rateLimit?: Omit<RateLimiterOptions, "now">;
}

export type HandshakeHeaders = Headers | Record<string, string | string[] | undefined>;

export interface HandshakeInput {
  headers: HandshakeHeaders;
  /** `socket.handshake.auth.token`. */
  authToken?: unknown;
  clientAddress: string;
  /** The Host the client addressed; defaults to the `host` header. */
  host?: string;
  /** The connection is HTTPS; defaults to `secureCookies`. */
  secure?: boolean;
}

export type HandshakeFailure = "unauthorized" | "forbidden_origin" | "rate_limited";
export type HandshakeResult = { ok: true } | { ok: false; reason: HandshakeFailure };

export interface Auth {
  /**
   * For every HTTP request, first. Returns a Response to send instead
   * (303 pairing redirect for `GET /?token=`, 401, 403, 429) or null to continue.
   * Requires credentials on `/api/*` except `/api/auth/status` and `/api/auth/pair`;
   * `path` is the decoded path the router also routes on (default: the URL's own);
   * checks the Origin on `/api/*` and on every state-changing request;
   * leaves `/socket.io/` to the socket hooks and the app shell public.
   * `clientAddress` from `server.requestIP(req)?.address`.
   */
  checkHttp(req: Request, clientAddress: string, path?: string): Response | null;
  /** The Socket.IO handshake (namespace middleware): origin, throttle, then cookie or `auth.token`. */
  checkHandshake(input: HandshakeInput): HandshakeResult;
  /**
   * For each engine.io HTTP request (polling requests and the websocket upgrade):
   * the Origin, and the throttle on new handshakes. Credentials are not visible
   * at this level (`auth.token` travels inside the Socket.IO CONNECT packet).
   */
  checkSocketRequest(req: Request, clientAddress: string): HandshakeResult;
  /** `GET /?token=`, `GET /api/auth/status`, `POST /api/auth/pair`; null for other paths. */
  handleAuthRoutes(req: Request, clientAddress: string, path?: string): Promise<Response | null>;
  /** Whether these headers carry the valid pairing cookie (binds an engine.io session to it). */
  hasValidCookie(headers: HandshakeHeaders): boolean;
  /**
   * Accepts only `next` from now on: every cookie and token issued before stops working.
   * Connections already open are the caller's to close.
   */
  setToken(next: string): void;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const STATUS_PATH = "/api/auth/status";
const PAIR_PATH = "/api/auth/pair";
const MAX_PAIR_BODY_BYTES = 4096;
const PairBody = z.object({ token: z.string().min(1).max(1024) });

type Verdict = "valid" | "invalid" | "absent";

export function createAuth(config: AuthConfig, opts: AuthOptions = {}): Auth {
  if (!config.token) throw new Error("createAuth: empty token");
  let token = config.token;
  let cookieExpected = cookieValueFor(token);
  const cookieName = authCookieName(config.secureCookies);
  const allowed = new Set(parseAllowedOrigins(config.allowedOrigins));
  const limiter = createRateLimiter({ ...opts.rateLimit, now: opts.now });

  /** Every candidate is compared (no early exit), each in constant time. */
  const judge = (cookies: readonly string[], tokens: readonly unknown[]): Verdict => {
    if (cookies.length === 0 && tokens.length === 0) return "absent";
    let ok = false;
    for (const value of cookies) ok = safeEqual(value, cookieExpected) || ok;
    for (const value of tokens) ok = (typeof value === "string" && safeEqual(value, token)) || ok;
    return ok ? "valid" : "invalid";
  };

  const fail = (address: string, door: string) => {
    const wasBlocked = limiter.blockedFor(address) > 0;
    limiter.recordFailure(address);
    const blockedMs = limiter.blockedFor(address);
    if (!wasBlocked && blockedMs > 0) {
      log.warn("too many failed authentication attempts; refusing this address for a while", {
        door,
        address,
        seconds: Math.ceil(blockedMs / 1000),
      });
    } else {
      log.info("authentication failed", { door, address });
    }
  };

  const throttled = (address: string): Response | null => {
    const ms = limiter.blockedFor(address);
    if (ms === 0) return null;
    return errorResponse(429, "RATE_LIMITED", "Too many failed attempts. Wait a minute and try again.", {
      "Retry-After": String(Math.ceil(ms / 1000)),
    });
  };

  const originForbidden = (req: Request, url: URL): boolean =>
    judgeOrigin(req.headers.get("origin"), req.headers.get("host"), url.protocol === "https:", allowed) === "forbidden";

  /**
   * `GET /?token=…`: pairs the browser and moves the token out of the address bar.
   * Only a top-level navigation from an allowed origin is an attempt: any page can
   * make a browser load `<img src="…/?token=x">`, and counting those would let it
   * throttle the owner out. So the Origin and fetch metadata are judged first and
   * anything else is refused without being counted.
   */
  const pairByQuery = (req: Request, url: URL, path: string, address: string): Response | null => {
    if (path !== "/" || (req.method !== "GET" && req.method !== "HEAD") || !url.searchParams.has("token")) {
      return null;
    }
    if (originForbidden(req, url)) {
      return errorResponse(403, "UNAUTHORIZED", "Requests from this web page's origin are not allowed.");
    }
    const destination = req.headers.get("sec-fetch-dest");
    if (destination !== null && destination !== "document") {
      return errorResponse(403, "UNAUTHORIZED", "Open the pairing link as a page to pair this browser.");
    }
    const limited = throttled(address);
    if (limited) return limited;
    const presented = url.searchParams.get("token") ?? "";
    if (presented !== "" && safeEqual(presented, token)) {
      return new Response(null, {
        status: 303,
        headers: {
          Location: "/",
          "Set-Cookie": serializeAuthCookie(cookieExpected, config.secureCookies),
          ...NO_STORE,
        },
      });
    }
    if (presented !== "") fail(address, "pairing-url");
    // Still redirect: a wrong or stale token should not stay in the address bar either.
    return new Response(null, { status: 303, headers: { Location: "/?pair=failed", ...NO_STORE } });
  };

  const checkHttp = (req: Request, clientAddress: string, decodedPath?: string): Response | null => {
    const url = new URL(req.url);
    const path = decodedPath ?? url.pathname;
    if (path.startsWith("/socket.io/")) return null;
    const pairing = pairByQuery(req, url, path, clientAddress);
    if (pairing) return pairing;

    const isApi = path === "/api" || path.startsWith("/api/");
    if ((isApi || !SAFE_METHODS.has(req.method)) && originForbidden(req, url)) {
      log.info("refused a request from a foreign origin", { path, address: clientAddress });
      return errorResponse(403, "UNAUTHORIZED", "Requests from this web page's origin are not allowed.");
    }
    if (!isApi || path === STATUS_PATH || path === PAIR_PATH) return null;

    const limited = throttled(clientAddress);
    if (limited) return limited;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    const verdict = judge(readCookieValues(req.headers.get("cookie"), cookieName), bearer ? [bearer] : []);
    if (verdict === "valid") return null;
    if (verdict === "invalid") fail(clientAddress, "http");
    return errorResponse(401, "UNAUTHORIZED", "This device is not paired with the server.");
  };

  const checkHandshake = (input: HandshakeInput): HandshakeResult => {
    const header = headerReader(input.headers);
    const host = input.host ?? header("host");
    const secure = input.secure ?? config.secureCookies;
    if (judgeOrigin(header("origin"), host, secure, allowed) === "forbidden") {
      log.info("refused a socket from a foreign origin", { address: input.clientAddress });
      return { ok: false, reason: "forbidden_origin" };
    }
    if (limiter.blockedFor(input.clientAddress) > 0) return { ok: false, reason: "rate_limited" };
    const tokens = input.authToken === undefined || input.authToken === null ? [] : [input.authToken];
    const verdict = judge(readCookieValues(header("cookie"), cookieName), tokens);
    if (verdict === "valid") return { ok: true };
    if (verdict === "invalid") fail(input.clientAddress, "socket");
    return { ok: false, reason: "unauthorized" };
  };

  const checkSocketRequest = (req: Request, clientAddress: string): HandshakeResult => {
    const url = new URL(req.url);
    if (originForbidden(req, url)) return { ok: false, reason: "forbidden_origin" };
    const isNewSession = !url.searchParams.has("sid");
    if (isNewSession && limiter.blockedFor(clientAddress) > 0) return { ok: false, reason: "rate_limited" };
    return { ok: true };
  };

  const handleAuthRoutes = async (
    req: Request,
    clientAddress: string,
    decodedPath?: string,
  ): Promise<Response | null> => {
    const url = new URL(req.url);
    const path = decodedPath ?? url.pathname;
    const pairing = pairByQuery(req, url, path, clientAddress);
    if (pairing) return pairing;
    if (path !== STATUS_PATH && path !== PAIR_PATH) return null;

    const allow = path === STATUS_PATH ? "GET, HEAD" : "POST";
    if (!allow.split(", ").includes(req.method)) {
      return errorResponse(405, "INVALID_PAYLOAD", `Use ${allow}.`, { Allow: allow });
    }
    if (originForbidden(req, url)) {
      return errorResponse(403, "UNAUTHORIZED", "Requests from this web page's origin are not allowed.");
    }
    const limited = throttled(clientAddress);
    if (limited) return limited;

    if (path === STATUS_PATH) {
      const verdict = judge(readCookieValues(req.headers.get("cookie"), cookieName), []);
      if (verdict === "invalid") fail(clientAddress, "status");
      return Response.json({ paired: verdict === "valid" }, { headers: NO_STORE });
    }

    const contentType = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/json") {
      return errorResponse(415, "INVALID_PAYLOAD", "Send JSON: Content-Type: application/json.");
    }
    const text = await readBodyLimited(req, MAX_PAIR_BODY_BYTES);
    if (text === null) return errorResponse(413, "INVALID_PAYLOAD", "Request body too large.");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return errorResponse(400, "INVALID_PAYLOAD", 'Expected JSON like {"token": "…"}.');
    }
    const parsed = PairBody.safeParse(body);
    if (!parsed.success) return errorResponse(400, "INVALID_PAYLOAD", 'Expected JSON like {"token": "…"}.');
    if (!safeEqual(parsed.data.token.trim(), token)) {
      fail(clientAddress, "pair");
      return errorResponse(401, "UNAUTHORIZED", "That token is not right.");
    }
    return new Response(null, {
      status: 204,
      headers: { "Set-Cookie": serializeAuthCookie(cookieExpected, config.secureCookies), ...NO_STORE },
    });
  };

  const hasValidCookie = (headers: HandshakeHeaders): boolean =>
    judge(readCookieValues(headerReader(headers)("cookie"), cookieName), []) === "valid";

  const setToken = (next: string) => {
    if (!next) throw new Error("setToken: empty token");
    token = next;
    cookieExpected = cookieValueFor(next);
  };

  return { checkHttp, checkHandshake, checkSocketRequest, handleAuthRoutes, hasValidCookie, setToken };
}

const NO_STORE = { "Cache-Control": "no-store" };

function errorResponse(status: number, code: ErrorCode, error: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error, code }, { status, headers: { ...NO_STORE, ...headers } });
}

function headerReader(headers: HandshakeHeaders): (name: string) => string | null {
  if (headers instanceof Headers) return (name) => headers.get(name);
  return (name) => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(name === "cookie" ? "; " : ", ") : value;
  };
}
