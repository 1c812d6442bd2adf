import type { Session } from "../../shared/messages.ts";
import { groupByProject } from "./groups.ts";

/**
 * The sessions list as an inbox: what needs the user first, then what they pinned, then the rest by
 * project (most recent first), and what they archived out of the way.
 */
export interface InboxSections {
  /** Approvals or questions waiting, archived or not: these are never hidden. */
  needsYou: Session[];
  pinned: Session[];
  recent: { project: string; sessions: Session[] }[];
  archived: Session[];
}

const byRecency = (a: Session, b: Session) => b.updatedAt.localeCompare(a.updatedAt);

/** `matches`: only these sessions (a search), null for all. */
export function inboxSections(sessions: readonly Session[], matches: ReadonlySet<string> | null = null): InboxSections {
  const shown = matches ? sessions.filter((session) => matches.has(session.id)) : sessions;
  const needsYou = shown.filter((session) => session.pendingPermissions > 0).sort(byRecency);
  const rest = shown.filter((session) => session.pendingPermissions === 0);
  return {
    needsYou,
    pinned: rest.filter((session) => session.pinned && !session.archived).sort(byRecency),
    recent: groupByProject(rest.filter((session) => !session.pinned && !session.archived)),
    archived: rest.filter((session) => session.archived).sort(byRecency),
  };
}

/** Sessions whose title contains the query (what the list can show before the server answers). */
export function titleMatches(sessions: readonly Session[], query: string): Set<string> {
  const needle = query.trim().toLowerCase();
  return new Set(sessions.filter((s) => s.title.toLowerCase().includes(needle)).map((s) => s.id));
}
