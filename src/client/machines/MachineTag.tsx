import type { Session } from "../../shared/messages.ts";
import { useChatSelector } from "../chat/useChat.ts";
import { LaptopIcon, SpinnerIcon } from "../ui/icons.tsx";
import { remoteMachineOf } from "./machines.ts";

/**
 * On a session row: the machine it runs on when that is not this server, "offline" while it is,
 * and a spinner (read as "retrying") while the home is trying to reach it again (decision 061).
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
      {/* The spinner takes the laptop's place while the home tries to reach the machine again. */}
      {machine.status === "connecting" ? (
        <SpinnerIcon aria-hidden="true" className="size-3 shrink-0 text-amber-700 dark:text-amber-400" />
      ) : (
        <LaptopIcon className="size-3 shrink-0" />
      )}
      <span className="truncate">{machine.name}</span>
      {machine.status === "connecting" ? (
        // The spinning icon says it on screen; a row has no room for a word beside it.
        <span className="sr-only">retrying</span>
      ) : offline ? (
        <span className="shrink-0 font-medium text-destructive">offline</span>
      ) : null}
    </span>
  );
}
