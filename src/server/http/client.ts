/**
 * Serves the PWA.
 *
 * - Development: `routes` maps "/" to the HTML import of src/client/index.html
 *   (Bun bundles it on request, with HMR and Tailwind via bunfig's
 *   `[serve.static] plugins`); `fetch` serves src/client/public (manifest,
 *   icons) and a service worker that unregisters itself, so a production
 *   worker left in the browser cannot serve stale files during development.
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

export interface ClientAssetsOptions {
  dev: boolean;
  /** The production build's folder (ignored in development). */
  distDir: string;
}

export interface ClientAssets {
  /** For `Bun.serve({ routes })`: the HTML bundle in development, empty in production. */
  routes: Record<string, unknown>;
  /** Static files and the SPA fallback; null when the path is not the client's. */
  fetch(req: Request): Promise<Response | null>;
  /** CSP `'sha256-…'` sources of the inline scripts in index.html (the theme script). */
  scriptHashes: string[];
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

function isOurs(pathname: string): boolean {
  return !NOT_OURS_EXACT.has(pathname) && !NOT_OURS.some((prefix) => pathname.startsWith(prefix));
}

/** The decoded path if it is safe to map onto a folder (no traversal, no NUL, no backslashes). */
function safePath(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
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
  return {
    routes: { "/": page, "/index.html": page },
    scriptHashes,
    async fetch(req) {
      if (req.method !== "GET" && req.method !== "HEAD") return null;
      const { pathname } = new URL(req.url);
      if (!isOurs(pathname)) return null;
      if (pathname === "/sw.js") {
        return new Response(req.method === "HEAD" ? null : DEV_SERVICE_WORKER, {
          headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache" },
        });
      }
      const path = safePath(pathname);
      if (!path) return null;
      return serveFile(req, PUBLIC_DIR, path, { cacheControl: "no-cache" });
    },
  };
}

async function createProdAssets(distDir: string): Promise<ClientAssets> {
  const indexFile = Bun.file(join(distDir, "index.html"));
  if (!(await indexFile.exists())) {
    throw new Error(`No client build in ${distDir}: run \`bun scripts/build.ts\` first.`);
  }
  const scriptHashes = inlineScriptHashes(await indexFile.text());
  return {
    routes: {},
    scriptHashes,
    async fetch(req) {
      if (req.method !== "GET" && req.method !== "HEAD") return null;
      const { pathname } = new URL(req.url);
      if (!isOurs(pathname)) return null;
      const path = safePath(pathname);
      if (path === null) return null;

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
