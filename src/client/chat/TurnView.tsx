import { memo } from "react";
import { resolutionText } from "../approvals/resolution.ts";
import { changeSummary, changeSummaryLabel } from "../changes/summary.ts";
import type { ClientError } from "../connection/request.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { Elapsed } from "../ui/Elapsed.tsx";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import {
  CheckIcon,
  ChevronRightIcon,
  ClockIcon,
  DiffIcon,
  RetryIcon,
  ShieldIcon,
  SpinnerIcon,
  XIcon,
} from "../ui/icons.tsx";
import { Activity } from "./Activity.tsx";
import { summarizeTool } from "./activity.ts";
import { MessageImages } from "./ImageThumbs.tsx";
import { MessageBubble } from "./MessageBubble.tsx";
import { Markdown } from "./markdown.tsx";
import { refusedToolUses } from "./steps.ts";
import { TurnSteps } from "./TurnSteps.tsx";
import { replyText, type Turn, type TurnPermission } from "./turns.ts";
import { resetText, usageLabel, usageLine } from "./usage.ts";
import { useChatActor, useChatSelector } from "./useChat.ts";

export interface TurnViewProps {
  turn: Turn;
  cwd?: string;
  note?: ClientError;
  onShowLogs: (turn: Turn) => void;
  /** Opens the changes sheet on this turn's changed files. */
  onShowChanges?: (turn: Turn) => void;
  /** "Edit and resend": the message goes back into the composer. */
  onEdit?: (text: string) => void;
}

