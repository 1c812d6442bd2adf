import { describe, expect, test } from "bun:test";
import { SEARCH_LIMIT } from "../sessions/store.ts";
import { mergeSearches, type RankedHit } from "./search.ts";

const hit = (sessionId: string, updatedAt: string, machineId = "local", snippet?: string): RankedHit => ({
  sessionId,
  machineId,
  updatedAt,
  ...(snippet === undefined ? {} : { snippet }),
});

describe("mergeSearches", () => {
  test("title matches of every machine first, then message matches, each most recent first", () => {
    const local = [hit("t-old", "2026-01-01T00:00:00.000Z"), hit("m-new", "2026-03-01T00:00:00.000Z", "local", "…x…")];
    const remote = [
      hit("t-new", "2026-02-01T00:00:00.000Z", "box"),
      hit("m-old", "2026-01-15T00:00:00.000Z", "box", "…y…"),
    ];
    expect(mergeSearches(local, remote)).toEqual([
      { sessionId: "t-new", machineId: "box" },
      { sessionId: "t-old", machineId: "local" },
      { sessionId: "m-new", machineId: "local", snippet: "…x…" },
      { sessionId: "m-old", machineId: "box", snippet: "…y…" },
    ]);
  });

  test("at most SEARCH_LIMIT", () => {
    const many = Array.from({ length: SEARCH_LIMIT + 5 }, (_, i) => hit(`s${i}`, new Date(i * 1000).toISOString()));
    const merged = mergeSearches(many.slice(0, 20), many.slice(20));
    expect(merged).toHaveLength(SEARCH_LIMIT);
    expect(merged[0]?.sessionId).toBe(`s${SEARCH_LIMIT + 4}`);
  });
});
