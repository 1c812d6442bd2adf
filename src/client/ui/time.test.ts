import { expect, test } from "bun:test";
import { formatDuration, relativeAge } from "./time.ts";

test("relativeAge", () => {
  const now = Date.parse("2026-03-10T12:00:00Z");
  const ago = (ms: number) => new Date(now - ms).toISOString();
  expect(relativeAge(ago(10_000), now)).toBe("just now");
  expect(relativeAge(ago(5 * 60_000), now)).toBe("5 min ago");
  expect(relativeAge(ago(3 * 3_600_000), now)).toBe("3 h ago");
  expect(relativeAge(ago(26 * 3_600_000), now)).toBe("yesterday");
  expect(relativeAge(ago(4 * 86_400_000), now)).toBe("4 d ago");
  expect(relativeAge(ago(-60_000), now)).toBe("just now");
  expect(relativeAge("nonsense", now)).toBe("");
});

test("formatDuration", () => {
  expect(formatDuration(860)).toBe("0.9 s");
  expect(formatDuration(12_345)).toBe("12 s");
  expect(formatDuration(125_000)).toBe("2 min 5 s");
  expect(formatDuration(120_000)).toBe("2 min");
});
