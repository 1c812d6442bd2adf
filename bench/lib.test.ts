import { expect, test } from "bun:test";
import { loadNote, median, rotated } from "./lib.ts";

test("rotated: each round starts one item later, every item once", () => {
  const pages = ["first run", "conversation", "baseline"];
  expect([0, 1, 2, 3].map((round) => rotated(pages, round))).toEqual([
    ["first run", "conversation", "baseline"],
    ["conversation", "baseline", "first run"],
    ["baseline", "first run", "conversation"],
    ["first run", "conversation", "baseline"],
  ]);
});

test("median: the middle value, or the mean of the two middle ones", () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
});

test("loadNote marks a run that started above 1.0 as noisy", () => {
  expect(loadNote(0.4, 1.7)).toBe("Load average 0.40 → 1.70.");
  expect(loadNote(1.3, 0.9)).toContain("Noisy run");
  expect(loadNote(1.0, 0.9)).not.toContain("Noisy");
});
