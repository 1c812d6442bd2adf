/**
 * A chunk asked for again after a failure, under `?retry=N` (src/client/ui/chunkImport.ts, decision
 * 072). Some engines keep a failed module fetch for the life of the page: the chunk that failed may
 * be one the requested chunk imports, and asking for the requested one under a new address would
 * meet the kept failure there. So the copy served under `?retry=N` imports each chunk loaded on
 * demand under `?retry=N` too, and those are served the same way. Chunks the first screen loaded
 * keep their address: they did load, and a second address would make a second copy of React.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The chunk names a page's first screen loads: its script and module preloads. */
const FIRST_SCREEN = /<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/(chunk-[a-z0-9]+\.js)"/g;
const STATIC_IMPORT = /((?:from|import)\s*")\/(chunk-[a-z0-9]+\.js)(")/g;
export const RETRY_CHUNK = /^\/chunk-[a-z0-9]+\.js$/;
const RETRY = /^[1-9][0-9]{0,3}$/;

/** The `retry` count of a request for a chunk, when it is a retry's; null otherwise. */
export function retryOf(url: URL): string | null {
  const retry = url.searchParams.get("retry");
  return retry !== null && RETRY.test(retry) && RETRY_CHUNK.test(url.pathname) ? retry : null;
}

/** Every chunk the first screen loads, with the chunks they import, read from the build. */
export async function firstScreenChunks(distDir: string): Promise<ReadonlySet<string>> {
  const html = await readFile(join(distDir, "index.html"), "utf8");
  const found = new Set<string>();
  const queue = [...html.matchAll(FIRST_SCREEN)].map((m) => m[1] ?? "");
  while (queue.length > 0) {
    const name = queue.shift() ?? "";
    if (found.has(name)) continue;
    found.add(name);
    const code = await readFile(join(distDir, name), "utf8").catch(() => "");
    for (const m of code.matchAll(STATIC_IMPORT)) queue.push(m[2] ?? "");
  }
  return found;
}

/** `code` (a chunk) importing the chunks not in `firstScreen` under `?retry=<retry>`. */
export function retryCopy(code: string, retry: string, firstScreen: ReadonlySet<string>): string {
  return code.replace(STATIC_IMPORT, (all, before: string, name: string, after: string) =>
    firstScreen.has(name) ? all : `${before}/${name}?retry=${retry}${after}`,
  );
}
