import type { Session } from "../../shared/messages.ts";
import { useChatSelector } from "../chat/useChat.ts";
import { cn } from "../ui/cn.ts";
import { LaptopIcon } from "../ui/icons.tsx";
import { remoteMachineOf } from "./machines.ts";

/**
 * On a session row, a line of its own: the machine it runs on when that is not this server, and
 * "offline" while it is (a remote session's project and branch leave no room beside them on a phone).
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
      <LaptopIcon className="size-3 shrink-0" />
      <span className="truncate">{machine.name}</span>
      {offline ? <span className="shrink-0 font-medium text-destructive">offline</span> : null}
    </span>
  );
}
