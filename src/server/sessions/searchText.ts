/**
 * How a search matches a message and shows where: shared by this server's sessions and the
 * mirror of linked machines' sessions (decision 064), so both find and cut text the same way.
 */
import { LIMITS } from "../../shared/messages.ts";
import { plainLine } from "./plainText.ts";

/** Folds only ASCII letters, as SQLite's `lower()` does: the same folding on both sides of a match. */
export function foldAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

const SNIPPET_CONTEXT_CHARS = 60;

/** One line of plain text around a match, with "…" where it was cut. */
export function snippetAround(text: string, at: number, length: number): string {
  const start = Math.max(0, at - SNIPPET_CONTEXT_CHARS);
  const end = Math.min(text.length, at + length + SNIPPET_CONTEXT_CHARS);
  const line = plainLine(text.slice(start, end), LIMITS.titleChars);
  return `${start > 0 ? "…" : ""}${line}${end < text.length && !line.endsWith("…") ? "…" : ""}`;
}

/** What a message search looks for inside stored JSON: the query folded and escaped as JSON would write it. */
export function jsonNeedle(query: string): string {
  return foldAscii(JSON.stringify(query).slice(1, -1));
}

/** The snippet where a stored `chat:queued` / `chat:response` payload's text contains the query, if it does. */
export function messageSnippet(type: string, json: string, query: string): string | undefined {
  const payload = JSON.parse(json) as { message?: string; response?: string };
  const text = (type === "chat:queued" ? payload.message : payload.response) ?? "";
  const at = foldAscii(text).indexOf(foldAscii(query));
  return at >= 0 ? snippetAround(text, at, query.length) : undefined;
}
