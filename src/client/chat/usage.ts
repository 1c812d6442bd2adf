/**
 * What a turn, and a session, cost: duration, tokens and dollars, in words for a phone.
 */
import type { TurnUsage } from "../../shared/messages.ts";
import { formatDuration } from "../ui/time.ts";

/** Every token the API counted for the turn (input, output, cache reads and writes). */
export function tokenCount(usage: TurnUsage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheCreationTokens;
}

/** 950 → "950", 12_345 → "12.3k", 2_400_000 → "2.4M". */
export function formatTokens(count: number): string {
  if (count < 1_000) return String(count);
  if (count < 1_000_000) return `${(count / 1_000).toFixed(count < 10_000 ? 1 : 0)}k`;
  return `${(count / 1_000_000).toFixed(1)}M`;
}

/** 0.0042 → "$0.0042", 0.0123 → "$0.012", 0.5 → "$0.50", 12.3 → "$12.30": under a dollar, two significant digits. */
export function formatCost(usd: number): string {
  if (usd === 0) return "$0";
  if (usd < 1) return `$${usd.toPrecision(2)}`;
  return `$${usd.toFixed(2)}`;
}

export interface UsageFacts {
  durationMs: number | null;
  usage: TurnUsage | null;
  costUsd: number | null;
}

/** "4.2 s · 1.3k tokens · $0.012", leaving out what is unknown. */
export function usageLine(facts: UsageFacts): string {
  const parts: string[] = [];
  if (facts.durationMs !== null) parts.push(formatDuration(facts.durationMs));
  if (facts.usage) parts.push(`${formatTokens(tokenCount(facts.usage))} tokens`);
  if (facts.costUsd !== null) parts.push(formatCost(facts.costUsd));
  return parts.join(" · ");
}

/** The same in full words for a screen reader. */
export function usageLabel(facts: UsageFacts): string {
  const parts: string[] = [];
  if (facts.durationMs !== null) parts.push(`took ${formatDuration(facts.durationMs)}`);
  if (facts.usage) {
    const u = facts.usage;
    parts.push(
      `${tokenCount(u)} tokens (${u.inputTokens} in, ${u.outputTokens} out, ${u.cacheReadTokens + u.cacheCreationTokens} cached)`,
    );
  }
  if (facts.costUsd !== null) parts.push(`cost ${formatCost(facts.costUsd)}`);
  return parts.join(", ");
}

/** A session's totals over the turns given: those that finished. */
export function sessionTotals(turns: readonly UsageFacts[]): UsageFacts & { turns: number } {
  let durationMs = 0;
  let costUsd = 0;
  let tokens: TurnUsage | null = null;
  let counted = 0;
  let costKnown = false;
  for (const turn of turns) {
    if (turn.durationMs === null) continue;
    counted++;
    durationMs += turn.durationMs;
    if (turn.costUsd !== null) {
      costUsd += turn.costUsd;
      costKnown = true;
    }
    if (turn.usage) {
      tokens ??= { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };
      tokens.inputTokens += turn.usage.inputTokens;
      tokens.outputTokens += turn.usage.outputTokens;
      tokens.cacheReadTokens += turn.usage.cacheReadTokens;
      tokens.cacheCreationTokens += turn.usage.cacheCreationTokens;
    }
  }
  return {
    turns: counted,
    durationMs: counted ? durationMs : null,
    usage: tokens,
    costUsd: costKnown ? costUsd : null,
  };
}

/** "Resets at 15:00" today, "Resets Mon 09:00" later; null for an unreadable time. */
export function resetText(iso: string, now: number = Date.now()): string | null {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return null;
  const date = new Date(at);
  const time = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const sameDay = new Date(now).toDateString() === date.toDateString();
  if (sameDay) return `Resets at ${time}`;
  const day = date.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" });
  return `Resets ${day}, ${time}`;
}
