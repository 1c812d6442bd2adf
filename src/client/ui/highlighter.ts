import { chunk } from "./chunk.ts";

/**
 * The syntax highlighter, its own chunk: code shows plain at once and its colours follow. Should it
 * not load, the code stays plain and the next block that asks tries again.
 */
export const highlighter = chunk(() => import("./highlight.ts"));
