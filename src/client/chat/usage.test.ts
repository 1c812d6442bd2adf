import { describe, expect, test } from "bun:test";
import { changeSummary } from "../changes/summary.ts";
import { formatCost, formatTokens, resetText, sessionTotals, usageLine } from "./usage.ts";

const usage = { inputTokens: 1_000, outputTokens: 200, cacheReadTokens: 50, cacheCreationTokens: 0 };

describe("usage", () => {
  test("a turn's line leaves out what is unknown", () => {
    expect(usageLine({ durationMs: 4_200, usage, costUsd: 0.0123 })).toBe("4.2 s · 1.3k tokens · $0.012");
    expect(usageLine({ durationMs: 900, usage: null, costUsd: null })).toBe("0.9 s");
  });

  test("numbers for people", () => {
    expect(formatTokens(950)).toBe("950");
    expect(formatTokens(12_345)).toBe("12k");
    expect(formatTokens(2_400_000)).toBe("2.4M");
    expect(formatCost(0)).toBe("$0");
    expect(formatCost(0.5)).toBe("$0.50");
    expect(formatCost(0.0042)).toBe("$0.0042");
  });

  test("session totals add the finished turns only", () => {
    const totals = sessionTotals([
      { durationMs: 1_000, usage, costUsd: 0.01 },
      { durationMs: 2_000, usage: null, costUsd: null },
      { durationMs: null, usage, costUsd: 5 },
    ]);
    expect(totals).toEqual({ turns: 2, durationMs: 3_000, usage, costUsd: 0.01 });
    expect(sessionTotals([])).toEqual({ turns: 0, durationMs: null, usage: null, costUsd: null });
  });

  test("a reset time today says the time; another day names the day; garbage is null", () => {
    const now = Date.parse("2026-12-03T10:00:00Z");
    expect(resetText("2026-12-03T15:00:00Z", now)).toStartWith("Resets at ");
    expect(resetText("2026-12-07T15:00:00Z", now)).toMatch(/^Resets \w/);
    expect(resetText("soon", now)).toBeNull();
  });

  test("changes in one line", () => {
    expect(
      changeSummary([
        { additions: 12, deletions: 3 },
        { additions: 8, deletions: 1 },
        { additions: 0, deletions: 0 },
      ]),
    ).toBe("3 files changed · +20 −4");
    expect(changeSummary([{ additions: 1, deletions: 0 }])).toBe("1 file changed · +1 −0");
  });
});
