/**
 * Security headers for every HTTP response.
 *
 * The Content-Security-Policy allows scripts only from this origin plus the
 * inline scripts of the served `index.html`, identified by their SHA-256 hash
 * (compute them once at start with `inlineScriptHashes`).
 */
import crypto from "node:crypto";

export interface SecurityHeadersContext {
  /** The server speaks HTTPS: adds HSTS and `wss:` in connect-src. */
  https: boolean;
  /** CSP sources from `inlineScriptHashes(indexHtml)`, e.g. `'sha256-…'`. */
  scriptHashes?: readonly string[];
  /**
   * The request's `Host` header. Used to name the same-origin WebSocket
   * (`ws(s)://host`) in connect-src explicitly, for browsers that do not match
   * `ws:` against `'self'`. Ignored unless it is a plain host[:port].
   */
  host?: string | null;
  /** Adds `'unsafe-inline'` to style-src. Off by default; only if the UI really injects `<style>` elements. */
  allowInlineStyles?: boolean;
}

const sha256Source = (text: string): string =>
  `'sha256-${crypto.createHash("sha256").update(text, "utf8").digest("base64")}'`;

/**
 * CSP hash sources (`'sha256-…'`) for every inline `<script>` (one without
 * `src`) in `html`, in document order, without duplicates. The hash covers the
 * exact text between the tags, as the browser computes it. Inline JSON and
 * import maps are included too (harmless, and import maps need it).
 */
export function inlineScriptHashes(html: string): string[] {
  const withoutComments = html.replace(/<!--[\s\S]*?-->/g, "");
  const out = new Set<string>();
  for (const match of withoutComments.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const attributes = match[1] ?? "";
    const body = match[2] ?? "";
    if (/(^|\s)src\s*=/i.test(attributes)) continue;
    out.add(sha256Source(body));
  }
  return [...out];
}

const PLAIN_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function contentSecurityPolicy(ctx: SecurityHeadersContext): string {
  const connect = ["'self'"];
  if (ctx.host && PLAIN_HOST.test(ctx.host)) connect.push(`${ctx.https ? "wss" : "ws"}://${ctx.host.toLowerCase()}`);
  const directives: [string, string[]][] = [
    ["default-src", ["'self'"]],
    ["script-src", ["'self'", ...(ctx.scriptHashes ?? [])]],
    ["style-src", ctx.allowInlineStyles ? ["'self'", "'unsafe-inline'"] : ["'self'"]],
    ["img-src", ["'self'", "data:", "blob:"]],
    ["media-src", ["'self'", "blob:"]],
    ["font-src", ["'self'"]],
    ["connect-src", connect],
    ["manifest-src", ["'self'"]],
    ["worker-src", ["'self'"]],
    ["object-src", ["'none'"]],
    ["frame-ancestors", ["'none'"]],
    ["base-uri", ["'none'"]],
    ["form-action", ["'self'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(" ")}`).join("; ");
}

/** The security headers as a plain list (also handy for static-file servers). */
export function securityHeaders(ctx: SecurityHeadersContext): [string, string][] {
  const headers: [string, string][] = [
    ["Content-Security-Policy", contentSecurityPolicy(ctx)],
    ["Referrer-Policy", "no-referrer"],
    ["X-Content-Type-Options", "nosniff"],
    ["Permissions-Policy", "microphone=(self), camera=(), geolocation=(), payment=(), usb=()"],
    ["X-Frame-Options", "DENY"],
    ["Cross-Origin-Opener-Policy", "same-origin"],
    ["Cross-Origin-Resource-Policy", "same-origin"],
  ];
  // No includeSubDomains: the host may be a shared name (e.g. a tailnet) whose siblings are not ours.
  if (ctx.https) headers.push(["Strict-Transport-Security", "max-age=31536000"]);
  return headers;
}

/**
 * Adds the security headers to `res` (in place when its headers are mutable,
 * else on a copy; a 101 upgrade response is returned untouched) and returns it.
 */
export function withSecurityHeaders(res: Response, ctx: SecurityHeadersContext): Response {
  if (res.status === 101) return res;
  const list = securityHeaders(ctx);
  try {
    for (const [name, value] of list) res.headers.set(name, value);
    return res;
  } catch {
    const headers = new Headers(res.headers);
    for (const [name, value] of list) headers.set(name, value);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}
