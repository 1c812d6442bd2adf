import { describeConnection } from "../chatMachine.ts";
import { useChatSelector } from "../lib/useChat.ts";
import { MenuIcon, PlusIcon } from "./icons.tsx";
import { StatusDot } from "./StatusDot.tsx";
import { Button } from "./ui/button.tsx";

export interface TopBarProps {
  onOpenSessions: () => void;
  onNewSession: () => void;
}

export function TopBar({ onOpenSessions, onNewSession }: TopBarProps) {
  const connection = useChatSelector((s) => s.context.connection);
  const sessions = useChatSelector((s) => s.context.sessions);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  const creating = useChatSelector((s) => s.matches({ connected: { session: "creating" } }));
  const session = sessions.find((item) => item.id === sessionId);
  const connected = connection.status === "connected" && connection.online;
  const running = session?.status === "running";

  return (
    <header className="flex shrink-0 items-center gap-1 border-b bg-background/95 px-1.5 pt-[env(safe-area-inset-top)] pr-[max(env(safe-area-inset-right),0.375rem)] pl-[max(env(safe-area-inset-left),0.375rem)] backdrop-blur">
      <Button variant="ghost" size="icon" aria-label="Sessions" onClick={onOpenSessions}>
        <MenuIcon />
      </Button>
      <div className="flex min-w-0 flex-1 flex-col items-center py-1.5 text-center">
        <h1 className="w-full truncate font-semibold text-[15px] leading-5">{session?.title || "Pocket Agent"}</h1>
        <p className="flex max-w-full items-center gap-1.5 truncate text-muted-foreground text-xs leading-4">
          <StatusDot connection={connection} />
          {connected ? (
            <>
              <span className="sr-only">Connected.</span>
              {session ? <span>{session.model}</span> : <span>No session</span>}
              {running ? (
                <span className="inline-flex items-center gap-1 font-medium text-foreground">
                  <span aria-hidden="true">·</span>
                  <span className="inline-block size-1.5 animate-[pulse-dot_1s_ease-in-out_infinite] rounded-full bg-primary dark:bg-blue-400" />
                  Working
                  {session.queued > 0 ? <span className="font-normal">(+{session.queued} queued)</span> : null}
                </span>
              ) : null}
            </>
          ) : (
            <span>{describeConnection(connection)}</span>
          )}
        </p>
      </div>
      <Button
        variant="ghost"
        size="icon"
        aria-label="New session"
        onClick={onNewSession}
        disabled={!connected || creating}
      >
        <PlusIcon />
      </Button>
    </header>
  );
}
