import { afterEach, describe, expect, test } from "bun:test";
import { waitFor } from "xstate";
import { FakeVoice } from "../testing/fakeVoice.ts";
import { type RecorderActorRef, startRecorder } from "./recorder.ts";
import { createVoiceControl, type VoiceControl, type VoiceView } from "./voiceControl.ts";

const running: RecorderActorRef[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

/** A control over the real recorder machine with the fake browser; its chunk "loads" when `arrive()` is called. */
function control(voice = new FakeVoice()) {
  let arrive: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  let loads = 0;
  const voiceControl = createVoiceControl(() => {
    loads += 1;
    return new Promise((resolve, reject) => {
      arrive = () => {
        const loaded = startRecorder(voice.deps);
        running.push(loaded.actor);
        resolve(loaded);
      };
      fail = reject;
    });
  });
  return {
    voice,
    control: voiceControl,
    arrive: () => arrive(),
    fail: (error: Error) => fail(error),
    loads: () => loads,
  };
}

/** Resolves with the first view that `predicate` accepts (the current one included). */
function viewWhere(voice: VoiceControl, predicate: (view: VoiceView) => boolean): Promise<VoiceView> {
  return new Promise((resolve) => {
    const check = () => {
      const view = voice.getSnapshot();
      if (!predicate(view)) return false;
      subscription?.unsubscribe();
      resolve(view);
      return true;
    };
    let subscription: { unsubscribe(): void } | undefined;
    if (check()) return;
    subscription = voice.subscribe({ next: check });
  });
}

describe("voice control", () => {
  test("the preload loads the recorder, and the CHECK waiting for it goes out", async () => {
    const h = control();
    h.control.sendWhenLoaded({ type: "CHECK" });
    h.control.preload();
    expect(h.loads()).toBe(1);
    h.arrive();
    const known = await viewWhere(h.control, (view) => view.status !== null);
    expect(known).toMatchObject({ phase: "idle", loadFailed: false });
    expect(h.voice.statusCalls).toBe(1);
    expect(h.control.actor).not.toBeNull();
  });

  test("before anyone asks, nothing loads and the mic shows idle with nothing known", () => {
    const h = control();
    expect(h.control.getSnapshot()).toEqual({ phase: "idle", status: null, loadFailed: false });
    expect(h.control.actor).toBeNull();
    expect(h.loads()).toBe(0);
  });

  test("requests made while the recorder loads reach it in order, then go straight to it", async () => {
    const h = control();
    // The app's CHECK waits for the idle preload; a tap on the mic loads the recorder at once.
    h.control.sendWhenLoaded({ type: "CHECK" });
    expect(h.loads()).toBe(0);
    h.control.send({ type: "RECORD" });
    h.control.preload();
    // One load for all.
    expect(h.loads()).toBe(1);
    expect(h.control.getSnapshot().phase).toBe("idle");

    h.arrive();
    const recording = await viewWhere(h.control, (view) => view.phase === "recording");
    expect(recording.status?.engine).toBe("pocketsphinx");
    expect(h.voice.statusCalls).toBe(1);
    expect(h.voice.streams).toHaveLength(1);

    h.control.send({ type: "CANCEL" });
    await viewWhere(h.control, (view) => view.phase === "idle");
    expect(h.voice.streams[0]?.stopped).toBe(true);
    expect(h.loads()).toBe(1);
  });

  test("a transcript reaches the composer's listener, and no longer once it has left", async () => {
    const h = control();
    /** Records, stops and has "run the tests" transcribed (the `upload`-th upload of the test). */
    const dictate = async (upload: number) => {
      await viewWhere(h.control, (view) => view.phase === "recording");
      h.voice.clock += 2_000;
      h.control.send({ type: "STOP" });
      // Stopping and uploading look alike on the mic ("uploading"): the upload itself is the machine's to say.
      const actor = h.control.actor;
      if (!actor) throw new Error("the recorder has not loaded");
      await waitFor(actor, (s) => s.matches({ recorder: { sending: "uploading" } }), { timeout: 1_000 });
      h.voice.uploads[upload]?.resolve({
        ok: true,
        result: {
          text: "run the tests",
          engine: "pocketsphinx",
          engineMs: 1,
          totalMs: 2,
          overheadMs: 1,
          audioMs: 2000,
        },
      });
      await viewWhere(h.control, (view) => view.phase === "idle");
    };
    const heard: string[] = [];
    const stop = h.control.onTranscript((text) => heard.push(text));
    h.control.send({ type: "RECORD" });
    h.arrive();
    await dictate(0);
    expect(heard).toEqual(["run the tests"]);

    stop();
    h.control.send({ type: "RECORD" });
    await dictate(1);
    expect(heard).toEqual(["run the tests"]);
  });

  test("code that cannot load: the view says so, the waiting requests are dropped, and the next request loads again", async () => {
    const h = control();
    const errors: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      h.control.send({ type: "RECORD" });
      expect(h.loads()).toBe(1);
      h.fail(new Error("Failed to fetch dynamically imported module"));
      await viewWhere(h.control, (view) => view.loadFailed);
      expect(errors).toHaveLength(1);
    } finally {
      console.error = consoleError;
    }
    expect(h.control.getSnapshot()).toEqual({ phase: "idle", status: null, loadFailed: true });

    // A tap on the mic asks again (its CHECK loads the code): this time the code arrives, and only
    // the new request reaches it.
    h.control.send({ type: "CHECK" });
    expect(h.loads()).toBe(2);
    h.arrive();
    const known = await viewWhere(h.control, (view) => view.status !== null);
    expect(known).toMatchObject({ phase: "idle", loadFailed: false });
    expect(h.voice.streams).toHaveLength(0);
  });
});
