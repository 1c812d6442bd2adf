import type { Session } from "../../shared/messages.ts";
import { useChatSelector } from "../chat/useChat.ts";
import { cn } from "../ui/cn.ts";
import { SpinnerIcon } from "../ui/icons.tsx";
import { LaptopIcon } from "../ui/sheetIcons.tsx";
import { remoteMachineOf } from "./machines.ts";

/**
 * On a session row, a line of its own: the machine it runs on when that is not this server,
 * "offline" while it is (a remote session's project and branch leave no room beside them on a
 * phone), and a spinner (read as "retrying") while the home tries to reach it again (decision 061).
 */
export function MachineTag({ session, className }: { session: Session; className?: string }) {
  const machines = useChatSelector((s) => s.context.machines);
  const machine = remoteMachineOf(session, machines);
  if (!machine) return null;
  const offline = machine.status !== "online";
  return (
    <span
      className={cn("flex min-w-0 items-center gap-1 text-xs", className)}
      data-machine-tag={machine.id}
      data-offline={offline ? "true" : undefined}
    >
      {/* The spinner takes the laptop's place while the home tries to reach the machine again. */}
      {machine.status === "connecting" ? (
        <SpinnerIcon aria-hidden="true" className="size-3 shrink-0 text-amber-700 dark:text-amber-400" />
      ) : (
        <LaptopIcon className="size-3 shrink-0" />
      )}
      <span className="truncate">{machine.name}</span>
      {machine.status === "connecting" ? (
        <span className="sr-only">retrying</span>
      ) : offline ? (
        <span className="shrink-0 font-medium text-destructive">offline</span>
      ) : null}
    </span>
  );
}
