/**
 * Production build of the client: `bun scripts/build.ts` → dist/
 *
 *   dist/index.html              (no-cache; links rewritten to stable /manifest.webmanifest)
 *   dist/chunk-<hash>.js|css     (hashed, immutable)
 *   dist/<name>-<hash>.<ext>     (hashed assets referenced by index.html)
 *   dist/manifest.webmanifest, dist/icons/*   (copied from src/client/public)
 *   dist/sw.js                   (service worker, precache list + version baked in)
 *   dist/**.gz                   (pre-compressed copies, served when the client accepts gzip)
 *   dist/build-info.json         (version, files, sizes)
 *
 * Fails when the first-screen JS is over budget (150 KB gzip).
 */
import { createHash } from "node:crypto";
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import tailwind from "bun-plugin-tailwind";
import { renderStaticShell, STATIC_SHELL_ROOT_ATTRIBUTES } from "../src/client/startup/shell.tsx";
import { routeChunkImports } from "./chunkImports.ts";

const ROOT = resolve(import.meta.dir, "..");
const CLIENT = join(ROOT, "src/client");
const DIST = resolve(ROOT, process.env.POCKET_DIST_DIR ?? "dist");
const JS_BUDGET_GZIP = 150 * 1024;
const COMPRESSIBLE = /\.(html|js|mjs|css|json|webmanifest|svg|txt|map)$/;

const define = { "process.env.NODE_ENV": '"production"' };