function Thinking({ label, since }: { label: string; since: string | null }) {
  return (
    <p className="inline-flex items-center gap-2 text-muted-foreground text-sm">
      <SpinnerIcon className="size-4" />
      {label}
      {since && !Number.isNaN(Date.parse(since)) ? <Elapsed since={Date.parse(since)} /> : null}
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
        <span className={cn("font-medium", !pending && "text-foreground")}>{resolutionText(permission, cwd)}</span>
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

function StopMark() {
  return <span aria-hidden="true" className="inline-block size-2.5 rounded-[2px] bg-current" />;
}

/** One exchange: the user's message (with its sending/queued state) and the agent's reply as it happens. */
/** Memoised: while one turn streams, the conversation's other turns (unchanged objects) are not rendered again. */
export const TurnView = memo(function TurnView({ turn, cwd, note, onShowLogs, onShowChanges, onEdit }: TurnViewProps) {
  const actor = useChatActor();
  const connected = useChatSelector((s) => s.context.connection.status === "connected" && s.context.connection.online);
  const running = turn.status === "running";
  // The user's own Stop is an outcome, not a failure.
  const stopped = turn.status === "error" && turn.error?.code === "CANCELLED";
  // An approval is pending: the agent waits for the user, and says so (not "Working…").
  const waitingForYou = running && turn.permissions.some((permission) => permission.status === "pending");
  // While the reply streams, its deltas: reading turn.text would copy all of it on every delta.
  const reply = replyText(turn);
  const hasReply = typeof reply === "string" ? reply.trim() !== "" : reply.visible;
  const logsCount = turn.logs.length;

  return (
    <div className="space-y-2" data-turn={turn.requestId} data-status={turn.status}>
      {turn.message !== null ? (
        <div className="flex flex-col items-end gap-1">
          <MessageImages images={turn.images} />
          {turn.message !== "" ? <MessageBubble message={turn.message} onEdit={onEdit} /> : null}
          {turn.status === "sending" && !turn.error ? (
            connected ? (
              <p className="inline-flex items-center gap-1.5 text-muted-foreground text-xs">
                <SpinnerIcon className="size-3" /> Sending…
              </p>
            ) : (
              <p className="inline-flex items-center gap-2 text-muted-foreground text-xs" data-pending="offline">
                <ClockIcon className="size-3.5" /> Not sent yet: goes out once you're connected
                <Button
                  variant="outline"
                  size="sm"
                  className="h-7 rounded-lg px-2 text-xs"
                  aria-label="Cancel unsent message"
                  onClick={() => actor.send({ type: "DISCARD", requestId: turn.requestId })}
                >
                  Cancel
                </Button>
              </p>
            )
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
            turn.noticeKind === "compacted" || turn.noticeKind === "cleared" ? (
              // What a command did to the agent's context: a divider across the conversation, not a warning.
              <p
                className="flex items-center gap-2 text-muted-foreground text-xs"
                role="note"
                data-notice={turn.noticeKind}
              >
                <span className="h-px flex-1 bg-border" aria-hidden="true" />
                <span className="max-w-[80%] text-center">{turn.notice}</span>
                <span className="h-px flex-1 bg-border" aria-hidden="true" />
              </p>
            ) : (
              <p className="rounded-lg border border-warning/40 px-3 py-2 text-warning text-xs" role="note">
                {turn.notice}
              </p>
            )
          ) : null}
          {running ? (
            <Activity logs={turn.logs} cwd={cwd} running={!waitingForYou} refused={refusedToolUses(turn.permissions)} />
          ) : logsCount > 0 ? (
            <TurnSteps
              logs={turn.logs}
              cwd={cwd}
              durationMs={turn.durationMs}
              refused={refusedToolUses(turn.permissions)}
            />
          ) : null}
          {turn.permissions.map((permission) => (
            <PermissionLine key={permission.permissionId} permission={permission} cwd={cwd} />
          ))}
          {hasReply ? <Markdown source={reply} className="text-[15px]" /> : null}
          {running && !waitingForYou ? (
            <Thinking
              label={hasReply ? "Writing…" : logsCount ? "Working…" : "Thinking…"}
              since={turn.startedAt ?? turn.at}
            />
          ) : null}
          {stopped ? (
            <p className="inline-flex items-center gap-1.5 text-muted-foreground text-sm" data-outcome="stopped">
              <StopMark /> Stopped
            </p>
          ) : turn.status === "error" && turn.error ? (
            <ErrorBox code={turn.error.code} message={turn.error.message}>
              {turn.error.resetsAt && resetText(turn.error.resetsAt) ? (
                <p className="font-medium text-xs" data-resets-at={turn.error.resetsAt}>
                  {resetText(turn.error.resetsAt)}
                </p>
              ) : null}
              {turn.message !== null ? (
                <div className="pt-1">
                  <Button
                    size="sm"
                    className="h-11 gap-1.5 text-xs"
                    onClick={() => actor.send({ type: "SEND", message: turn.message ?? "" })}
                  >
                    <RetryIcon className="size-4" />
                    Retry
                  </Button>
                </div>
              ) : null}
            </ErrorBox>
          ) : null}
          {turn.changes && turn.changes.length > 0 && !running ? (
            <button
              type="button"
              data-turn-changes={turn.changes.length}
              className="flex min-h-11 w-full items-center gap-2 rounded-xl border bg-card px-3 text-left text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring"
              aria-label={`${changeSummaryLabel(turn.changes)}. Show the diffs`}
              aria-haspopup="dialog"
              onClick={() => onShowChanges?.(turn)}
            >
              <DiffIcon className="size-4 shrink-0 text-muted-foreground" />
              <span className="min-w-0 flex-1 truncate">{changeSummary(turn.changes)}</span>
              <ChevronRightIcon aria-hidden="true" className="size-4 shrink-0 text-muted-foreground" />
            </button>
          ) : null}
          {!running && (logsCount > 0 || turn.durationMs !== null) ? (
            <p className="flex flex-wrap items-center gap-x-1.5 text-muted-foreground text-xs">
              {turn.durationMs !== null ? (
                <span data-usage="turn">
                  <span aria-hidden="true">{usageLine(turn)}</span>
                  <span className="sr-only">{usageLabel(turn)}</span>
                </span>
              ) : null}
              {logsCount > 0 ? (
                <button
                  type="button"
                  className="-my-3 min-h-11 rounded px-1 underline-offset-2 hover:text-foreground hover:underline focus-visible:outline-2 focus-visible:outline-ring"
                  aria-label={`Developer details: the turn's ${logsCount} raw agent message${logsCount === 1 ? "" : "s"}`}
                  onClick={() => onShowLogs(turn)}
                >
                  {turn.durationMs !== null ? "· " : ""}Developer details
                </button>
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
