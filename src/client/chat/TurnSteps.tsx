import { useMemo, useState } from "react";
import { chunk } from "../ui/chunk.ts";
import { cn } from "../ui/cn.ts";
import { ChevronDownIcon, SpinnerIcon } from "../ui/icons.tsx";
import { failedLine, lazyPart, Part } from "../ui/lazyPart.tsx";
import { formatDuration } from "../ui/time.ts";
import { Markdown } from "./markdown.tsx";
import { StepIcon } from "./StepIcon.tsx";
import { refusedSet, type Step, stepDuration, stepsOf, stepVerb, summarizeSteps, turnParts } from "./steps.ts";

const StepDetail = lazyPart(
  chunk(() => import("./StepDetail.tsx")),
  (m) => m.StepDetail,
);

/** Turns with more steps than this open collapsed, to their summary line. */
const OPEN_UP_TO = 3;

function StepRow({ step, cwd }: { step: Step; cwd?: string }) {
  const [open, setOpen] = useState(false);
  const duration = stepDuration(step);
  return (
    <li data-step={step.tool} className="min-w-0">
      <button
        type="button"
        aria-expanded={open}
        onClick={() => setOpen((shown) => !shown)}
        className="flex min-h-11 w-full min-w-0 items-start gap-2 rounded-lg px-2 py-2 text-left text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring"
      >
        <span className="mt-0.5 flex size-4 shrink-0 items-center justify-center">
          <StepIcon status={step.status} moment="over" />
        </span>
        <span className="min-w-0 flex-1">
          <span className="font-medium">{stepVerb(step, "over")}</span>{" "}
          <span className={cn("break-all font-mono text-[12.5px]", step.status === "error" && "text-destructive")}>
            {step.target}
          </span>
        </span>
        {duration !== null ? (
          <span className="mt-0.5 shrink-0 text-muted-foreground text-xs tabular-nums" data-step-duration={duration}>
            {formatDuration(duration)}
          </span>
        ) : null}
        <ChevronDownIcon
          className={cn("mt-0.5 size-4 shrink-0 text-muted-foreground transition-transform", open && "rotate-180")}
        />
      </button>
      {open ? (
        <div className="pb-2 pl-8">
          <Part
            loading={<SpinnerIcon className="size-4 text-muted-foreground" />}
            failed={failedLine("This step's detail could not load.")}
          >
            <StepDetail step={step} cwd={cwd} />
          </Part>
        </div>
      ) : null}
    </li>
  );
}

/**
 * A finished turn's work, kept in the conversation: a summary line ("Edited 3 files · ran 4
 * commands · 1 m 12 s") that opens every step in order, with the agent's text between them. A
 * step opens to its readable detail (StepDetail.tsx, loaded when first opened).
 */
export function TurnSteps({
  logs,
  cwd,
  durationMs,
  refused = "",
}: {
  logs: readonly string[];
  cwd?: string;
  durationMs: number | null;
  /** The tool calls the user denied (refusedToolUses). */
  refused?: string;
}) {
  const parts = useMemo(() => turnParts(logs, { cwd, refused: refusedSet(refused) }), [logs, cwd, refused]);
  const steps = useMemo(() => stepsOf(parts), [parts]);
  const [expanded, setExpanded] = useState(steps.length <= OPEN_UP_TO);
  if (steps.length === 0) return null;
  const summary = [summarizeSteps(steps), durationMs !== null ? formatDuration(durationMs) : null]
    .filter(Boolean)
    .join(" · ");
  return (
    <div className="rounded-xl border bg-card text-sm">
      <button
        type="button"
        aria-expanded={expanded}
        onClick={() => setExpanded((open) => !open)}
        className="flex min-h-11 w-full items-center gap-2 rounded-xl px-3 py-2 text-left text-muted-foreground hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring"
      >
        <span className="min-w-0 flex-1" data-steps-summary>
          {summary}
        </span>
        <ChevronDownIcon className={cn("size-4 shrink-0 transition-transform", expanded && "rotate-180")} />
      </button>
      {expanded ? (
        <ol aria-label="Steps" className="space-y-0.5 border-t px-1 py-1">
          {parts.map((part, index) =>
            part.kind === "step" ? (
              <StepRow key={part.step.id} step={part.step} cwd={cwd} />
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts of a finished turn never change
              <li key={index} className="px-2 py-1 text-muted-foreground">
                <Markdown source={part.text} className="text-[13.5px]" />
              </li>
            ),
          )}
        </ol>
      ) : null}
    </div>
  );
}
