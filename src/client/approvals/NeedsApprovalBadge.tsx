import { cn } from "../ui/cn.ts";
import { ShieldIcon } from "../ui/icons.tsx";

/** "Needs approval": a session has tool uses waiting for the user's answer. */
export function NeedsApprovalBadge({ className }: { className?: string }) {
  return (
    <span
      className={cn(
        "inline-flex items-center gap-1 rounded-full border border-warning/50 bg-warning-surface px-2 py-0.5 font-medium text-[11px] text-warning leading-4",
        className,
      )}
    >
      <ShieldIcon className="size-3" />
      Needs approval
    </span>
  );
}
