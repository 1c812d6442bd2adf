import { type ReactNode, useDeferredValue, useEffect, useLayoutEffect, useRef, useState } from "react";
import { Button } from "../ui/button.tsx";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { ArrowDownIcon, PlusIcon, SpinnerIcon, TerminalIcon } from "../ui/icons.tsx";
import { TurnView } from "./TurnView.tsx";
import type { Turn } from "./turns.ts";
import { useChatActor, useChatSelector } from "./useChat.ts";

const SUGGESTIONS = [
  "Give me a short overview of this repository",
  "What changed in the last commit?",
  "Run the tests and summarise any failures",
];

export interface ConversationProps {
  onStart: () => void;
  onShowLogs: (turn: Turn) => void;
  /** Opens the changes sheet on a turn's changed files. */
  onShowChanges: (turn: Turn) => void;
  onSuggest: (text: string) => void;
}

const NEAR_BOTTOM_PX = 96;
const NO_TURNS: Turn[] = [];

export function Conversation({ onStart, onShowLogs, onShowChanges, onSuggest }: ConversationProps) {
  const actor = useChatActor();
  // The conversation renders as a transition: sliced and interruptible, so opening a long one (its
  // replay arrives at once) does not block taps for the whole render. Live text still lands within
  // a frame or two, and the rest of the screen (composer, top bar) updates at once.
  const liveTurns = useChatSelector((s) => s.context.turns);
  const renderedTurns = useDeferredValue(liveTurns);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  // Right after a switch the deferred turns are still the previous session's: show none of them.
  const renderedSessionId = useDeferredValue(sessionId);
  const turns = renderedSessionId === sessionId ? renderedTurns : NO_TURNS;
  // Newer turns are still rendering (a replay may have just arrived): an empty state now would flash.
  const catchingUp = renderedTurns !== liveTurns;
  const sessions = useChatSelector((s) => s.context.sessions);
  const subscribed = useChatSelector(
    (s) => s.context.subscribedSessionId !== null && s.context.subscribedSessionId === s.context.sessionId,
  );
  const hasEarlier = useChatSelector((s) => s.context.hasEarlier);
  const loadingEarlier = useChatSelector((s) => s.matches({ connected: { history: "loading" } }));
  // Deferred with the turns, so both change in the same render (the scroll anchor needs them together).
  const firstSeq = useDeferredValue(useChatSelector((s) => s.context.events[0]?.payload.seq ?? 0));
  const notice = useChatSelector((s) => s.context.notice);
  const turnNotes = useChatSelector((s) => s.context.turnNotes);
  const connected = useChatSelector((s) => s.context.connection.status === "connected");
  const ready = useChatSelector((s) => s.matches({ connected: { session: "ready" } }));
  const sessionsKnown = useChatSelector((s) => s.context.sessionsKnown);
  const creating = useChatSelector((s) => s.matches({ connected: { session: "creating" } }));
  const session = sessions.find((item) => item.id === sessionId);

  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const lastScrollTop = useRef(0);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const [following, setFollowing] = useState(true);

  // A different session starts at its newest message.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the session changes
  useEffect(() => {
    stick.current = true;
    lastScrollTop.current = 0;
    setFollowing(true);
  }, [sessionId]);

  // Keep the view pinned to the newest text while the user is at the bottom; keep it still when older events are prepended.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run whenever the rendered content changes
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (stick.current && turns.length > 0) {
      // In the next frame, before it paints: reading scrollHeight here would lay out the new content
      // inside this commit's task, one long task instead of two short ones on a phone.
      const frame = requestAnimationFrame(() => {
        el.scrollTop = el.scrollHeight;
      });
      return () => cancelAnimationFrame(frame);
    }
  }, [turns, firstSeq]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const near = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    // Only the reader scrolling up stops the view following the newest text. A scroll down (the
    // view's own pin, "Jump to latest") must not: by the time its event comes, more text may have
    // arrived below it (a burst on a busy phone), and the view would stop following for good.
    const movedUp = el.scrollTop < lastScrollTop.current;
    lastScrollTop.current = el.scrollTop;
    stick.current = near || (stick.current && !movedUp);
    setFollowing(stick.current);
  };

  const loadEarlier = () => {
    const el = scroller.current;
    if (el) anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    actor.send({ type: "LOAD_EARLIER" });
  };

  const jumpToLatest = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = true;
    el.scrollTo({ top: el.scrollHeight, behavior: "smooth" });
  };

  let empty: ReactNode = null;
  if (turns.length === 0 && !catchingUp) {
    // Only once the list has come: a device with sessions must not flash the first-run screen.
    if (!sessionId && connected && ready && sessionsKnown && sessions.length === 0) {
      empty = (
        <div className="mx-auto mt-[12vh] max-w-sm space-y-4 px-4 text-center">
          <div className="mx-auto flex size-14 items-center justify-center rounded-2xl bg-accent text-accent-foreground">
            <TerminalIcon className="size-7" />
          </div>
          <h2 className="font-semibold text-xl">Start a session</h2>
          <p className="text-muted-foreground">
            A session is a conversation with Claude Code on your workstation. It keeps its context between messages.
          </p>
          <Button onClick={onStart} disabled={creating} className="w-full">
            <PlusIcon />
            {creating ? "Starting…" : "Start a session"}
          </Button>
        </div>
      );
    } else if (sessionId && subscribed && !hasEarlier) {
      empty = (
        <div className="mx-auto mt-[10vh] max-w-sm space-y-4 px-4 text-center">
          <h2 className="font-semibold text-lg">Nothing here yet</h2>
          <p className="text-muted-foreground text-sm">
            Ask Claude Code to do something
            {session?.cwd ? (
              <>
                {" "}
                in <code className="break-all rounded bg-muted px-1 py-0.5 font-mono text-[13px]">{session.cwd}</code>
              </>
            ) : null}
            . Try:
          </p>
          <ul className="space-y-2">
            {SUGGESTIONS.map((text) => (
              <li key={text}>
                <button
                  type="button"
                  onClick={() => onSuggest(text)}
                  className="w-full rounded-xl border px-3 py-2.5 text-left text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring"
                >
                  {text}
                </button>
              </li>
            ))}
          </ul>
        </div>
      );
    } else if (sessionId && !subscribed && connected) {
      empty = (
        <p className="mt-[12vh] flex items-center justify-center gap-2 text-muted-foreground text-sm">
          <SpinnerIcon className="size-4" /> Loading conversation…
        </p>
      );
    }
  }

  return (
    <div className="relative min-h-0 flex-1">
      <div
        ref={scroller}
        role="log"
        aria-label="Conversation"
        onScroll={onScroll}
        className="h-full overflow-y-auto overscroll-contain [overflow-anchor:none]"
      >
        <div className="mx-auto w-full max-w-3xl space-y-6 px-3 pt-4 pb-6 sm:px-4">
          {hasEarlier ? (
            <div className="flex justify-center">
              <Button variant="outline" size="sm" onClick={loadEarlier} disabled={loadingEarlier || !subscribed}>
                {loadingEarlier ? <SpinnerIcon /> : null}
                {loadingEarlier ? "Loading…" : "Load earlier"}
              </Button>
            </div>
          ) : null}
          {session?.forkedFrom && !hasEarlier && turns.length > 0 ? (
            <p className="rounded-xl bg-muted px-3 py-2 text-center text-muted-foreground text-xs">
              Continued from the desk as a fork: the Claude Code session there is left as it was.
            </p>
          ) : null}
          {notice ? (
            <ErrorBox code={notice.code} message={notice.message}>
              <div className="flex gap-2 pt-1">
                {sessionId && !subscribed && connected ? (
                  <Button size="sm" className="h-8 text-xs" onClick={() => actor.send({ type: "RESUBSCRIBE" })}>
                    Try again
                  </Button>
                ) : null}
                <Button
                  variant="outline"
                  size="sm"
                  className="h-8 text-xs"
                  onClick={() => actor.send({ type: "DISMISS_NOTICE" })}
                >
                  Dismiss
                </Button>
              </div>
            </ErrorBox>
          ) : null}
          {empty}
          {turns.map((turn) => (
            <TurnView
              key={turn.requestId}
              turn={turn}
              cwd={session?.cwd}
              note={turnNotes[turn.requestId]}
              onShowLogs={onShowLogs}
              onShowChanges={onShowChanges}
              onEdit={onSuggest}
            />
          ))}
        </div>
      </div>
      {!following && turns.length > 0 ? (
        <Button
          variant="secondary"
          size="icon-sm"
          aria-label="Jump to latest"
          onClick={jumpToLatest}
          className="absolute right-4 bottom-3 rounded-full shadow-md"
        >
          <ArrowDownIcon />
        </Button>
      ) : null}
    </div>
  );
}
