import type { Session } from "../../shared/messages.ts";

/** Sessions by project, each group's most recent session first, the most recently active group first. */
export function groupByProject(sessions: readonly Session[]): { project: string; sessions: Session[] }[] {
  const sorted = [...sessions].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const groups = new Map<string, Session[]>();
  for (const session of sorted) {
    const group = groups.get(session.project);
    if (group) group.push(session);
    else groups.set(session.project, [session]);
  }
  return [...groups].map(([project, items]) => ({ project, sessions: items }));
}
