import { describe, expect, test } from "bun:test";
import { chunk, forgetFailedChunks } from "./chunk.ts";

/** A loader that fails while `down` is true, counting its calls. */
function flakyLoader<T>(value: T) {
  const state = { down: true, calls: 0 };
  const load = () => {
    state.calls += 1;
    return state.down
      ? Promise.reject(new Error("Failed to fetch dynamically imported module"))
      : Promise.resolve(value);
  };
  return { state, load };
}

describe("chunk", () => {
  test("one load is shared, and once loaded the module is there without waiting", async () => {
    let calls = 0;
    const part = chunk(async () => {
      calls += 1;
      return { name: "sheet" };
    });
    expect(part.loaded).toBeUndefined();
    const first = part.load();
    expect(part.load()).toBe(first);
    part.prefetch();
    expect(await first).toEqual({ name: "sheet" });
    expect(part.loaded).toEqual({ name: "sheet" });
    expect(calls).toBe(1);
  });

  test("a failed load stays failed for its renders until its boundary has caught it, then loads afresh", async () => {
    const { state, load } = flakyLoader("sheet");
    const part = chunk(load);
    const failing = part.load();
    await expect(failing).rejects.toThrow("Failed to fetch");
    // A render re-running after the failure meets the same error instead of suspending on a new load.
    expect(part.load()).toBe(failing);
    expect(state.calls).toBe(1);

    state.down = false;
    forgetFailedChunks();
    expect(await part.load()).toBe("sheet");
    expect(part.loaded).toBe("sheet");
    expect(state.calls).toBe(2);
  });

  test("a failed prefetch is forgotten: the first use tries again", async () => {
    const { state, load } = flakyLoader("card");
    const part = chunk(load);
    part.prefetch();
    // Let the rejection and its handler run.
    await new Promise((resolve) => setTimeout(resolve, 0));
    state.down = false;
    expect(await part.load()).toBe("card");
    expect(state.calls).toBe(2);
  });

  test("a prefetch joining a load already under way does not wipe that load's failure", async () => {
    const { state, load } = flakyLoader("strip");
    const part = chunk(load);
    const used = part.load();
    part.prefetch();
    await expect(used).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The prefetch shared the render's load, so the failure is the render's to show: it stays.
    expect(part.load()).toBe(used);
    expect(state.calls).toBe(1);
  });

  test("an optional use does without a module that cannot load, and the next use tries again", async () => {
    const { state, load } = flakyLoader("colours");
    const part = chunk(load);
    expect(await part.optional()).toBeNull();
    expect(await part.optional()).toBeNull();
    expect(state.calls).toBe(2);
    state.down = false;
    expect(await part.optional()).toBe("colours");
    expect(part.loaded).toBe("colours");
    expect(state.calls).toBe(3);
  });
});
