/**
 * What every request passes before auth and routing: a URL that parses, a Host
 * this server is known by (DNS rebinding), one decoded path for auth and
 * routing alike, and a body no larger than its route needs.
 *
 * Bun's `maxRequestBodySize` is one number for the whole server, raised for
 * voice uploads; the engine.io polling transport reads a whole body before it
 * checks its own packet limit. So each route's cap is enforced here, from the
 * declared length, before a byte of the body is read. Bun frames the body by
 * that length, so it cannot be exceeded afterwards.
 */
import type { ErrorCode } from "../../shared/messages.ts";

export interface RequestTarget {
  url: URL;
  /** `url.pathname` decoded once; what auth, routing and asset serving all look at. */
  path: string;
}

export interface GateOptions {
  /** True when the `Host` header names this server. */
  hostAllowed: (host: string | null) => boolean;
  /** The largest body a path accepts, in bytes. */
  bodyLimit: (path: string) => number;
  /** Paths whose handler reads the whole body at once: a body without a declared length is refused there. */
  needsLength: (path: string) => boolean;
}

export function createGate(options: GateOptions): (req: Request) => RequestTarget | Response {
  return (req) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return gateError(400, "INVALID_PAYLOAD", "Bad request: the Host header or the URL is not valid.");
    }
    const host = req.headers.get("host");
    if (!options.hostAllowed(host)) {
      return gateError(
        421,
        "UNAUTHORIZED",
        "This server does not answer to that host name. Open it by its own address, or list the name in POCKET_ALLOWED_ORIGINS.",
      );
    }
    const path = decodePath(url.pathname);
    if (path === null) return gateError(400, "INVALID_PAYLOAD", "Bad request: the path is not valid.");

    const declared = req.headers.get("content-length");
    const limit = options.bodyLimit(path);
    if (declared !== null && !(Number(declared) <= limit)) {
      return gateError(413, "INVALID_PAYLOAD", `Request body too large (at most ${limit} bytes here).`);
    }
    if (declared === null && req.body !== null && options.needsLength(path)) {
      return gateError(411, "INVALID_PAYLOAD", "Send a Content-Length with the body.");
    }
    return { url, path };
  };
}

/** The path with percent-escapes decoded; null when it cannot be (bad escape, NUL, backslash). */
export function decodePath(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  return decoded.includes("\0") || decoded.includes("\\") ? null : decoded;
}

function gateError(status: number, code: ErrorCode, error: string): Response {
  return Response.json({ error, code }, { status, headers: { "Cache-Control": "no-store", Connection: "close" } });
}
