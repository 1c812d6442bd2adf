import { useMemo, useState } from "react";
import { cn } from "../ui/cn.ts";
import { Elapsed } from "../ui/Elapsed.tsx";
import { formatDuration } from "../ui/time.ts";
import { StepIcon } from "./StepIcon.tsx";
import { refusedSet, type Step, stepDuration, stepsOf, stepVerb, turnParts } from "./steps.ts";

const VISIBLE = 4;

/**
 * What the agent is doing right now: one line per tool call, newest last, with its outcome.
 * `running`: the agent is at work (false while it waits for the user's approval). `refused`: the
 * tool calls the user denied (refusedToolUses).
 */
export function Activity({
  logs,
  cwd,
  running,
  refused = "",
}: {
  logs: readonly string[];
  cwd?: string;
  running: boolean;
  refused?: string;
}) {
  const steps = useMemo(() => stepsOf(turnParts(logs, { cwd, refused: refusedSet(refused) })), [logs, cwd, refused]);
  const [expanded, setExpanded] = useState(false);
  if (steps.length === 0) return null;
  // Not running: the agent waits for the user's approval.
  const moment = running ? "working" : "waiting";
  const hidden = expanded ? 0 : Math.max(0, steps.length - VISIBLE);
  const shown = steps.slice(hidden);

  return (
    <div className="rounded-xl border bg-card px-3 py-2 text-sm">
      {hidden > 0 ? (
        <button
          type="button"
          className="mb-1 rounded text-muted-foreground text-xs underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-ring"
          onClick={() => setExpanded(true)}
        >
          {hidden} earlier step{hidden === 1 ? "" : "s"}
        </button>
      ) : null}
      <ol className="space-y-1">
        {shown.map((step, index) => {
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: steps only ever append
            <li key={hidden + index} className="flex min-w-0 items-start gap-2">
              <span className="mt-0.5 flex size-4 shrink-0 items-center justify-center">
                <StepIcon status={step.status} moment={moment} />
              </span>
              <span className="min-w-0 flex-1">
                <span className="font-medium">{stepVerb(step, moment)}</span>{" "}
                <span
                  className={cn("break-all font-mono text-[12.5px]", step.status === "error" && "text-destructive")}
                >
                  {step.target}
                </span>
                {step.status === "error" && step.output ? (
                  <span className="block truncate text-destructive text-xs">{step.output.split("\n")[0]}</span>
                ) : null}
              </span>
              <StepTime step={step} running={running} />
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/** A finished step's duration; the running one's time so far (not while it waits for the user). */
function StepTime({ step, running }: { step: Step; running: boolean }) {
  const duration = stepDuration(step);
  if (duration !== null) {
    return (
      <span className="mt-0.5 shrink-0 text-muted-foreground text-xs tabular-nums">{formatDuration(duration)}</span>
    );
  }
  if (step.status !== "running" || !running || step.startedAt === null) return null;
  return (
    <span className="mt-0.5 shrink-0 text-muted-foreground">
      <Elapsed since={step.startedAt} />
    </span>
  );
}
