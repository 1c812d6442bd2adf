/**
 * Origin checks: which web pages may talk to the server from a browser.
 *
 * Allowed: the server's own origin as the browser addressed it (scheme + the
 * `Host` header), the configured listen address(es), and `POCKET_ALLOWED_ORIGINS`.
 * A request without an `Origin` header comes from a script, not a browser page,
 * and is judged by its token alone.
 */

/** `scheme://host[:port]`, lower-cased, default port dropped; null when `value` is not an http(s) origin. */
export function normalizeOrigin(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === "" || trimmed === "null") return null;
  try {
    const url = new URL(trimmed);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (url.username || url.password) return null;
    return url.origin.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Parses `POCKET_ALLOWED_ORIGINS` (comma separated). A wildcard or anything
 * that is not a plain http(s) origin is refused: it would switch the
 * protection off, and a typo should not fail open.
 */
export function parseAllowedOrigins(value: string | readonly string[] | undefined): string[] {
  const items = typeof value === "string" ? value.split(",") : (value ?? []);
  const out = new Set<string>();
  for (const raw of items) {
    const item = raw.trim();
    if (item === "") continue;
    if (item.includes("*")) throw new Error(`POCKET_ALLOWED_ORIGINS: wildcards are not allowed ("${item}").`);
    const origin = normalizeOrigin(item);
    if (origin === null || new URL(item).pathname.replace(/\/$/, "") !== "") {
      throw new Error(`POCKET_ALLOWED_ORIGINS: "${item}" is not an origin like https://host:port.`);
    }
    out.add(origin);
  }
  return [...out];
}

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]", ""]);

/**
 * The origins a browser uses when it opens the configured listen address:
 * `http(s)://host:port`, plus `localhost` / `127.0.0.1` when bound to loopback or
 * to every interface. Extra certificate names (`names`) add their origins too.
 * Pass the result (with `parseAllowedOrigins(...)`) as `AuthConfig.allowedOrigins`.
 */
export function configuredOrigins(options: {
  host: string;
  port: number;
  https: boolean;
  names?: readonly string[];
}): string[] {
  const scheme = options.https ? "https" : "http";
  const hosts = new Set<string>();
  const host = options.host.trim().toLowerCase();
  if (WILDCARD_HOSTS.has(host)) {
    hosts.add("localhost");
    hosts.add("127.0.0.1");
  } else {
    hosts.add(host);
    if (host === "127.0.0.1" || host === "localhost" || host === "::1") {
      hosts.add("localhost");
      hosts.add("127.0.0.1");
    }
  }
  for (const name of options.names ?? []) hosts.add(name.toLowerCase());
  const out = new Set<string>();
  for (const h of hosts) {
    const bracketed = h.includes(":") && !h.startsWith("[") ? `[${h}]` : h;
    const origin = normalizeOrigin(`${scheme}://${bracketed}:${options.port}`);
    if (origin) out.add(origin);
  }
  return [...out];
}

/** The origin a browser page on this server has, given the `Host` it addressed; null if `host` is unusable. */
export function ownOrigin(host: string | null | undefined, https: boolean): string | null {
  if (!host || !/^[a-z0-9.\-:[\]]+$/i.test(host)) return null;
  return normalizeOrigin(`${https ? "https" : "http"}://${host}`);
}

export type OriginVerdict = "absent" | "allowed" | "forbidden";

/**
 * `absent`: no Origin header (not a browser page, judge by token);
 * `allowed`: same origin or explicitly allowed; `forbidden`: every other page,
 * including the opaque origin `null` (sandboxed frames, `file:` pages).
 */
export function judgeOrigin(
  origin: string | null | undefined,
  host: string | null | undefined,
  https: boolean,
  allowed: ReadonlySet<string>,
): OriginVerdict {
  if (origin === null || origin === undefined) return "absent";
  const normalized = normalizeOrigin(origin);
  if (normalized === null) return "forbidden";
  if (allowed.has(normalized)) return "allowed";
  return normalized === ownOrigin(host, https) ? "allowed" : "forbidden";
}
