/**
 * The chat machine's link to the conversations saved on the device (decision 023): it reads the
 * saved copy of a session when the machine asks (`LOOKUP` → `RESTORE`), and writes what the machine
 * hands it (`SAVE`), at most once a second with the latest content, so that a streaming reply is
 * not written once per delta, and at once when the page is hidden (a phone going to sleep may never come back to
 * this page). Operations run one after another, so a `CLEAR` is never overtaken by a write.
 */
import { fromCallback } from "xstate";
import type { Session, SessionEvent } from "../../shared/messages.ts";
import { type ConversationCache, type SavedConversation, trimForSaving } from "./savedConversations.ts";

/** The least time between two writes. */
export const DEFAULT_SAVE_DELAY_MS = 1_000;

export type SavedCommand =
  | { type: "LOOKUP"; sessionId: string }
  | {
      type: "SAVE";
      /** The session on screen as the server confirmed it, or null when there is none (yet). */
      conversation: { sessionId: string; events: readonly SessionEvent[]; hasEarlier: boolean } | null;
      /** The server's session list, or null before it came. */
      sessions: readonly Session[] | null;
    }
  | { type: "CLEAR" };

export type RestoreEvent = {
  type: "RESTORE";
  sessionId: string;
  saved: SavedConversation | null;
  /** Only in answer to the first lookup: the session list saved last time. */
  sessions: Session[] | null;
};

export interface SavedConversationsInput {
  cache: ConversationCache | null;
  /** The session to look up at once (the one the app opens on), if any. */
  sessionId: string | null;
  /** Where the page says it is being hidden or unloaded; none in tests. */
  environment: { window: EventTarget; document: EventTarget & { readonly visibilityState: string } } | null;
  saveDelayMs?: number;
}

export const savedConversations = fromCallback<SavedCommand, SavedConversationsInput>(
  ({ input, sendBack, receive }) => {
    const cache = input.cache;
    if (!cache) return undefined;
    const delayMs = input.saveDelayMs ?? DEFAULT_SAVE_DELAY_MS;
    let stopped = false;
    let chain: Promise<unknown> = Promise.resolve();
    const enqueue = (work: () => Promise<unknown>) => {
      chain = chain.then(work).catch((error) => console.warn("pocket-agent: saving the conversation failed", error));
    };

    const lookup = (sessionId: string | null, withSessions: boolean) =>
      enqueue(async () => {
        const [saved, sessions] = await Promise.all([
          sessionId ? cache.load(sessionId) : null,
          withSessions ? cache.loadSessions() : null,
        ]);
        if (stopped) return;
        sendBack({ type: "RESTORE", sessionId: sessionId ?? "", saved, sessions } satisfies RestoreEvent);
      });

    // What to write next, and what was written last (the same arrays are not written twice).
    let pending: Extract<SavedCommand, { type: "SAVE" }> | null = null;
    let writtenEvents: readonly SessionEvent[] | null = null;
    let writtenSessions: readonly Session[] | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const save = pending;
      pending = null;
      if (!save) return;
      const { conversation, sessions } = save;
      if (sessions && sessions !== writtenSessions) {
        writtenSessions = sessions;
        enqueue(() => cache.saveSessions(sessions));
        // A session gone from the server's list (deleted here or elsewhere) is not kept either.
        const ids = new Set(sessions.map((session) => session.id));
        enqueue(() => cache.retain(ids));
      }
      if (conversation && conversation.events !== writtenEvents && conversation.events.length > 0) {
        writtenEvents = conversation.events;
        const { events, hasEarlier } = trimForSaving(conversation.events, conversation.hasEarlier);
        enqueue(() => cache.save({ sessionId: conversation.sessionId, events, hasEarlier, savedAt: Date.now() }));
      }
    };

    const onHidden = () => {
      if (input.environment?.document.visibilityState === "hidden") flush();
    };
    input.environment?.document.addEventListener("visibilitychange", onHidden);
    input.environment?.window.addEventListener("pagehide", flush);

    receive((command) => {
      if (command.type === "LOOKUP") lookup(command.sessionId, false);
      else if (command.type === "SAVE") {
        pending = command;
        timer ??= setTimeout(flush, delayMs);
      } else {
        if (timer) clearTimeout(timer);
        timer = null;
        pending = null;
        writtenEvents = null;
        writtenSessions = null;
        enqueue(() => cache.clear());
      }
    });

    lookup(input.sessionId, true);

    return () => {
      // Stopping (the page going away, a test ending) writes what was waiting.
      flush();
      stopped = true;
      input.environment?.document.removeEventListener("visibilitychange", onHidden);
      input.environment?.window.removeEventListener("pagehide", flush);
    };
  },
);
