/**
 * The app icon's badge is the number of approvals waiting across all sessions
 * (`navigator.setAppBadge`, where the platform has it). The service worker sets it too when a
 * notification arrives with the app closed (src/client/push/swNotifications.ts).
 */

export interface BadgeSource {
  getSnapshot(): { context: { sessions: readonly { pendingPermissions: number }[]; sessionsKnown: boolean } };
  subscribe(listener: () => void): { unsubscribe(): void };
}

export interface BadgeApi {
  setAppBadge?: (count?: number) => Promise<void>;
  clearAppBadge?: () => Promise<void>;
}

export function pendingApprovals(sessions: readonly { pendingPermissions: number }[]): number {
  return sessions.reduce((sum, session) => sum + session.pendingPermissions, 0);
}

export function followApprovalBadge(chat: BadgeSource, api: BadgeApi = navigator as BadgeApi): () => void {
  if (typeof api.setAppBadge !== "function") return () => {};
  let shown: number | null = null;
  const update = () => {
    const { sessions, sessionsKnown } = chat.getSnapshot().context;
    if (!sessionsKnown) return;
    const count = pendingApprovals(sessions);
    if (count === shown) return;
    shown = count;
    const done = count > 0 ? api.setAppBadge?.(count) : (api.clearAppBadge?.() ?? api.setAppBadge?.(0));
    // Refused (no permission, not installed): the badge is a nicety, never an error.
    done?.catch(() => {});
  };
  const subscription = chat.subscribe(update);
  update();
  return () => subscription.unsubscribe();
}
