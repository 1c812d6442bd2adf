/**
 * Serves the PWA.
 *
 * - Development (`--dev`): `routes` maps a random internal path to the HTML
 *   import of src/client/index.html (Bun bundles it on request, with HMR and
 *   Tailwind via bunfig's `[serve.static] plugins`). Bun answers its routes
 *   before the app's fetch handler, so the page is not mounted at "/": `fetch`
 *   asks the server itself for that internal path and answers "/" with it, so
 *   pairing and the security headers apply to the page as in production.
 *   `fetch` also serves src/client/public (manifest, icons) and a service
 *   worker that unregisters itself, so a production worker left in the browser
 *   cannot serve stale files during development.
 * - Production: `fetch` serves dist/ (from `bun scripts/build.ts`): hashed
 *   files immutable for a year, index.html / sw.js / the manifest `no-cache`
 *   with an ETag, pre-compressed `.gz` when the client accepts gzip, and
 *   index.html for unknown page navigations (SPA fallback).
 *
 * `fetch` answers null for paths it does not own (/socket.io/, /api/, /healthz)
 * and for missing non-page files, so the router can 404 them.
 */
import { stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { inlineScriptHashes } from "../auth/headers.ts";
import { firstScreenChunks, retryCopy, retryOf } from "./chunkRetry.ts";
import { decodePath } from "./gate.ts";

export interface ClientAssetsOptions {
  dev: boolean;
  /** The production build's folder (ignored in development). */
  distDir: string;
}

export interface ClientAssets {
  /** For `Bun.serve({ routes })`: the HTML bundle in development, empty in production. */
  routes: Record<string, unknown>;
  /**
   * Static files and the SPA fallback; null when the path is not the client's.
   * `path` is the request's decoded path (the router passes the one auth saw).
   */
  fetch(req: Request, path?: string | null): Promise<Response | null>;
  /**
   * CSP `'sha256-…'` sources of the inline scripts in index.html (the theme script). In
   * development it grows with the scripts Bun injects into the page it bundles.
   */
  scriptHashes: string[];
  /** Development: where the server itself listens, so "/" can fetch the bundled page from its internal route. */
  listening?(origin: string): void;
}

const CLIENT_DIR = resolve(import.meta.dir, "../../client");
const PUBLIC_DIR = join(CLIENT_DIR, "public");

/** Paths owned by the server, never answered here. */
const NOT_OURS = ["/socket.io/", "/api/", "/_bun/"];
const NOT_OURS_EXACT = new Set(["/healthz", "/socket.io", "/api"]);

/** Files whose URL does not change between versions: always revalidated. */
const REVALIDATE = new Set(["/index.html", "/sw.js", "/manifest.webmanifest", "/build-info.json"]);
/** Bun's content hash in output names: `chunk-ab12cd34.js`, `icon-46xbs3e3.svg`. */
const HASHED = /-[a-z0-9]{8}\.[a-z0-9]+$/;
const IMMUTABLE = "public, max-age=31536000, immutable";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** A service worker that removes itself (served in development instead of the real one). */
const DEV_SERVICE_WORKER = `self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    await self.registration.unregister();
    for (const client of await self.clients.matchAll({ type: "window" })) client.navigate(client.url);
  })());
});
`;

const pathOf = (req: Request) => decodePath(new URL(req.url).pathname);

function isOurs(pathname: string): boolean {
  return !NOT_OURS_EXACT.has(pathname) && !NOT_OURS.some((prefix) => pathname.startsWith(prefix));
}

/** The decoded path if it is safe to map onto a folder (no traversal; `decodePath` already refused NUL and backslashes). */
function safePath(decoded: string | null): string | null {
  if (decoded === null) return null;
  if (decoded.split("/").some((segment) => segment === ".." || segment === ".")) return null;
  return decoded;
}

async function fileInfo(path: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const info = await stat(path);
    return info.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : null;
  } catch {
    return null;
  }
}

