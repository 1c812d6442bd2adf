import { useEffect, useState } from "react";
import { useChatSelector } from "../chat/useChat.ts";
import { loadSeen, saveSeen, updateSeen } from "./unread.ts";

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

/**
 * Keeps this device's "seen up to" of each session (unread.ts) as the user looks at sessions:
 * the open one counts as seen only while the page is visible, so a reply that lands while the
 * phone is in a pocket is still unread when the list is next opened.
 */
export function useSeenTracker(): void {
  const sessions = useChatSelector((s) => s.context.sessions);
  const known = useChatSelector((s) => s.context.sessionsKnown);
  const current = useChatSelector((s) => s.context.sessionId);
  const [visible, setVisible] = useState(() => typeof document === "undefined" || !document.hidden);
  useEffect(() => {
    const onVisibility = () => setVisible(!document.hidden);
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, []);
  useEffect(() => {
    // Before the server's list arrives there is nothing to compare (and nothing to forget).
    if (!known) return;
    const store = storage();
    const seen = loadSeen(store);
    const next = updateSeen(seen, sessions, visible ? current : null);
    if (next !== seen) saveSeen(store, next);
  }, [sessions, known, current, visible]);
}

/** This device's seen map, read when the list renders. */
export function currentSeen() {
  return loadSeen(storage());
}
