import { afterEach, describe, expect, test } from "bun:test";
import { createSettler } from "./settle.ts";

const MS = 30;

/** A promise of the time `run` is called. */
function ran(): { run: () => void; at: Promise<number> } {
  let run = () => {};
  const at = new Promise<number>((resolve) => {
    run = () => resolve(performance.now());
  });
  return { run, at };
}

const realSetTimeout = globalThis.setTimeout;
afterEach(() => {
  globalThis.setTimeout = realSetTimeout;
});

describe("createSettler (a code block is coloured once its text stops changing)", () => {
  test("a key's callback runs once the key has gone the wait without news, and only its last one", async () => {
    const settler = createSettler(MS);
    const key = {};
    const calls: string[] = [];
    const last = ran();
    settler.wait(key, () => calls.push("first"));
    settler.wait(key, () => calls.push("second"));
    const lastWait = performance.now();
    settler.wait(key, () => {
      calls.push("third");
      last.run();
    });
    // Timers may fire up to a millisecond early in the clock performance.now() reads.
    expect(await last.at).toBeGreaterThanOrEqual(lastWait + MS - 1);
    expect(calls).toEqual(["third"]);
  });

  test("a cancelled key never runs; other keys are not held up by it", async () => {
    const settler = createSettler(MS);
    const cancelled = {};
    const other = ran();
    let ranCancelled = false;
    settler.wait(cancelled, () => {
      ranCancelled = true;
    });
    settler.cancel(cancelled);
    settler.wait({}, other.run);
    await other.at;
    expect(ranCancelled).toBe(false);
  });

  test("a key that changes while the timer is pending is checked again, not dropped", async () => {
    const settler = createSettler(MS);
    const key = {};
    const done = ran();
    settler.wait(key, done.run);
    // Half way through the wait (another settler's callback is the clock), the key changes.
    await new Promise<void>((resolve) => createSettler(MS / 2).wait({}, resolve));
    const moved = performance.now();
    settler.wait(key, done.run);
    expect(await done.at).toBeGreaterThanOrEqual(moved + MS - 1);
  });

  test("one timer serves a hundred changes: none is set while one is pending", async () => {
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    const settler = createSettler(MS);
    const done = ran();
    const key = {};
    for (let change = 0; change < 100; change++) settler.wait(key, done.run);
    await done.at;
    // The first, and at most one more: the last change came a little after the first, so the first
    // check may find it not yet due.
    expect(timers).toBeLessThanOrEqual(2);
  });
});
