import { afterEach, describe, expect, test } from "bun:test";
import { type Actor, createActor, type SnapshotFrom, waitFor } from "xstate";
import { tick } from "../testing/fakeSocket.ts";
import { FakeVoice } from "../testing/fakeVoice.ts";
import { recorderMachine } from "./recorderMachine.ts";

type RecorderActor = Actor<typeof recorderMachine>;
type Snapshot = SnapshotFrom<typeof recorderMachine>;

const running: RecorderActor[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

function start(voice = new FakeVoice()) {
  const actor = createActor(recorderMachine, { input: { deps: voice.deps } });
  const transcripts: string[] = [];
  actor.on("transcript", (event) => transcripts.push(event.text));
  running.push(actor);
  actor.start();
  const until = (predicate: (s: Snapshot) => boolean) => waitFor(actor, predicate, { timeout: 1_000 });
  return { actor, voice, transcripts, until };
}

const recording = (s: Snapshot) => s.matches({ recorder: { capture: "recording" } });
const inError = (s: Snapshot) => s.matches({ recorder: "error" });
const idle = (s: Snapshot) => s.matches({ recorder: "idle" });

async function recordFor(h: ReturnType<typeof start>, ms: number) {
  h.actor.send({ type: "RECORD" });
  await h.until(recording);
  h.voice.clock += ms;
  h.actor.send({ type: "STOP" });
}

describe("recorder machine", () => {
  test("record → stop → upload → transcribe → the text is emitted, the mic released", async () => {
    const h = start();
    h.actor.send({ type: "CHECK" });
    let snap = await h.until((s) => s.matches({ availability: "known" }));
    expect(snap.context.status?.engine).toBe("pocketsphinx");

    h.actor.send({ type: "RECORD" });
    expect(h.actor.getSnapshot().matches({ recorder: "acquiring" })).toBe(true);
    snap = await h.until(recording);
    expect(snap.context.startedAt).toBe(1_000);
    expect(snap.context.stream).toBe(h.voice.streams[0] ?? null);
    expect(h.voice.recorders[0]?.mimeType).toBe("audio/webm;codecs=opus");
    expect(h.voice.recorders[0]?.recorder.state).toBe("recording");

    h.voice.clock += 2_300;
    h.actor.send({ type: "STOP" });
    expect(h.actor.getSnapshot().matches({ recorder: { capture: "stopping" } })).toBe(true);
    snap = await h.until((s) => s.matches({ recorder: { sending: "uploading" } }));
    expect(snap.context.durationMs).toBe(2_300);
    expect(snap.context.stream).toBeNull();
    expect(h.voice.streams[0]?.stopped).toBe(true);
    const upload = h.voice.uploads[0];
    expect(upload?.audio.size).toBe(h.voice.payload.size);
    expect(upload?.audio.type).toBe("audio/webm;codecs=opus");

    upload?.onUploaded();
    await h.until((s) => s.matches({ recorder: { sending: "transcribing" } }));
    upload?.resolve({
      ok: true,
      result: {
        text: " run the tests ",
        engine: "pocketsphinx",
        engineMs: 1,
        totalMs: 2,
        overheadMs: 1,
        audioMs: 2300,
      },
    });
    snap = await h.until(idle);
    expect(h.transcripts).toEqual(["run the tests"]);
    expect(snap.context.error).toBeNull();
    expect(snap.context.audio).toBeNull();
  });

  test("format negotiation: Opus/WebM, else MP4 (iOS Safari), else the browser's default", async () => {
    for (const [types, expected] of [
      [["audio/webm;codecs=opus", "audio/mp4"], "audio/webm;codecs=opus"],
      [["audio/mp4"], "audio/mp4"],
      [[], undefined],
    ] as const) {
      const voice = new FakeVoice();
      voice.supportedTypes = new Set(types);
      const h = start(voice);
      h.actor.send({ type: "RECORD" });
      await h.until(recording);
      expect(voice.recorders[0]?.mimeType).toBe(expected);
      h.actor.send({ type: "CANCEL" });
    }
  });

  test("microphone blocked or missing: a clear error, nothing recorded", async () => {
    for (const name of ["NotAllowedError", "NotFoundError"]) {
      const voice = new FakeVoice();
      voice.micError = { name };
      const h = start(voice);
      h.actor.send({ type: "RECORD" });
      const snap = await h.until(inError);
      expect(snap.context.error).toEqual({ kind: "mic", name });
      expect(voice.recorders).toHaveLength(0);
    }
  });

  test("an error goes by itself once it is stale, and at once when dismissed", async () => {
    const voice = new FakeVoice();
    voice.micError = { name: "NotAllowedError" };
    const actor = createActor(recorderMachine.provide({ delays: { staleError: 20 } }), { input: { deps: voice.deps } });
    running.push(actor);
    actor.start();
    actor.send({ type: "RECORD" });
    await waitFor(actor, inError, { timeout: 1_000 });
    const cleared = await waitFor(actor, idle, { timeout: 1_000 });
    expect(cleared.context.error).toBeNull();

    const h = start(voice);
    h.actor.send({ type: "RECORD" });
    await h.until(inError);
    h.actor.send({ type: "DISMISS" });
    expect(h.actor.getSnapshot().context.error).toBeNull();
    expect(idle(h.actor.getSnapshot())).toBe(true);
  });

  test("too short (< 0.5 s): not sent", async () => {
    const h = start();
    await recordFor(h, 300);
    const snap = await h.until(inError);
    expect(snap.context.error).toEqual({ kind: "too-short" });
    expect(h.voice.uploads).toHaveLength(0);
    expect(h.voice.streams[0]?.stopped).toBe(true);
  });

  test("an empty transcript: Didn't catch that", async () => {
    const h = start();
    await recordFor(h, 1_000);
    await h.until((s) => s.matches({ recorder: "sending" }));
    h.voice.uploads[0]?.resolve({
      ok: true,
      result: { text: "  ", engine: "whisper", engineMs: 1, totalMs: 1, overheadMs: 0, audioMs: 1000 },
    });
    const snap = await h.until(inError);
    expect(snap.context.error).toEqual({ kind: "empty-transcript" });
    expect(h.transcripts).toEqual([]);
  });

  test("a server error keeps its status, code and message; NO_ENGINE checks the status again", async () => {
    const h = start();
    await recordFor(h, 1_000);
    await h.until((s) => s.matches({ recorder: "sending" }));
    h.voice.uploads[0]?.resolve({
      ok: false,
      status: 503,
      code: "NO_ENGINE",
      message: "No speech-to-text engine is set up: install pocketsphinx.",
      retryAfterSec: null,
    });
    const snap = await h.until((s) => inError(s) && s.matches({ availability: "known" }));
    expect(snap.context.error).toEqual({
      kind: "server",
      status: 503,
      code: "NO_ENGINE",
      message: "No speech-to-text engine is set up: install pocketsphinx.",
      retryAfterSec: null,
    });
    expect(h.voice.statusCalls).toBe(1);
  });

  test("a network failure", async () => {
    const h = start();
    await recordFor(h, 1_000);
    await h.until((s) => s.matches({ recorder: "sending" }));
    h.voice.uploads[0]?.reject(new TypeError("Failed to fetch"));
    expect((await h.until(inError)).context.error).toEqual({ kind: "network" });
  });

  test("Cancel while recording drops it: no upload, no text, the mic released", async () => {
    const h = start();
    h.actor.send({ type: "RECORD" });
    await h.until(recording);
    h.actor.send({ type: "CANCEL" });
    expect(idle(h.actor.getSnapshot())).toBe(true);
    await tick(5);
    expect(h.voice.uploads).toHaveLength(0);
    expect(h.voice.streams[0]?.stopped).toBe(true);
    expect(h.voice.recorders[0]?.recorder.state).toBe("inactive");
    expect(h.transcripts).toEqual([]);
  });

  test("Cancel while uploading aborts the request", async () => {
    const h = start();
    await recordFor(h, 1_000);
    await h.until((s) => s.matches({ recorder: "sending" }));
    h.actor.send({ type: "CANCEL" });
    expect(h.voice.uploads[0]?.signal.aborted).toBe(true);
    h.voice.uploads[0]?.resolve({
      ok: true,
      result: { text: "late", engine: "whisper", engineMs: 1, totalMs: 1, overheadMs: 0, audioMs: 1 },
    });
    await tick(5);
    expect(h.transcripts).toEqual([]);
    expect(idle(h.actor.getSnapshot())).toBe(true);
  });

  test("a microphone granted after Cancel is closed at once", async () => {
    const voice = new FakeVoice();
    voice.holdStream = true;
    const h = start(voice);
    h.actor.send({ type: "RECORD" });
    h.actor.send({ type: "CANCEL" });
    voice.releaseStream();
    await tick(5);
    expect(voice.streams[0]?.stopped).toBe(true);
    expect(idle(h.actor.getSnapshot())).toBe(true);
  });

  test("no engine on the server: Record does not open the microphone", async () => {
    const voice = new FakeVoice();
    voice.status = { ...voice.status, engine: null, setupHint: "Install pocketsphinx." };
    const h = start(voice);
    h.actor.send({ type: "CHECK" });
    await h.until((s) => s.matches({ availability: "known" }));
    h.actor.send({ type: "RECORD" });
    await h.until((s) => s.matches({ availability: "known" }) && voice.statusCalls === 2);
    expect(idle(h.actor.getSnapshot())).toBe(true);
    expect(voice.streams).toHaveLength(0);
  });

  test("a browser that cannot record says so", async () => {
    const voice = new FakeVoice();
    voice.canRecord = false;
    const h = start(voice);
    h.actor.send({ type: "RECORD" });
    expect(h.actor.getSnapshot().context.error).toEqual({ kind: "unsupported" });
  });

  test("the duration limit stops the recording by itself", async () => {
    const voice = new FakeVoice();
    voice.status = { ...voice.status, maxDurationSec: 0.03 };
    const h = start(voice);
    h.actor.send({ type: "CHECK" });
    await h.until((s) => s.matches({ availability: "known" }));
    h.actor.send({ type: "RECORD" });
    await h.until(recording);
    voice.clock += 30_000;
    await h.until((s) => s.matches({ recorder: "sending" }));
    expect(voice.uploads).toHaveLength(1);
  });

  test("a recording over the size limit is not sent", async () => {
    const voice = new FakeVoice();
    voice.status = { ...voice.status, maxBytes: 3 };
    const h = start(voice);
    h.actor.send({ type: "CHECK" });
    await h.until((s) => s.matches({ availability: "known" }));
    await recordFor(h, 1_000);
    expect((await h.until(inError)).context.error).toEqual({ kind: "too-large", maxBytes: 3 });
  });

  test("the recorder failing mid-way, and trying again from the error", async () => {
    const h = start();
    h.actor.send({ type: "RECORD" });
    await h.until(recording);
    h.voice.recorders[0]?.recorder.fail();
    let snap = await h.until(inError);
    expect(snap.context.error).toEqual({ kind: "recorder-failed" });
    h.actor.send({ type: "RECORD" });
    snap = await h.until(recording);
    expect(snap.context.error).toBeNull();
    expect(h.voice.streams).toHaveLength(2);
    h.actor.send({ type: "DISMISS" });
  });

  test("an unreachable status check leaves availability unknown (recording still allowed)", async () => {
    const voice = new FakeVoice();
    voice.deps.fetchStatus = () => Promise.reject(new Error("401"));
    const h = start(voice);
    h.actor.send({ type: "CHECK" });
    await h.until((s) => s.matches({ availability: "unknown" }) && voice.recorders.length === 0);
    h.actor.send({ type: "RECORD" });
    await h.until(recording);
  });
});
