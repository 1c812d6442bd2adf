/**
 * Which of the service worker's strategies answers a request (src/client/sw.ts), kept apart so
 * it can be tested without a browser. `null`: the worker stays out and the browser goes to the
 * network as if there were no worker.
 */
export type SwStrategy =
  /** Network first; on failure or a slow server, the cached shell. */
  | "navigate"
  /** Network first, then the cache (the shell fetched by its own URL). */
  | "network-first"
  /** The cache, else the network (hashed assets never change). */
  | "cache-first";

const NEVER_CACHED = ["/socket.io/", "/api/", "/healthz", "/_bun/"];
const SHELL = "/index.html";

export interface SwRequest {
  method: string;
  url: string;
  mode: string;
}

export function strategyFor(request: SwRequest, origin: string, precache: readonly string[]): SwStrategy | null {
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  if (url.origin !== origin) return null;
  if (NEVER_CACHED.some((prefix) => url.pathname.startsWith(prefix))) return null;
  // A pairing URL must reach the server, which sets the cookie and redirects the token out of the
  // address bar; a cached shell would leave the token there, and in the history.
  if (url.searchParams.has("token")) return null;
  if (request.mode === "navigate") return "navigate";
  if (!precache.includes(url.pathname)) return null;
  return url.pathname === SHELL ? "network-first" : "cache-first";
}
