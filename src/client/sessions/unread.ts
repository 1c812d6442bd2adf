import type { Session } from "../../shared/messages.ts";

/**
 * "Unread": a session whose turn finished while this device was not looking at it. Each device
 * keeps the newest event `seq` it has seen of each session (in localStorage); a session it meets
 * for the first time counts as seen up to its current `lastSeq`, so a new device does not start
 * with every session marked.
 */
export type SeenSeqs = Record<string, number>;

export const SEEN_KEY = "pocket-agent:seen";

export function loadSeen(storage: Pick<Storage, "getItem"> | null): SeenSeqs {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(SEEN_KEY) ?? "{}");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const seen: SeenSeqs = {};
    for (const [id, seq] of Object.entries(parsed)) if (typeof seq === "number") seen[id] = seq;
    return seen;
  } catch {
    return {};
  }
}

export function saveSeen(storage: Pick<Storage, "setItem"> | null, seen: SeenSeqs): void {
  try {
    storage?.setItem(SEEN_KEY, JSON.stringify(seen));
  } catch {
    // Storage full or refused: unread dots are a convenience.
  }
}

/**
 * The seen map after looking at `sessions` with `watching` open (and on screen): sessions met for
 * the first time and the one being watched are seen up to their `lastSeq`; deleted ones are
 * dropped. Returns the same object when nothing changed.
 */
export function updateSeen(seen: SeenSeqs, sessions: readonly Session[], watching: string | null): SeenSeqs {
  let next: SeenSeqs | null = null;
  const known = new Set<string>();
  for (const session of sessions) {
    known.add(session.id);
    const current = seen[session.id];
    const catchUp = current === undefined || (session.id === watching && current < session.lastSeq);
    if (catchUp) {
      next ??= { ...seen };
      next[session.id] = session.lastSeq;
    }
  }
  for (const id of Object.keys(seen)) {
    if (known.has(id)) continue;
    next ??= { ...seen };
    delete next[id];
  }
  return next ?? seen;
}

/** Something happened since this device last looked, and the session is no longer running. */
export function isUnread(session: Session, seen: SeenSeqs, currentId: string | null): boolean {
  if (session.id === currentId || session.status === "running") return false;
  const last = seen[session.id];
  return last !== undefined && session.lastSeq > last;
}