function fail(message: string): never {
  console.error(`build failed: ${message}`);
  process.exit(1);
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const STATIC_CHUNK_IMPORT = /(?:from|import)\s*"\/(chunk-[a-z0-9]+\.js)"/g;
const DYNAMIC_CHUNK_IMPORT = /import\(\s*"\/(chunk-[a-z0-9]+\.js)"\s*\)/g;

/**
 * The chunks the entry's start-up stages need: what the entry imports dynamically, and what those
 * import statically, transitively; not the chunks loaded later on demand (the sheets' code), and
 * not what is in `known` already.
 */
async function startupChunks(entry: string, known: ReadonlySet<string | undefined>): Promise<string[]> {
  const readChunk = (file: string) => readFile(join(DIST, file), "utf8");
  const found: string[] = [];
  const queue = [...(await readChunk(entry)).matchAll(DYNAMIC_CHUNK_IMPORT)].map((m) => m[1] ?? "");
  while (queue.length > 0) {
    const file = queue.shift() ?? "";
    if (file === entry || known.has(file) || found.includes(file)) continue;
    found.push(file);
    queue.push(...[...(await readChunk(file)).matchAll(STATIC_CHUNK_IMPORT)].map((m) => m[1] ?? ""));
  }
  return found;
}

const started = performance.now();
await rm(DIST, { recursive: true, force: true });
await mkdir(DIST, { recursive: true });

// 1. The app: HTML entry → hashed JS/CSS/assets, Tailwind compiled by the plugin.
const app = await Bun.build({
  entrypoints: [join(CLIENT, "index.html")],
  outdir: DIST,
  target: "browser",
  minify: true,
  sourcemap: "none",
  publicPath: "/",
  splitting: true,
  define,
  plugins: [tailwind],
});
if (!app.success) {
  for (const log of app.logs) console.error(log);
  fail("client bundle");
}

// 2. Stable URLs for what must not be hashed: the manifest (its icons point at /icons/*).
const indexPath = join(DIST, "index.html");
let html = await readFile(indexPath, "utf8");
for (const output of app.outputs) {
  const name = relative(DIST, output.path);
  if (name.endsWith(".webmanifest")) {
    html = html.replaceAll(`/${name}`, "/manifest.webmanifest");
    await rm(output.path);
  }
}
// The first screen as static HTML, so it paints before the JavaScript arrives (see src/client/startup/shell.tsx).
const EMPTY_ROOT = '<div id="root"></div>';
if (!html.includes(EMPTY_ROOT)) fail(`index.html has no ${EMPTY_ROOT} for the static shell`);
html = html.replace(EMPTY_ROOT, `<div id="root" ${STATIC_SHELL_ROOT_ATTRIBUTES}>${renderStaticShell()}</div>`);
// The app's script is not needed for the first paint (the static shell is), so it must not be
// fetched as if it blocked rendering. (Bun's HTML bundler drops the attribute from the source.)
const MODULE_SCRIPT = '<script type="module" crossorigin src=';
if (!html.includes(MODULE_SCRIPT)) fail("index.html has no module script to mark fetchpriority=low");
html = html.replace(MODULE_SCRIPT, '<script type="module" fetchpriority="low" crossorigin src=');
// main.tsx starts up in stages, each a chunk it imports dynamically (src/client/main.tsx). Bun
// preloads only the entry's static imports, so each stage would be fetched after the one before it
// had run: one round trip each on a phone network. Preload them all with the entry instead.
// Bun's own preloads (the entry's static imports) get the same low priority as the entry: at the
// default (high) priority they compete with the stylesheet the first paint waits for.
html = html.replaceAll(
  '<link rel="modulepreload" crossorigin',
  '<link rel="modulepreload" fetchpriority="low" crossorigin',
);
const entryFile = /<script type="module"[^>]*\ssrc="\/([^"]+\.js)"/.exec(html)?.[1];
if (!entryFile) fail("index.html has no module script");
const preloaded = new Set([...html.matchAll(/rel="modulepreload"[^>]*\shref="\/([^"]+\.js)"/g)].map((m) => m[1]));
const stageChunks = await startupChunks(entryFile, preloaded);
if (/<link rel="modulepreload"(?![^>]*fetchpriority="low")/.test(html))
  fail("a module preload without fetchpriority=low");
if (stageChunks.length === 0) fail(`${entryFile} imports no start-up stage (see src/client/main.tsx)`);
html = html.replace(
  "</head>",
  `${stageChunks.map((file) => `<link rel="modulepreload" fetchpriority="low" crossorigin href="/${file}">`).join("")}</head>`,
);
await writeFile(indexPath, html);
await cp(join(CLIENT, "public"), DIST, { recursive: true });

// 2b. A chunk that failed to load is asked for again under a new address, without Bun's preloads
// (scripts/chunkImports.ts, decision 072): some engines keep a failed fetch for the life of the page.
let routedImports = 0;
for (const path of await listFiles(DIST)) {
  if (!path.endsWith(".js")) continue;
  const { code, routed, unknownShape } = routeChunkImports(await readFile(path, "utf8"));
  if (unknownShape) fail(`${relative(DIST, path)}: a dynamic chunk import of an unknown shape: ${unknownShape}`);
  if (routed === 0) continue;
  routedImports += routed;
  await writeFile(path, code);
}
if (routedImports === 0) fail("no dynamic chunk import found to route (has Bun's output changed?)");

// 3. The service worker, with the precache list and a version derived from the shell's content.
const shellFiles = (await listFiles(DIST)).map((file) => relative(DIST, file)).sort();
const precache = shellFiles.map((file) => (file === "index.html" ? "/index.html" : `/${file}`));
const versionHash = createHash("sha256");
for (const file of shellFiles) versionHash.update(file).update(await readFile(join(DIST, file)));
const version = versionHash.digest("hex").slice(0, 12);

const worker = await Bun.build({
  entrypoints: [join(CLIENT, "sw.ts")],
  outdir: DIST,
  naming: "sw.js",
  target: "browser",
  minify: true,
  sourcemap: "none",
  define: {
    ...define,
    __SW_VERSION__: JSON.stringify(version),
    __PRECACHE__: JSON.stringify(precache),
  },
});
if (!worker.success) {
  for (const log of worker.logs) console.error(log);
  fail("service worker bundle");
}

// 4. Pre-compressed copies.
const report: Array<{ file: string; bytes: number; gzip: number | null }> = [];
for (const path of (await listFiles(DIST)).sort()) {
  const file = relative(DIST, path);
  const bytes = (await stat(path)).size;
  let gzip: number | null = null;
  if (COMPRESSIBLE.test(file) && bytes > 256) {
    const compressed = Bun.gzipSync(await readFile(path), { level: 9 });
    if (compressed.byteLength < bytes) {
      await writeFile(`${path}.gz`, compressed);
      gzip = compressed.byteLength;
    }
  }
  report.push({ file, bytes, gzip });
}

// 5. Budget: the JS the first screen loads (scripts and module preloads in index.html).
const firstScreen = [
  ...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/([^"]+\.js)"/g),
].map((m) => m[1] ?? "");
const firstScreenGzip = firstScreen.reduce((sum, file) => sum + (report.find((r) => r.file === file)?.gzip ?? 0), 0);
const firstScreenBytes = firstScreen.reduce((sum, file) => sum + (report.find((r) => r.file === file)?.bytes ?? 0), 0);

await writeFile(
  join(DIST, "build-info.json"),
  `${JSON.stringify({ version, builtAt: new Date().toISOString(), firstScreen, firstScreenBytes, firstScreenGzip, files: report }, null, 2)}\n`,
);

console.log(`dist/ (version ${version})`);
for (const { file, bytes, gzip } of report) {
  console.log(`  ${file.padEnd(36)} ${kb(bytes).padStart(10)}${gzip === null ? "" : `  gzip ${kb(gzip).padStart(9)}`}`);
}
console.log(
  `first-screen JS: ${firstScreen.join(", ")} = ${kb(firstScreenBytes)}, gzip ${kb(firstScreenGzip)} (budget ${kb(JS_BUDGET_GZIP)})`,
);
console.log(`built in ${Math.round(performance.now() - started)} ms`);
if (firstScreen.length === 0) fail("no script found in dist/index.html");
if (firstScreenGzip > JS_BUDGET_GZIP)
  fail(`first-screen JS is ${kb(firstScreenGzip)} gzip, over the ${kb(JS_BUDGET_GZIP)} budget`);
