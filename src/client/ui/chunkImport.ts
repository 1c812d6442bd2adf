/**
 * Every dynamic import of one of the bundle's chunks goes through `importChunk`: the build rewrites
 * Bun's `import("/chunk-….js")` into a call of the function this module installs
 * (scripts/chunkImports.ts; decision 072).
 *
 * Why: an engine that follows the HTML standard as it was until 2026 keeps a failed module fetch in
 * its module map for the life of the page, and answers every later import of that address, and of
 * every chunk that imports it, with the same failure, without asking the network. Debian's Chromium
 * 150 does (measured); Chromium 156 asks again. A part whose code could not load (a dropped
 * connection on a first visit) would then never load until a reload, whatever Try again does.
 *
 * So a chunk that failed is first imported again as it is (an engine that asks again then loads it,
 * and every module it shares with the rest of the app stays one module), and if that fails too,
 * under a new address (`?retry=N`). The server answers that address with the chunk whose own
 * imports of chunks loaded on demand carry the same `?retry=N` (src/server/http/chunkRetry.ts), so
 * no address the engine saw fail is asked for again. Only on such an engine can a chunk then be
 * evaluated twice, once per address, when it loaded under one and is imported under another.
 */

/** The name the build's rewritten imports call (`globalThis[CHUNK_IMPORT]`). */
export const CHUNK_IMPORT = "__pocketImport";

/** How many times each chunk's address has failed. */
const failures = new Map<string, number>();

/** The address a chunk is asked for under after its `failed`th failure. */
export function chunkAddress(url: string, failed: number): string {
  return failed === 0 ? url : `${url}${url.includes("?") ? "&" : "?"}retry=${failed}`;
}

export function importChunk(
  url: string,
  load: (address: string) => Promise<unknown> = (address) => import(address),
): Promise<unknown> {
  const failed = failures.get(url) ?? 0;
  const attempt = failed === 0 ? load(url) : load(url).catch(() => load(chunkAddress(url, failed)));
  return attempt.catch((error: unknown) => {
    // Two imports of one chunk that fail together count one failure: the next gets one new address.
    failures.set(url, Math.max(failures.get(url) ?? 0, failed + 1));
    throw error;
  });
}

(globalThis as Record<string, unknown>)[CHUNK_IMPORT] = (url: string) => importChunk(url);
