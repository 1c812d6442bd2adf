import { memo } from "react";
import { resolutionText } from "../approvals/resolution.ts";
import type { ClientError } from "../connection/request.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { CheckIcon, ClockIcon, ShieldIcon, SpinnerIcon, XIcon } from "../ui/icons.tsx";
import { formatDuration } from "../ui/time.ts";
import { Activity } from "./Activity.tsx";
import { summarizeTool } from "./activity.ts";
import { Markdown } from "./markdown.tsx";
import type { Turn, TurnPermission } from "./turns.ts";
import { useChatActor } from "./useChat.ts";

export interface TurnViewProps {
  turn: Turn;
  cwd?: string;
  note?: ClientError;
  onShowLogs: (turn: Turn) => void;
}

function Thinking({ label }: { label: string }) {
  return (
    <p className="inline-flex items-center gap-2 text-muted-foreground text-sm">
      <SpinnerIcon className="size-4" />
      {label}
    </p>
  );
}

/**
 * A permission request where it happened in the turn: while pending it points at the card pinned above the
 * composer; once resolved (here or on another device) it is the one-line result.
 */
function PermissionLine({ permission, cwd }: { permission: TurnPermission; cwd?: string }) {
  const tool = summarizeTool(permission.toolName, permission.input, { cwd, maxLength: 80 });
  const pending = permission.status === "pending";
  const allowed = permission.status === "allow" || permission.status === "allow_always";
  const Icon = pending ? ShieldIcon : allowed ? CheckIcon : XIcon;
  return (
    <p
      data-permission={permission.permissionId}
      data-permission-status={permission.status}
      className={cn(
        "flex items-start gap-2 rounded-xl border px-3 py-2 text-sm",
        pending ? "border-warning/50 bg-warning-surface text-warning" : "bg-muted/60 text-muted-foreground",
      )}
    >
      <Icon className={cn("mt-0.5 size-4 shrink-0", allowed && "text-success")} />
      <span className="min-w-0 flex-1 break-words">
        <span className={cn("font-medium", !pending && "text-foreground")}>
          {pending ? "Waiting for your approval below" : resolutionText(permission)}
        </span>
        {pending ? null : (
          <>
            <span aria-hidden="true"> · </span>
            <span className="break-all font-mono text-[12.5px]">
              {tool.label} {tool.detail}
            </span>
          </>
        )}
      </span>
    </p>
  );
}

/** One exchange: the user's message (with its sending/queued state) and the agent's reply as it happens. */
/** Memoised: while one turn streams, the conversation's other turns (unchanged objects) are not rendered again. */
export const TurnView = memo(function TurnView({ turn, cwd, note, onShowLogs }: TurnViewProps) {
  const actor = useChatActor();
  const running = turn.status === "running";
  const hasReply = turn.text.trim() !== "";
  const logsCount = turn.logs.length;

  return (
    <div className="space-y-2" data-turn={turn.requestId} data-status={turn.status}>
      {turn.message !== null ? (
        <div className="flex flex-col items-end gap-1">
          <div className="max-w-[85%] whitespace-pre-wrap break-words rounded-2xl rounded-br-md bg-primary px-3.5 py-2 text-[15px] text-primary-foreground leading-relaxed">
            {turn.message}
          </div>
          {turn.status === "sending" ? (
            <p className="inline-flex items-center gap-1.5 text-muted-foreground text-xs">
              <SpinnerIcon className="size-3" /> Sending…
            </p>
          ) : null}
          {turn.status === "queued" ? (
            <p className="inline-flex items-center gap-2 text-muted-foreground text-xs">
              <ClockIcon className="size-3.5" /> {turn.waitingFor === "agent" ? "Waiting for a free agent" : "Queued"}
              <Button
                variant="outline"
                size="sm"
                className="h-7 rounded-lg px-2 text-xs"
                aria-label="Remove queued message"
                onClick={() => actor.send({ type: "CANCEL", targetRequestId: turn.requestId })}
              >
                Remove
              </Button>
            </p>
          ) : null}
        </div>
      ) : null}

      {turn.local && turn.error ? (
        <ErrorBox code={turn.error.code} message={turn.error.message} className="ml-auto max-w-[85%]">
          <div className="flex gap-2 pt-1">
            <Button
              size="sm"
              className="h-8 text-xs"
              onClick={() => actor.send({ type: "RETRY", requestId: turn.requestId })}
            >
              Retry
            </Button>
            <Button
              variant="outline"
              size="sm"
              className="h-8 text-xs"
              onClick={() => actor.send({ type: "DISCARD", requestId: turn.requestId })}
            >
              Discard
            </Button>
          </div>
        </ErrorBox>
      ) : null}

      {turn.status === "running" || turn.status === "done" || (turn.status === "error" && !turn.local) ? (
        <div className="max-w-full space-y-2" aria-busy={running ? "true" : undefined}>
          {turn.notice ? (
            <p className="rounded-lg border border-warning/40 px-3 py-2 text-warning text-xs" role="note">
              {turn.notice}
            </p>
          ) : null}
          {running || (turn.status === "error" && logsCount > 0 && !hasReply) ? (
            <Activity logs={turn.logs} cwd={cwd} running={running} />
          ) : null}
          {turn.permissions.map((permission) => (
            <PermissionLine key={permission.permissionId} permission={permission} cwd={cwd} />
          ))}
          {hasReply ? <Markdown source={turn.text} className="text-[15px]" /> : null}
          {running ? <Thinking label={hasReply ? "Writing…" : logsCount ? "Working…" : "Thinking…"} /> : null}
          {turn.status === "error" && turn.error ? (
            <ErrorBox code={turn.error.code} message={turn.error.message} />
          ) : null}
          {!running && (logsCount > 0 || turn.durationMs !== null) ? (
            <p className="flex items-center gap-1.5 text-muted-foreground text-xs">
              {logsCount > 0 ? (
                <button
                  type="button"
                  className="rounded underline-offset-2 hover:text-foreground hover:underline focus-visible:outline-2 focus-visible:outline-ring"
                  onClick={() => onShowLogs(turn)}
                >
                  {logsCount} log{logsCount === 1 ? "" : "s"} · view
                </button>
              ) : null}
              {turn.durationMs !== null ? (
                <span>
                  {logsCount > 0 ? "· " : ""}
                  {formatDuration(turn.durationMs)}
                </span>
              ) : null}
            </p>
          ) : null}
        </div>
      ) : null}

      {note ? (
        <p className="text-warning text-xs" role="note">
          Couldn't stop this message: {note.message}
        </p>
      ) : null}
    </div>
  );
});
