import { describe, expect, test } from "bun:test";
import { startupCost } from "./startup.ts";

const PAGE = { pid: 2, tid: 2 };
const task = (atMs: number, durMs: number, thread = PAGE) => ({
  name: "RunTask",
  ph: "X",
  ...thread,
  ts: 1_000_000 + atMs * 1000,
  dur: durMs * 1000,
});
const navigationStart = (url: string, thread = PAGE) => ({
  name: "navigationStart",
  ph: "R",
  ...thread,
  ts: 1_000_000,
  args: { data: { documentLoaderURL: url } },
});

describe("startupCost", () => {
  test("counts the page's main-thread tasks inside the window: total, longest, blocking at 1× and 4×", () => {
    const events = [
      navigationStart(""),
      navigationStart("http://127.0.0.1:1/"),
      task(10, 20),
      task(100, 80),
      task(500, 5),
      task(2_999, 60),
      task(3_000, 500), // after the window
      task(50, 400, { pid: 9, tid: 9 }), // another process
    ];
    expect(startupCost(events, 3000)).toEqual({
      cpu: 165,
      wall: 165,
      longest: 80,
      longTasks: 2,
      blocking: 30 + 10,
      // 80, 320, 20, 240 ms at 4×: over 50 ms by 30 + 270 + 0 + 190.
      phoneBlocking: 30 + 270 + 190,
    });
  });

  test("without the page's navigationStart (a renderer that joined the trace late), the thread that parsed it", () => {
    const parse = {
      name: "ParseHTML",
      ph: "X",
      ...PAGE,
      ts: 1_050_000,
      dur: 1000,
      args: { beginData: { url: "https://x/" } },
    };
    const cost = startupCost([navigationStart(""), parse, task(40, 10), task(60, 70)], 3000);
    expect(cost.cpu).toBe(80);
    expect(cost.longest).toBe(70);
  });

  test("tasks count in the thread's CPU time when the trace has it; wall time is kept beside it", () => {
    const cost = startupCost([navigationStart("http://x/"), { ...task(0, 120), tdur: 40_000 }, task(200, 30)], 3000);
    expect(cost).toMatchObject({ cpu: 70, wall: 150, longest: 40, longTasks: 0, blocking: 0 });
    // 160 and 120 ms at 4×.
    expect(cost.phoneBlocking).toBe(110 + 70);
  });

  test("no page in the trace is an error, not zeros", () => {
    expect(() => startupCost([navigationStart(""), task(0, 10)], 3000)).toThrow("no page navigation");
  });
});
