import { NeedsApprovalBadge } from "../approvals/NeedsApprovalBadge.tsx";
import { useChatSelector } from "../chat/useChat.ts";
import { StatusDot } from "../connection/StatusDot.tsx";
import { describeConnection } from "../connection/status.ts";
import { remoteMachineOf } from "../machines/machines.ts";
import { projectName } from "../projects/names.ts";
import { Button } from "../ui/button.tsx";
import { ChevronDownIcon, DiffIcon, MenuIcon, PlusIcon } from "../ui/icons.tsx";

export interface TopBarProps {
  onOpenSessions: () => void;
  onNewSession: () => void;
  /** Opens the current session's settings (tap on the title). */
  onOpenSettings: () => void;
  /** Opens the changes sheet: what the session's folder differs by from its last commit. */
  onOpenChanges: () => void;
}

export function TopBar({ onOpenSessions, onNewSession, onOpenSettings, onOpenChanges }: TopBarProps) {
  const connection = useChatSelector((s) => s.context.connection);
  const sessions = useChatSelector((s) => s.context.sessions);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  const creating = useChatSelector((s) => s.matches({ connected: { session: "creating" } }));
  const session = sessions.find((item) => item.id === sessionId);
  const machines = useChatSelector((s) => s.context.machines);
  const connected = connection.status === "connected" && connection.online;
  // The home is connected, but the machine this session runs on is not: say that, not "connected".
  const machine = session ? remoteMachineOf(session, machines) : null;
  const machineAway = connected && machine && machine.status !== "online" ? machine : null;
  const running = session?.status === "running";
  const needsApproval = (session?.pendingPermissions ?? 0) > 0;
  const othersWaiting = sessions.filter((item) => item.id !== sessionId && item.pendingPermissions > 0).length;
  const title = session?.title || (session ? "Untitled" : "Pocket Agent");

  return (
    <header className="flex shrink-0 items-center gap-1 border-b bg-background/95 px-1.5 pt-[env(safe-area-inset-top)] pr-[max(env(safe-area-inset-right),0.375rem)] pl-[max(env(safe-area-inset-left),0.375rem)] backdrop-blur">
      <Button
        variant="ghost"
        size="icon"
        className="relative"
        aria-label={othersWaiting > 0 ? `Sessions (${othersWaiting} need approval)` : "Sessions"}
        onClick={onOpenSessions}
      >
        <MenuIcon />
        {othersWaiting > 0 ? (
          <span
            aria-hidden="true"
            className="absolute top-2 right-2 size-2.5 rounded-full border-2 border-background bg-warning"
          />
        ) : null}
      </Button>
      <div className="flex min-w-0 flex-1 flex-col items-center py-1.5 text-center">
        {session ? (
          <>
            <h1 className="sr-only">{title}</h1>
            {/* Named "Session settings" only: the title (often "New session") must not make it a second "New session" button. */}
            <button
              type="button"
              onClick={onOpenSettings}
              aria-label="Session settings"
              aria-haspopup="dialog"
              // The title is 20 px tall; its tap area reaches 44 px (over the status line, which is not a control).
              className="relative mx-auto flex max-w-full items-center gap-0.5 rounded-md px-1 font-semibold text-[15px] leading-5 after:absolute after:inset-x-0 after:-top-3 after:-bottom-3 after:content-[''] hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring"
            >
              <span aria-hidden="true" className="truncate">
                {title}
              </span>
              <ChevronDownIcon aria-hidden="true" className="size-3.5 shrink-0 text-muted-foreground" />
            </button>
          </>
        ) : (
          <h1 className="w-full truncate font-semibold text-[15px] leading-5">{title}</h1>
        )}
        <p className="flex max-w-full items-center gap-1.5 truncate text-muted-foreground text-xs leading-4">
          {machineAway ? (
            <span
              aria-hidden="true"
              className={
                machineAway.status === "connecting"
                  ? "inline-block size-2 shrink-0 animate-[pulse-dot_1.2s_ease-in-out_infinite] rounded-full bg-amber-500"
                  : "inline-block size-2 shrink-0 rounded-full bg-slate-400"
              }
            />
          ) : (
            <StatusDot connection={connection} />
          )}
          {machineAway ? (
            <span className="min-w-0 truncate" data-machine-away={machineAway.status}>
              {machineAway.status === "connecting"
                ? `Reconnecting to ${machineAway.name}…`
                : `${machineAway.name} is offline`}
            </span>
          ) : connected ? (
            <>
              <span className="sr-only">Connected.</span>
              {session ? (
                <>
                  <span className="sr-only">Project</span>
                  <span className="min-w-0 truncate font-medium text-foreground/80">
                    {projectName(session.project)}
                  </span>
                  {/* With "Needs approval" beside them, a phone's line has room for the project, not the model too. */}
                  <span aria-hidden="true" className={needsApproval ? "max-sm:hidden" : undefined}>
                    ·
                  </span>
                  <span className={needsApproval ? "max-sm:hidden" : undefined}>{session.model}</span>
                </>
              ) : (
                <span>No session</span>
              )}
              {needsApproval ? (
                <NeedsApprovalBadge className="py-0" />
              ) : running ? (
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
      {session ? (
        <Button
          variant="ghost"
          size="icon"
          aria-label="Changes"
          aria-haspopup="dialog"
          onClick={onOpenChanges}
          disabled={!connected}
        >
          <DiffIcon />
        </Button>
      ) : null}
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
