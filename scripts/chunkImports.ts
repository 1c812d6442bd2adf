/**
 * The build's rewrite of Bun's dynamic chunk imports (decision 072). Bun emits each as
 * `(P("id"),import("/chunk-id.js"))`, where `P` adds a module preload for every chunk the imported
 * one needs. The rewrite makes it `importChunk("/chunk-id.js")` (src/client/ui/chunkImport.ts), which
 * asks for a chunk that failed under a new address. It drops the preloads: on an engine that keeps a
 * failed fetch, a preload that failed (the network dropped as a sheet was first opened) would fail
 * the chunk under any address for the life of the page, where without it those chunks are first
 * asked for once the chunk that needs them has loaded. Falls back to the plain import where the
 * client's function is not installed yet.
 */
import { CHUNK_IMPORT } from "../src/client/ui/chunkImport.ts";

const PRELOADED_DYNAMIC_IMPORT = /\(([A-Za-z_$][\w$]*)\("([a-z0-9]+)"\),\s*import\(\s*"(\/chunk-\2\.js)"\s*\)\)/g;
const DYNAMIC_CHUNK_IMPORT = /\bimport\(\s*"\/chunk-[a-z0-9]+\.js"\s*\)/;

/**
 * `code` with each dynamic chunk import routed through importChunk, without its preloads; how many
 * it routed; and, when one is of a shape it does not know (Bun's output changed), where it is.
 */
export function routeChunkImports(code: string): { code: string; routed: number; unknownShape: string | null } {
  let routed = 0;
  const rewritten = code.replace(PRELOADED_DYNAMIC_IMPORT, (_all, _preload, _id, url: string) => {
    routed++;
    return `(globalThis.${CHUNK_IMPORT}||(u=>import(u)))(${JSON.stringify(url)})`;
  });
  const left = DYNAMIC_CHUNK_IMPORT.exec(rewritten);
  const unknownShape = left ? `…${rewritten.slice(Math.max(0, left.index - 40), left.index + 40)}…` : null;
  return { code: rewritten, routed, unknownShape };
}
