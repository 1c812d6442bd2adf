/**
 * A notification opens the app on its session: `/?session=<id>` (with `&permission=<id>` for an
 * approval). Read once at start, then dropped from the address bar.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OpenParams {
  sessionId: string | null;
  permissionId: string | null;
  /** The address without them, when it had any (for history.replaceState). */
  cleanUrl: string | null;
}

export function readOpenParams(href: string): OpenParams {
  const url = new URL(href);
  const session = url.searchParams.get("session");
  const permission = url.searchParams.get("permission");
  const had = url.searchParams.has("session") || url.searchParams.has("permission");
  url.searchParams.delete("session");
  url.searchParams.delete("permission");
  return {
    sessionId: session && UUID.test(session) ? session.toLowerCase() : null,
    permissionId: permission && UUID.test(permission) ? permission.toLowerCase() : null,
    cleanUrl: had ? `${url.pathname}${url.search}${url.hash}` : null,
  };
}

/** What the service worker posts to an open window when a notification is tapped. */
export interface OpenSessionMessage {
  type: "pocket-agent:open-session";
  sessionId: string;
}

export function isOpenSessionMessage(data: unknown): data is OpenSessionMessage {
  return (
    typeof data === "object" &&
    data !== null &&
    (data as { type?: unknown }).type === "pocket-agent:open-session" &&
    typeof (data as { sessionId?: unknown }).sessionId === "string" &&
    UUID.test((data as { sessionId: string }).sessionId)
  );
}

/** Switches the app to the session of a tapped notification (the service worker posts it to an open window). */
export function followNotificationTaps(
  chat: { send(event: { type: "SWITCH_SESSION"; sessionId: string }): void },
  container: Pick<ServiceWorkerContainer, "addEventListener" | "removeEventListener"> | undefined = typeof navigator ===
  "undefined"
    ? undefined
    : navigator.serviceWorker,
): () => void {
  if (!container) return () => {};
  const onMessage = (event: MessageEvent) => {
    if (isOpenSessionMessage(event.data)) chat.send({ type: "SWITCH_SESSION", sessionId: event.data.sessionId });
  };
  container.addEventListener("message", onMessage);
  return () => container.removeEventListener("message", onMessage);
}
