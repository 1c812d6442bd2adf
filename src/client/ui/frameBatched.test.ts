import { describe, expect, test } from "bun:test";
import { assign, createActor, createMachine } from "xstate";
import { type FrameScheduler, frameBatchedSnapshots } from "./frameBatched.ts";

const counter = createMachine({
  types: {} as { context: { count: number }; events: { type: "INC" } | { type: "NOOP" } },
  context: { count: 0 },
  on: {
    INC: { actions: assign({ count: ({ context }) => context.count + 1 }) },
    NOOP: {},
  },
});

/** Frames that run only when the test says so. */
function manualFrames() {
  const pending: (() => void)[] = [];
  const frames: FrameScheduler = { request: (callback) => void pending.push(callback) };
  const tick = () => {
    for (const callback of pending.splice(0)) callback();
  };
  return { frames, pending, tick };
}

describe("frameBatchedSnapshots", () => {
  test("a burst of events becomes one change, with the latest snapshot", () => {
    const actor = createActor(counter).start();
    const { frames, pending, tick } = manualFrames();
    const store = frameBatchedSnapshots(actor, { frames });
    let changes = 0;
    store.subscribe(() => changes++);

    for (let i = 0; i < 50; i++) actor.send({ type: "INC" });
    expect(pending).toHaveLength(1);
    expect(store.getSnapshot().context.count).toBe(0);
    expect(changes).toBe(0);

    tick();
    expect(changes).toBe(1);
    expect(store.getSnapshot().context.count).toBe(50);
  });

  test("the next event after a frame asks for a new frame", () => {
    const actor = createActor(counter).start();
    const { frames, pending, tick } = manualFrames();
    const store = frameBatchedSnapshots(actor, { frames });
    actor.send({ type: "INC" });
    tick();
    actor.send({ type: "INC" });
    expect(pending).toHaveLength(1);
    tick();
    expect(store.getSnapshot().context.count).toBe(2);
  });

  test("listeners hear nothing when the snapshot did not change", () => {
    const actor = createActor(counter).start();
    const { frames, tick } = manualFrames();
    const store = frameBatchedSnapshots(actor, { frames });
    let changes = 0;
    const unsubscribe = store.subscribe(() => changes++);
    actor.send({ type: "NOOP" });
    tick();
    expect(changes).toBe(0);
    actor.send({ type: "INC" });
    unsubscribe();
    tick();
    expect(changes).toBe(0);
    expect(store.getSnapshot().context.count).toBe(1);
  });

  test("a held store keeps its snapshot until released, then shows the latest in one frame", () => {
    const actor = createActor(counter).start();
    const { frames, pending, tick } = manualFrames();
    const store = frameBatchedSnapshots(actor, { frames, held: true });
    let changes = 0;
    store.subscribe(() => changes++);
    actor.send({ type: "INC" });
    actor.send({ type: "INC" });
    expect(pending).toHaveLength(0);
    expect(store.getSnapshot().context.count).toBe(0);

    store.release();
    expect(pending).toHaveLength(1);
    tick();
    expect(changes).toBe(1);
    expect(store.getSnapshot().context.count).toBe(2);
    store.release(); // once is enough
    expect(pending).toHaveLength(0);
  });

  test("the browser scheduler falls back to a timer when no frame comes (hidden page)", async () => {
    const actor = createActor(counter).start();
    const store = frameBatchedSnapshots(actor);
    const changed = new Promise<void>((resolve) => store.subscribe(resolve));
    actor.send({ type: "INC" });
    await changed;
    expect(store.getSnapshot().context.count).toBe(1);
  });
});
