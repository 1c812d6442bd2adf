import { cn } from "../ui/cn.ts";
import type { ConnectionInfo } from "./status.ts";

/** A coloured dot for the connection; the text next to it (or sr-only) carries the meaning. */
export function StatusDot({ connection, className }: { connection: ConnectionInfo; className?: string }) {
  const tone = !connection.online
    ? "bg-slate-400"
    : connection.status === "connected"
      ? "bg-emerald-500"
      : connection.status === "disconnected"
        ? "bg-red-500"
        : "bg-amber-500 animate-[pulse-dot_1.2s_ease-in-out_infinite]";
  return <span aria-hidden="true" className={cn("inline-block size-2 shrink-0 rounded-full", tone, className)} />;
}
