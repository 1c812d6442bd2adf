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

const STATIC_IMPORT = /((?:from|import)\s*")\/(chunk-[a-z0-9]+\.js)(")/g;
const CHUNK = /^\/chunk-[a-z0-9]+\.js$/;
const RETRY = /^[1-9][0-9]{0,3}$/;

/** The `retry` count of a request for the chunk at `path`, when it is a retry's; null otherwise. */
export function retryOf(path: string, url: string): string | null {
  if (!CHUNK.test(path)) return null;
  const retry = new URL(url).searchParams.get("retry");
  return retry !== null && RETRY.test(retry) ? retry : null;
}

/**
 * Every chunk the first screen loads: the build's list of them (build-info.json, the one its budget
 * counts), with the chunks they import.
 */
export async function firstScreenChunks(distDir: string): Promise<ReadonlySet<string>> {
  const info = JSON.parse(await readFile(join(distDir, "build-info.json"), "utf8")) as { firstScreen?: unknown };
  if (!Array.isArray(info.firstScreen)) throw new Error(`${distDir}/build-info.json lists no firstScreen`);
  const found = new Set<string>();
  const queue = info.firstScreen.map(String);
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