function acceptsGzip(req: Request): boolean {
  const header = req.headers.get("accept-encoding") ?? "";
  return header.split(",").some((part) => {
    const [name, ...params] = part.trim().split(";");
    if (name?.trim().toLowerCase() !== "gzip" && name?.trim() !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number.parseFloat(q.slice(2)) > 0;
  });
}

function wantsPage(req: Request, pathname: string): boolean {
  const accept = req.headers.get("accept") ?? "";
  return accept.includes("text/html") || extname(pathname) === "";
}

interface ServeOptions {
  cacheControl: string;
  status?: number;
}

/** Serves one file from `root`, with its pre-compressed twin when allowed, ETag and HEAD support. */
async function serveFile(
  req: Request,
  root: string,
  relativePath: string,
  options: ServeOptions,
): Promise<Response | null> {
  const path = resolve(root, `.${relativePath}`);
  if (path !== root && !path.startsWith(root + sep)) return null;
  const info = await fileInfo(path);
  if (!info) return null;

  const headers = new Headers({
    "Content-Type": TYPES[extname(path).toLowerCase()] ?? "application/octet-stream",
    "Cache-Control": options.cacheControl,
    "X-Content-Type-Options": "nosniff",
  });
  let body = path;
  let size = info.size;
  const gz = await fileInfo(`${path}.gz`);
  if (gz) {
    headers.set("Vary", "Accept-Encoding");
    if (acceptsGzip(req)) {
      body = `${path}.gz`;
      size = gz.size;
      headers.set("Content-Encoding", "gzip");
    }
  }
  const etag = `W/"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
  headers.set("ETag", etag);
  const status = options.status ?? 200;
  if (status === 200 && req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  headers.set("Content-Length", String(size));
  return new Response(req.method === "HEAD" ? null : Bun.file(body), { status, headers });
}

export async function createClientAssets(opts: ClientAssetsOptions): Promise<ClientAssets> {
  return opts.dev ? createDevAssets() : createProdAssets(resolve(opts.distDir));
}

async function createDevAssets(): Promise<ClientAssets> {
  const { default: page } = await import("../../client/index.html");
  const scriptHashes = inlineScriptHashes(await Bun.file(join(CLIENT_DIR, "index.html")).text());
  // Unguessable, though the page is public anyway: the secret is the token, not the shell.
  const internalPath = `/__pocket-dev-page-${crypto.randomUUID()}`;
  let origin: string | null = null;

  /** The page Bun bundled, re-served with the inline scripts Bun injects added to the CSP hashes. */
  const devPage = async (req: Request): Promise<Response> => {
    if (!origin) throw new Error("createDevAssets: listening(origin) was not called");
    // Our own loopback listener: its certificate (if any) need not be trusted by this process.
    const bundled = await fetch(`${origin}${internalPath}`, { tls: { rejectUnauthorized: false } });
    const html = await bundled.text();
    for (const hash of inlineScriptHashes(html)) if (!scriptHashes.includes(hash)) scriptHashes.push(hash);
    return new Response(req.method === "HEAD" ? null : html, {
      status: bundled.status,
      headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" },
    });
  };

  return {
    routes: { [internalPath]: page },
    scriptHashes,
    listening(at) {
      origin = at;
    },
    async fetch(req, decoded = pathOf(req)) {
      if (req.method !== "GET" && req.method !== "HEAD") return null;
      if (decoded === null || !isOurs(decoded)) return null;
      const pathname = decoded;
      if (pathname === "/" || pathname === "/index.html") return devPage(req);
      if (pathname === "/sw.js") {
        return new Response(req.method === "HEAD" ? null : DEV_SERVICE_WORKER, {
          headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache" },
        });
      }
      const path = safePath(pathname);
      if (!path) return null;
      const file = await serveFile(req, PUBLIC_DIR, path, { cacheControl: "no-cache" });
      return file ?? (wantsPage(req, path) ? devPage(req) : null);
    },
  };
}

async function createProdAssets(distDir: string): Promise<ClientAssets> {
  const indexFile = Bun.file(join(distDir, "index.html"));
  if (!(await indexFile.exists())) {
    throw new Error(`No client build in ${distDir}: run \`bun scripts/build.ts\` first.`);
  }
  const scriptHashes = inlineScriptHashes(await indexFile.text());
  let firstScreen: Promise<ReadonlySet<string>> | null = null;
  /** A chunk asked for again after a failure (`?retry=N`): see chunkRetry.ts. */
  const serveRetry = async (req: Request, path: string, retry: string): Promise<Response | null> => {
    const file = Bun.file(join(distDir, path));
    if (!(await file.exists())) return null;
    firstScreen ??= firstScreenChunks(distDir);
    const code = retryCopy(await file.text(), retry, await firstScreen);
    const headers = {
      "Content-Type": TYPES[".js"] ?? "text/javascript; charset=utf-8",
      "Cache-Control": IMMUTABLE,
      "X-Content-Type-Options": "nosniff",
    };
    return new Response(req.method === "HEAD" ? null : code, { headers });
  };
  return {
    routes: {},
    scriptHashes,
    async fetch(req, decoded = pathOf(req)) {
      if (req.method !== "GET" && req.method !== "HEAD") return null;
      if (decoded === null || !isOurs(decoded)) return null;
      const path = safePath(decoded);
      if (path === null) return null;

      const retry = retryOf(path, req.url);
      if (retry !== null) return serveRetry(req, path, retry);

      if (path !== "/" && !path.endsWith("/")) {
        const cacheControl = REVALIDATE.has(path)
          ? "no-cache"
          : HASHED.test(path)
            ? IMMUTABLE
            : "public, max-age=86400";
        const file = await serveFile(req, distDir, path, { cacheControl });
        if (file) return file;
      }
      // The app shell for "/" and for any other page navigation (client-side routes, deep links).
      if (path === "/" || wantsPage(req, path)) {
        return serveFile(req, distDir, "/index.html", { cacheControl: "no-cache" });
      }
      return null;
    },
  };
}
