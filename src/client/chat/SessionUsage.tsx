import { useMemo } from "react";
import type { Session } from "../../shared/messages.ts";
import { sessionTotals, type UsageFacts, usageLabel, usageLine } from "./usage.ts";
import { useChatSelector } from "./useChat.ts";

/**
 * The session's totals: every finished turn's duration, tokens and cost, as the server counts them.
 * A server from before it counted them: the turns loaded here, and it says so.
 */
export function SessionUsage({ session }: { session: Session }) {
  const current = useChatSelector((s) => s.context.sessionId === session.id);
  const turns = useChatSelector((s) => s.context.turns);
  const hasEarlier = useChatSelector((s) => s.context.hasEarlier);
  const loaded = useMemo(() => sessionTotals(turns), [turns]);
  const counted = session.totals;
  const totals: UsageFacts & { turns: number } = counted
    ? {
        turns: counted.turns,
        durationMs: counted.durationMs,
        usage: counted.usage ?? null,
        costUsd: counted.costUsd ?? null,
      }
    : loaded;
  if (!counted && !current) return null;
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
      {!counted && hasEarlier ? (
        <p className="text-muted-foreground text-xs">Counts the messages loaded here; earlier ones are not included.</p>
      ) : null}
    </section>
  );
}
