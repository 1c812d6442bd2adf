import { useEffect, useState } from "react";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { Button } from "../ui/button.tsx";
import { WifiOffIcon } from "../ui/icons.tsx";

/**
 * How long the first connection may take before the banner says so. Until then the top bar's
 * "Connecting…" is enough: a banner that comes and goes on every launch would push the
 * conversation down and back up.
 */
const FIRST_CONNECT_GRACE_MS = 2_000;

/** True once `active` has held for `delayMs`. */
function useHeldFor(active: boolean, delayMs: number): boolean {
  const [held, setHeld] = useState(false);
  useEffect(() => {
    if (!active) {
      setHeld(false);
      return;
    }
    const timer = setTimeout(() => setHeld(true), delayMs);
    return () => clearTimeout(timer);
  }, [active, delayMs]);
  return active && held;
}

/** Explains a missing connection in place of a browser error page, with a way to retry now. */
export function ConnectionBanner() {
  const actor = useChatActor();
  const connection = useChatSelector((s) => s.context.connection);
  const showingSaved = useChatSelector((s) => s.context.showingSaved);
  const firstConnect =
    connection.online && connection.status === "connecting" && connection.attempts === 0 && !connection.errorCode;
  const slowFirstConnect = useHeldFor(firstConnect, FIRST_CONNECT_GRACE_MS);
  if (connection.status === "connected" && connection.online) return null;
  if (firstConnect && !slowFirstConnect) return null;

  let title: string;
  let detail: string | null = null;
  let canRetry = true;
  if (connection.errorCode === "UNAUTHORIZED") {
    title = "This device is not paired with the server";
    detail = "Open the pairing link (or scan the QR code) that Pocket Agent printed on your workstation.";
  } else if (connection.errorCode === "RATE_LIMITED") {
    title = "Too many connection attempts";
    detail = "The server asked to wait a minute before trying again.";
  } else if (!connection.online) {
    title = showingSaved ? "Offline: showing the saved conversation" : "You're offline";
    detail = showingSaved
      ? "What happened since comes in once your device is back online."
      : "Messages can be sent again once your device is back online.";
  } else if (connection.status === "connecting" && connection.attempts === 0) {
    title = "Connecting to your workstation…";
    canRetry = false;
  } else if (connection.status === "reconnecting" && connection.attempts === 0) {
    title = "Connection lost. Reconnecting…";
  } else {
    // With the saved copy on screen, the app is offline whichever side the problem is on.
    title = showingSaved ? "Offline: showing the saved conversation" : "Can't reach the server";
    detail = "Pocket Agent on your workstation is not answering. Retrying automatically.";
  }

  return (
    <div
      role="status"
      className="flex shrink-0 items-center gap-3 border-b bg-warning-surface px-4 py-2 text-sm text-warning"
    >
      {!connection.online || connection.attempts > 0 || connection.status === "disconnected" ? (
        <WifiOffIcon className="size-5 shrink-0" />
      ) : null}
      <div className="min-w-0 flex-1">
        <p className="font-medium">{title}</p>
        {detail ? <p className="text-xs opacity-90">{detail}</p> : null}
      </div>
      {canRetry ? (
        <Button
          variant="outline"
          size="sm"
          className="border-current bg-transparent text-inherit"
          onClick={() => actor.send({ type: "RECONNECT" })}
        >
          Retry now
        </Button>
      ) : null}
    </div>
  );
}
