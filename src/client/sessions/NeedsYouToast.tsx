import { useEffect, useRef, useState } from "react";
import type { Session } from "../../shared/messages.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { Button } from "../ui/button.tsx";
import { ShieldIcon, XIcon } from "../ui/icons.tsx";
import { newlyWaiting } from "./needsYou.ts";

/** How long the toast stays by itself (the top bar's badge stays as long as the session waits). */
const SHOWN_MS = 10_000;

/**
 * "'Refactor auth' needs approval · Review": another session started waiting for the user while
 * they look at this one. Review opens that session, where its approval card is waiting.
 */
export function NeedsYouToast() {
  const actor = useChatActor();
  const sessions = useChatSelector((s) => s.context.sessions);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  const known = useChatSelector((s) => s.context.sessionsKnown);
  const previous = useRef<readonly Session[] | null>(null);
  const [waiting, setWaiting] = useState<Session | null>(null);

  useEffect(() => {
    // The first list is not news: what waited before the app opened shows in the sessions list.
    if (!known) return;
    const before = previous.current;
    previous.current = sessions;
    if (!before) return;
    const fresh = newlyWaiting(before, sessions, sessionId);
    if (fresh.length > 0) setWaiting(fresh[fresh.length - 1] ?? null);
  }, [sessions, sessionId, known]);

  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(() => setWaiting(null), SHOWN_MS);
    return () => clearTimeout(timer);
  }, [waiting]);

  // Gone once it is answered, or once the user is looking at it.
  const current = waiting ? sessions.find((session) => session.id === waiting.id) : undefined;
  const show = waiting !== null && current !== undefined && current.pendingPermissions > 0 && current.id !== sessionId;

  return (
    <div aria-live="polite" className="pointer-events-none fixed inset-x-3 bottom-24 z-40 flex justify-center">
      {show && current ? (
        <div
          role="status"
          className="pointer-events-auto flex w-full max-w-md items-center gap-2 rounded-xl border border-warning/50 bg-popover py-1 pr-1 pl-3 text-popover-foreground text-sm shadow-lg"
        >
          <ShieldIcon className="size-4 shrink-0 text-warning" />
          <p className="min-w-0 flex-1 truncate">
            <span className="font-medium">“{current.title}”</span> needs approval
          </p>
          <Button
            size="sm"
            onClick={() => {
              actor.send({ type: "SWITCH_SESSION", sessionId: current.id });
              setWaiting(null);
            }}
          >
            Review
          </Button>
          <Button variant="ghost" size="icon" aria-label="Dismiss" onClick={() => setWaiting(null)}>
            <XIcon />
          </Button>
        </div>
      ) : null}
    </div>
  );
}
