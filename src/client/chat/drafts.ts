/**
 * One draft per session, kept on the device (localStorage) across switching and reloads, so text
 * typed for one agent never shows up, ready to send, in another session's composer.
 */
import type { KeyValueStore } from "./types.ts";

const PREFIX = "pocket-agent:draft:";
const INDEX_KEY = "pocket-agent:drafts";
/** Sessions with a draft kept; the least recently written go first. */
export const MAX_DRAFTS = 30;

function readIndex(storage: KeyValueStore): string[] {
  try {
    const value: unknown = JSON.parse(storage.getItem(INDEX_KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

export function readDraft(storage: KeyValueStore | null, sessionId: string | null): string {
  if (!storage || !sessionId) return "";
  try {
    return storage.getItem(PREFIX + sessionId) ?? "";
  } catch {
    return "";
  }
}

/** Keeps `text` as the session's draft (an empty text removes it). Best effort: a full or private storage keeps nothing. */
export function writeDraft(storage: KeyValueStore | null, sessionId: string | null, text: string): void {
  if (!storage || !sessionId) return;
  try {
    const others = readIndex(storage).filter((id) => id !== sessionId);
    if (text === "") {
      storage.removeItem(PREFIX + sessionId);
      storage.setItem(INDEX_KEY, JSON.stringify(others));
      return;
    }
    storage.setItem(PREFIX + sessionId, text);
    const index = [...others, sessionId];
    for (const old of index.splice(0, Math.max(0, index.length - MAX_DRAFTS))) storage.removeItem(PREFIX + old);
    storage.setItem(INDEX_KEY, JSON.stringify(index));
  } catch {
    // Quota or private browsing: the draft lives as long as the page.
  }
}
