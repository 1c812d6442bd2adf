import type { Session } from "../../shared/messages.ts";

/**
 * The sessions, other than the one on screen, that have just started waiting for the user: an
 * approval or a question that was not pending in `before` is pending in `after`.
 */
export function newlyWaiting(
  before: readonly Session[],
  after: readonly Session[],
  currentId: string | null,
): Session[] {
  const waitingBefore = new Map(before.map((session) => [session.id, session.pendingPermissions]));
  return after.filter(
    (session) =>
      session.id !== currentId &&
      session.pendingPermissions > 0 &&
      (waitingBefore.get(session.id) ?? 0) < session.pendingPermissions,
  );
}
