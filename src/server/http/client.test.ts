import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inlineScriptHashes } from "../auth/headers.ts";
import { type ClientAssets, createClientAssets } from "./client.ts";

const INDEX = `<!doctype html><html><head><script>document.documentElement.classList.add("x")</script>
<script type="module" crossorigin src="/chunk-abcd1234.js"></script></head><body><div id="root"></div></body></html>`;
const JS = `console.log(${JSON.stringify("pocket agent ".repeat(200))});`;

/** A chunk loaded on demand: it imports the first screen's chunk and another chunk loaded on demand. */
const SHEET = 'import{a}from"/chunk-abcd1234.js";import{d}from"/chunk-dialog00.js";export const s=a+d;';

let dist: string;
let assets: ClientAssets;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), "pocket-dist-"));
  await mkdir(join(dist, "icons"));
  await writeFile(join(dist, "index.html"), INDEX);
  await writeFile(join(dist, "chunk-abcd1234.js"), JS);
  await writeFile(join(dist, "chunk-abcd1234.js.gz"), Bun.gzipSync(new TextEncoder().encode(JS)));
  await writeFile(join(dist, "chunk-sheet000.js"), SHEET);
  await writeFile(join(dist, "build-info.json"), JSON.stringify({ firstScreen: ["chunk-abcd1234.js"] }));
  await writeFile(join(dist, "sw.js"), "self.addEventListener('fetch', () => {});");
  await writeFile(join(dist, "manifest.webmanifest"), '{"name":"Pocket Agent"}');
  await writeFile(join(dist, "icons", "icon-192.png"), new Uint8Array([137, 80, 78, 71]));
  assets = await createClientAssets({ dev: false, distDir: dist });
});

