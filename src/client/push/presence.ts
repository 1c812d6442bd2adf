/**
 * Tells the server whether this client is on screen and which session it shows
 * (`presence:update`), so a session the user is looking at does not buzz their phone. Sent on every
 * (re)connect, on `visibilitychange` and `pagehide`, and whenever the app shows another session.
 * A session on screen also clears its notifications from this device.
 */
import type { ChatSocket } from "../connection/socket.ts";

/** The part of the chat actor this needs (the real one, or a test's). */
export interface PresenceSource {
  getSnapshot(): {
    context: { socket: ChatSocket; connection: { status: string }; sessionId: string | null };
  };
  subscribe(listener: () => void): { unsubscribe(): void };
}

export interface PresencePage {
  readonly visibilityState: string;
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** Closes this app's notifications with a tag (a session's), where a service worker shows them. */
export type CloseNotifications = (tag: string) => void;

const closeShownNotifications: CloseNotifications = (tag) => {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return;
  void navigator.serviceWorker
    .getRegistration("/")
    .then(async (registration) => {
      for (const notification of (await registration?.getNotifications({ tag })) ?? []) notification.close();
    })
    .catch(() => {});
};

export function reportPresence(
  chat: PresenceSource,
  page: PresencePage = document,
  win: Pick<PresencePage, "addEventListener" | "removeEventListener"> = window,
  closeNotifications: CloseNotifications = closeShownNotifications,
): () => void {
  /** What the server last heard on this connection; null after a disconnect (it forgot). */
  let sent: string | null = null;
  let hiding = false;

  const update = () => {
    const { socket, connection, sessionId } = chat.getSnapshot().context;
    if (connection.status !== "connected" || !socket.connected) {
      sent = null;
      return;
    }
    const visible = page.visibilityState === "visible" && !hiding;
    const key = `${visible}|${sessionId ?? ""}`;
    if (key === sent) return;
    sent = key;
    socket.emit("presence:update", { visible, requestId: crypto.randomUUID(), ...(sessionId ? { sessionId } : {}) });
    // The user is looking at the session now: its notifications on this device have been seen.
    if (visible && sessionId) closeNotifications(`session-${sessionId}`);
  };
  const onVisibility = () => {
    hiding = false;
    update();
  };
  // Some browsers (iOS) freeze the page right after pagehide without a visibilitychange first.
  const onPageHide = () => {
    hiding = true;
    update();
  };
  const subscription = chat.subscribe(update);
  page.addEventListener("visibilitychange", onVisibility);
  win.addEventListener("pagehide", onPageHide);
  win.addEventListener("pageshow", onVisibility);
  update();
  return () => {
    subscription.unsubscribe();
    page.removeEventListener("visibilitychange", onVisibility);
    win.removeEventListener("pagehide", onPageHide);
    win.removeEventListener("pageshow", onVisibility);
  };
}
