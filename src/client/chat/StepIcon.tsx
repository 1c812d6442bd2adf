import { AlertIcon, CheckIcon, ClockIcon, SpinnerIcon, XIcon } from "../ui/icons.tsx";
import type { Step, StepMoment } from "./steps.ts";

/** A step row's icon: its outcome, or, while it has none, what the moment makes of it (as stepVerb does). */
export function StepIcon({ status, moment }: { status: Step["status"]; moment: StepMoment }) {
  if (status === "error")
    return <AlertIcon className="size-4 text-destructive" aria-label="failed" aria-hidden="false" role="img" />;
  if (status === "ok") return <CheckIcon className="size-4 text-success" />;
  if (status === "refused")
    return <XIcon className="size-4 text-muted-foreground" aria-label="not run" aria-hidden="false" role="img" />;
  if (moment === "working") return <SpinnerIcon className="size-4 text-muted-foreground" />;
  if (moment === "waiting")
    return <ClockIcon className="size-4 text-warning" aria-label="waiting for you" aria-hidden="false" role="img" />;
  // The turn is over: a step whose result never came back was cut off.
  return <XIcon className="size-4 text-muted-foreground" aria-label="not finished" aria-hidden="false" role="img" />;
}
