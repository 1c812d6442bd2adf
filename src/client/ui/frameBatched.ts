/**
 * An actor's snapshots, handed to React at most once per animation frame.
 *
 * Each Socket.IO message arrives in its own task, and every one moves the chat
 * machine. Rendering after each of them made a replay of a conversation (dozens
 * of events in a few milliseconds) into dozens of renders and forced layouts,
 * each a long task on a phone. Coalescing to the next frame renders a burst
 * once, and nothing is shown later than the frame that would have painted it.
 * The machine itself still sees every event at once; only the view waits.
 */
import type { AnyActorRef, SnapshotFrom } from "xstate";

export interface FrameScheduler {
  /** Runs `callback` before the next paint (requestAnimationFrame in a browser). */
  request(callback: () => void): void;
}

/** A hidden page gets no frames; the timer makes sure its state still catches up. */
const HIDDEN_PAGE_FALLBACK_MS = 100;

export const browserFrames: FrameScheduler = {
  request(callback) {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      callback();
    };
    const timer = setTimeout(once, HIDDEN_PAGE_FALLBACK_MS);
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(once);
  },
};

export interface SnapshotStore<S> {
  getSnapshot(): S;
  subscribe(onChange: () => void): () => void;
  /** Lets a held store (`held: true`) move again; what it held back is shown in the next frame. */
  release(): void;
}

export interface FrameBatchedOptions {
  frames?: FrameScheduler;
  /**
   * Start held: the snapshot stays where it is until `release()`. The app's first render is a
   * transition, sliced over several frames; a snapshot that moved meanwhile would make React
   * throw that work away and render everything again in one blocking pass.
   */
  held?: boolean;
}

export function frameBatchedSnapshots<A extends AnyActorRef>(
  actor: A,
  { frames = browserFrames, held = false }: FrameBatchedOptions = {},
): SnapshotStore<SnapshotFrom<A>> {
  let snapshot: SnapshotFrom<A> = actor.getSnapshot();
  let scheduled = false;
  let holding = held;
  let pending = false;
  const listeners = new Set<() => void>();

  const flush = () => {
    scheduled = false;
    const next = actor.getSnapshot();
    if (next === snapshot) return;
    snapshot = next;
    for (const listener of [...listeners]) listener();
  };
  const schedule = () => {
    if (holding) {
      pending = true;
      return;
    }
    if (scheduled) return;
    scheduled = true;
    frames.request(flush);
  };
  // Subscribed for the actor's lifetime: the store lives as long as the app.
  actor.subscribe({ next: schedule, error: schedule });

  return {
    getSnapshot: () => snapshot,
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    release() {
      if (!holding) return;
      holding = false;
      if (pending || actor.getSnapshot() !== snapshot) schedule();
      pending = false;
    },
  };
}
