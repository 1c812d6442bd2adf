/**
 * Recent conversations kept on the device, so that the app paints the one on screen before the
 * socket connects and can show it with no network at all (decision 023).
 *
 * What is kept is bounded: the last SAVED_TURNS turns of the SAVED_SESSIONS sessions opened most
 * recently, plus the session list. A finished turn is kept as its `chat:response` (which carries the
 * full text and the logs), without the deltas and log events that led to it, as the server itself
 * stores it (decision 022). Everything read back goes through the same checks as the server's
 * payloads: a copy saved by an older app, or damaged on the device, is dropped, never thrown.
 */
import type { Session, SessionEvent } from "../../shared/messages.ts";
import { parseServerPayload } from "../connection/serverPayloads.ts";

/** Turns kept per session: the tail the server replays without `afterSeq` (LIMITS.tailTurns) is the same size. */
export const SAVED_TURNS = 10;
/** Sessions kept, the most recently saved first. */
export const SAVED_SESSIONS = 5;
/** Bumped when what is saved changes shape: older copies are ignored, then overwritten. */
export const SAVED_FORMAT = 1;

export interface SavedConversation {
  sessionId: string;
  /** The session's events as the server numbered them, sorted and unique by seq, without gaps inside. */
  events: SessionEvent[];
  /** Whether the server holds events older than the first one kept. */
  hasEarlier: boolean;
  /** When it was saved (ms since the epoch): the oldest copies go first. */
  savedAt: number;
}

/** Where saved conversations live: IndexedDB in the browser (indexedDbCache.ts), memory in tests. */
export interface ConversationCache {
  load(sessionId: string): Promise<SavedConversation | null>;
  loadSessions(): Promise<Session[] | null>;
  /** Keeps it, and forgets the oldest ones beyond SAVED_SESSIONS. */
  save(conversation: SavedConversation): Promise<void>;
  saveSessions(sessions: readonly Session[]): Promise<void>;
  /** Forgets every saved conversation of a session not in `sessionIds` (deleted, here or elsewhere). */
  retain(sessionIds: ReadonlySet<string>): Promise<void>;
  /** Everything, e.g. when the server refused this device's token. */
  clear(): Promise<void>;
}

/**
 * What is worth keeping of a conversation: its finished turns, the last `maxTurns` of them, those
 * that answered without their deltas and log events (the `chat:response` holds the text and the
 * logs). The copy ends before the first turn that has not finished (queued, running, waiting for an
 * approval): the server replays that one whole after the copy. Kept, its pieces could hide the
 * server's version of them: a failed turn's deltas are stored merged at the first one's seq
 * (decision 022), which a client that holds that seq would ignore as a duplicate.
 * `hasEarlier` becomes true when older turns were left out.
 */
export function trimForSaving(
  events: readonly SessionEvent[],
  hasEarlier: boolean,
  maxTurns = SAVED_TURNS,
): { events: SessionEvent[]; hasEarlier: boolean } {
  const answered = new Set<string>();
  const finished = new Set<string>();
  for (const event of events) {
    if (event.type === "chat:response") answered.add(event.payload.requestId);
    if (event.type === "chat:response" || event.type === "chat:error") finished.add(event.payload.requestId);
  }
  const unfinishedAt = events.findIndex((event) => !finished.has(event.payload.requestId));
  const complete = unfinishedAt === -1 ? events : events.slice(0, unfinishedAt);
  // The last `maxTurns` turns: everything from the first one's first event on.
  const kept = new Set<string>();
  let from = complete.length;
  for (let i = complete.length - 1; i >= 0; i--) {
    const requestId = complete[i]?.payload.requestId ?? "";
    if (!kept.has(requestId)) {
      if (kept.size === maxTurns) break;
      kept.add(requestId);
    }
    from = i;
  }
  const trimmed = complete
    .slice(from)
    .filter(
      (event) => !((event.type === "chat:delta" || event.type === "log") && answered.has(event.payload.requestId)),
    );
  return { events: trimmed, hasEarlier: hasEarlier || from > 0 };
}

/** A conversation read back from the device, checked like a `session:history` page; null when it is not one. */
export function checkSaved(value: unknown, sessionId: string): SavedConversation | null {
  if (typeof value !== "object" || value === null) return null;
  const record = value as Record<string, unknown>;
  if (record.format !== SAVED_FORMAT || record.sessionId !== sessionId) return null;
  if (typeof record.savedAt !== "number" || typeof record.hasEarlier !== "boolean") return null;
  const page = parseServerPayload("session:history", {
    sessionId,
    requestId: sessionId,
    events: record.events,
    hasMore: record.hasEarlier,
  });
  if (!page) return null;
  const events = page.events.filter((event) => event.payload.sessionId === sessionId);
  // A page with an event left out (unknown to this app) would show a turn half-told: drop it all.
  if (!Array.isArray(record.events) || events.length !== record.events.length) return null;
  for (let i = 1; i < events.length; i++) {
    if ((events[i]?.payload.seq ?? 0) <= (events[i - 1]?.payload.seq ?? 0)) return null;
  }
  return { sessionId, events, hasEarlier: page.hasMore, savedAt: record.savedAt };
}

/** The session list read back from the device, checked like a `session:list`; null when it is not one. */
export function checkSavedSessions(value: unknown): Session[] | null {
  if (typeof value !== "object" || value === null) return null;
  const record = value as Record<string, unknown>;
  if (record.format !== SAVED_FORMAT) return null;
  const list = parseServerPayload("session:list", { sessions: record.sessions, requestId: "saved" });
  return list?.sessions ?? null;
}

/** The record written for a conversation (checkSaved reads it back). */
export function savedRecord(conversation: SavedConversation): Record<string, unknown> {
  return { format: SAVED_FORMAT, ...conversation };
}

/** Kept in memory only: for tests, and for browsers without IndexedDB (the app works, just not offline). */
export class MemoryConversationCache implements ConversationCache {
  readonly conversations = new Map<string, Record<string, unknown>>();
  sessions: Record<string, unknown> | null = null;

  async load(sessionId: string): Promise<SavedConversation | null> {
    return checkSaved(this.conversations.get(sessionId), sessionId);
  }

  async loadSessions(): Promise<Session[] | null> {
    return checkSavedSessions(this.sessions);
  }

  async save(conversation: SavedConversation): Promise<void> {
    this.conversations.set(conversation.sessionId, savedRecord(conversation));
    const oldestFirst = [...this.conversations.values()].sort((a, b) => Number(a.savedAt) - Number(b.savedAt));
    for (const record of oldestFirst.slice(0, Math.max(0, oldestFirst.length - SAVED_SESSIONS))) {
      this.conversations.delete(String(record.sessionId));
    }
  }

  async saveSessions(sessions: readonly Session[]): Promise<void> {
    this.sessions = { format: SAVED_FORMAT, sessions: [...sessions] };
  }

  async retain(sessionIds: ReadonlySet<string>): Promise<void> {
    for (const id of [...this.conversations.keys()]) if (!sessionIds.has(id)) this.conversations.delete(id);
  }

  async clear(): Promise<void> {
    this.conversations.clear();
    this.sessions = null;
  }
}