afterAll(async () => {
  await rm(dist, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  assets.fetch(new Request(`http://localhost${path}`, { method, headers }));

describe("production assets", () => {
  test("/ is the app shell, revalidated every time, with an ETag", async () => {
    const res = await get("/", { accept: "text/html" });
    expect(res?.status).toBe(200);
    expect(res?.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res?.headers.get("cache-control")).toBe("no-cache");
    expect(await res?.text()).toBe(INDEX);
    const etag = res?.headers.get("etag") ?? "";
    expect(etag).not.toBe("");
    const again = await get("/", { "if-none-match": etag });
    expect(again?.status).toBe(304);
  });

  test("hashed files are immutable and served gzipped when accepted", async () => {
    const zipped = await get("/chunk-abcd1234.js", { "accept-encoding": "gzip, deflate, br" });
    expect(zipped?.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(zipped?.headers.get("content-encoding")).toBe("gzip");
    expect(zipped?.headers.get("vary")).toBe("Accept-Encoding");
    expect(zipped?.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const body = new Uint8Array(await (zipped?.arrayBuffer() ?? new ArrayBuffer(0)));
    expect(Number(zipped?.headers.get("content-length"))).toBe(body.byteLength);
    expect(new TextDecoder().decode(Bun.gunzipSync(body))).toBe(JS);

    const plain = await get("/chunk-abcd1234.js", { "accept-encoding": "identity" });
    expect(plain?.headers.get("content-encoding")).toBeNull();
    expect(await plain?.text()).toBe(JS);
    const refused = await get("/chunk-abcd1234.js", { "accept-encoding": "gzip;q=0" });
    expect(refused?.headers.get("content-encoding")).toBeNull();
  });

  test("a chunk asked for again after a failure imports what loads on demand under the same retry", async () => {
    const retried = await get("/chunk-sheet000.js?retry=2", { "accept-encoding": "gzip" });
    expect(retried?.status).toBe(200);
    expect(retried?.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(retried?.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await retried?.text()).toBe(
      'import{a}from"/chunk-abcd1234.js";import{d}from"/chunk-dialog00.js?retry=2";export const s=a+d;',
    );
    // Without a retry, or with one that is not a count, the file is served as it is.
    expect(await (await get("/chunk-sheet000.js"))?.text()).toBe(SHEET);
    expect(await (await get("/chunk-sheet000.js?retry=x"))?.text()).toBe(SHEET);
    expect(await get("/chunk-gone0000.js?retry=1")).toBeNull();
  });

  test("sw.js and the manifest are revalidated; icons cached a day", async () => {
    expect((await get("/sw.js"))?.headers.get("cache-control")).toBe("no-cache");
    const manifest = await get("/manifest.webmanifest");
    expect(manifest?.headers.get("cache-control")).toBe("no-cache");
    expect(manifest?.headers.get("content-type")).toBe("application/manifest+json; charset=utf-8");
    const icon = await get("/icons/icon-192.png");
    expect(icon?.headers.get("content-type")).toBe("image/png");
    expect(icon?.headers.get("cache-control")).toBe("public, max-age=86400");
  });

  test("unknown page navigations get the app shell; unknown files are not ours", async () => {
    const page = await get("/sessions/abc", { accept: "text/html,application/xhtml+xml" });
    expect(page?.status).toBe(200);
    expect(await page?.text()).toBe(INDEX);
    expect(await get("/deep/link")).not.toBeNull();
    expect(await get("/missing-abcd1234.js", { accept: "*/*" })).toBeNull();
  });

  test("server paths are never answered", async () => {
    for (const path of ["/socket.io/?EIO=4&transport=polling", "/api/transcribe", "/api/x", "/healthz", "/_bun/x"]) {
      expect(await get(path, { accept: "text/html" })).toBeNull();
    }
  });

  test("only GET and HEAD; HEAD has headers and no body", async () => {
    expect(await get("/", {}, "POST")).toBeNull();
    const head = await get("/chunk-abcd1234.js", {}, "HEAD");
    expect(head?.status).toBe(200);
    expect(head?.headers.get("content-length")).toBe(String(JS.length));
    expect(await head?.text()).toBe("");
  });

  test("no path traversal out of dist: refused, or at most the app shell", async () => {
    for (const path of [
      "/..%2fpackage.json",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/icons/..%5c..%5cx",
      "/a%00.js",
      "/%E0%A4%A",
    ]) {
      const res = await get(path, { accept: "*/*" });
      if (res !== null) expect(await res.text()).toBe(INDEX);
    }
    expect(await get("/..%2fpackage.json")).toBeNull();
    expect(await get("/icons/..%5c..%5cx.png")).toBeNull();
  });

  test("CSP hashes of the inline scripts", () => {
    expect(assets.scriptHashes).toEqual(inlineScriptHashes(INDEX));
    expect(assets.scriptHashes).toHaveLength(1);
    expect(assets.routes).toEqual({});
  });

  test("a missing build is a clear error", async () => {
    expect(createClientAssets({ dev: false, distDir: join(dist, "nope") })).rejects.toThrow("bun scripts/build.ts");
  });
});

describe("development assets", () => {
  test("routes the HTML import; serves public files and a self-removing service worker", async () => {
    const dev = await createClientAssets({ dev: true, distDir: "unused" });
    // Not at "/": Bun answers its routes before the app's fetch handler, so pairing and headers would be skipped.
    expect(Object.keys(dev.routes)).toEqual([expect.stringMatching(/^\/__pocket-dev-page-[0-9a-f-]{36}$/)]);
    expect(dev.scriptHashes).toHaveLength(1);
    const manifest = await dev.fetch(new Request("http://localhost/manifest.webmanifest"));
    expect((await manifest?.json()) as unknown).toMatchObject({ name: "Pocket Agent", display: "standalone" });
    const sw = await dev.fetch(new Request("http://localhost/sw.js"));
    expect(await sw?.text()).toContain("unregister");
    expect(await dev.fetch(new Request("http://localhost/socket.io/"))).toBeNull();
    expect(await dev.fetch(new Request("http://localhost/../package.json"))).toBeNull();
  });

  test('"/" is the bundled page, fetched from its internal route, with the scripts Bun injects hashed for the CSP', async () => {
    const dev = await createClientAssets({ dev: true, distDir: "unused" });
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      routes: dev.routes as Record<string, Bun.HTMLBundle>,
      fetch: async (req) => (await dev.fetch(req)) ?? new Response("Not found", { status: 404 }),
    });
    try {
      dev.listening?.(`http://127.0.0.1:${server.port}`);
      const page = await fetch(`http://127.0.0.1:${server.port}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const html = await page.text();
      expect(html).toContain('<div id="root">');
      expect(dev.scriptHashes).toEqual(inlineScriptHashes(html));
      expect(dev.scriptHashes.length).toBeGreaterThan(1);
    } finally {
      await server.stop(true);
    }
  }, 30_000);
});
