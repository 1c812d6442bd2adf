import { useMemo } from "react";
import { sessionTotals, usageLabel, usageLine } from "./usage.ts";
import { useChatSelector } from "./useChat.ts";

/** The open session's totals: its finished turns' duration, tokens and cost (only those loaded, and it says so). */
export function SessionUsage({ sessionId }: { sessionId: string }) {
  const current = useChatSelector((s) => s.context.sessionId === sessionId);
  const turns = useChatSelector((s) => s.context.turns);
  const hasEarlier = useChatSelector((s) => s.context.hasEarlier);
  const totals = useMemo(() => sessionTotals(turns), [turns]);
  if (!current) return null;
  return (
    <section className="space-y-1" aria-labelledby="settings-usage-heading" data-usage="session">
      <h3 id="settings-usage-heading" className="font-medium text-sm">
        Usage
      </h3>
      {totals.turns === 0 ? (
        <p className="text-muted-foreground text-sm">No finished messages yet.</p>
      ) : (
        <p className="text-sm">
          <span aria-hidden="true">
            {totals.turns} {totals.turns === 1 ? "message" : "messages"} · {usageLine(totals)}
          </span>
          <span className="sr-only">
            {totals.turns} {totals.turns === 1 ? "message" : "messages"}: {usageLabel(totals)}
          </span>
        </p>
      )}
      {hasEarlier ? (
        <p className="text-muted-foreground text-xs">Counts the messages loaded here; earlier ones are not included.</p>
      ) : null}
    </section>
  );
}
