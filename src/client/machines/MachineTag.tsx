import type { Session } from "../../shared/messages.ts";
import { useChatSelector } from "../chat/useChat.ts";
import { LaptopIcon, SpinnerIcon } from "../ui/icons.tsx";
import { remoteMachineOf } from "./machines.ts";

/**
 * On a session row: the machine it runs on when that is not this server, "offline" while it is,
 * and "reconnecting" (with a spinner) while the home is trying to reach it again.
 */
export function MachineTag({ session }: { session: Session }) {
  const machines = useChatSelector((s) => s.context.machines);
  const machine = remoteMachineOf(session, machines);
  if (!machine) return null;
  const offline = machine.status !== "online";
  return (
    <span
      className="flex min-w-0 shrink items-center gap-1"
      data-machine-tag={machine.id}
      data-offline={offline ? "true" : undefined}
    >
      <span aria-hidden="true">·</span>
      <LaptopIcon className="size-3 shrink-0" />
      <span className="truncate">{machine.name}</span>
      {machine.status === "connecting" ? (
        <span className="flex shrink-0 items-center gap-1 font-medium text-amber-700 dark:text-amber-400">
          <SpinnerIcon aria-hidden="true" className="size-3" />
          reconnecting
        </span>
      ) : offline ? (
        <span className="shrink-0 font-medium text-destructive">offline</span>
      ) : null}
    </span>
  );
}
