/**
 * Voice dictation: microphone → MediaRecorder → `POST /api/transcribe` → text
 * for the composer (never sent by itself).
 *
 * Everything that touches the browser comes in through `RecorderDeps`
 * (browserVoice.ts has the real ones; the tests inject fakes), so the
 * machine runs without a DOM.
 *
 * Two parallel regions:
 * - availability: unknown → checking → known (`GET /api/transcribe` says
 *   whether an engine is set up, and the limits); CHECK asks again.
 * - recorder: idle → acquiring (getUserMedia) → capture.recording
 *   → capture.stopping (STOP, or the duration limit) → sending.uploading
 *   → sending.transcribing → idle (emits `transcript`), or error. CANCEL
 *   drops the recording (or the request) at any point.
 */
import { assign, emit, enqueueActions, fromCallback, fromPromise, sendTo, setup } from "xstate";
import { MIN_RECORDING_MS, pickMimeType, type TranscribeOutcome, type VoiceError, type VoiceStatus } from "./voice.ts";

/** The part of a MediaStream the machine needs. */
export interface StreamLike {
  getTracks(): ReadonlyArray<{ stop(): void }>;
}

/** The part of a MediaRecorder the machine needs. */
export interface RecorderLike {
  readonly state: "inactive" | "recording" | "paused";
  readonly mimeType: string;
  start(): void;
  stop(): void;
  addEventListener(type: "dataavailable", listener: (event: { data: Blob }) => void): void;
  addEventListener(type: "stop" | "error", listener: () => void): void;
}

export interface RecorderDeps {
  now(): number;
  /** False when the page cannot record at all (no mediaDevices or MediaRecorder, insecure context). */
  supported(): boolean;
  /** getUserMedia({ audio: true }); rejects with the browser's error (its `name` says why). */
  getStream(): Promise<StreamLike>;
  isTypeSupported(type: string): boolean;
  createRecorder(stream: StreamLike, mimeType: string | undefined): RecorderLike;
  fetchStatus(signal: AbortSignal): Promise<VoiceStatus>;
  /** Uploads the recording; calls `onUploaded` when the last byte is sent (the server is transcribing). */
  transcribe(audio: Blob, options: { signal: AbortSignal; onUploaded: () => void }): Promise<TranscribeOutcome>;
}

export type Availability = "unknown" | "checking" | "available" | "unavailable";

export interface RecorderContext {
  deps: RecorderDeps;
  status: VoiceStatus | null;
  /** The open microphone while capturing (for the level meter). */
  stream: StreamLike | null;
  /** When capture started (deps.now()), for the elapsed time. */
  startedAt: number | null;
  /** How long the recording lasted, set at STOP. */
  durationMs: number | null;
  audio: Blob | null;
  error: VoiceError | null;
}

export type RecorderEvent =
  | { type: "CHECK" }
  | { type: "RECORD" }
  | { type: "STOP" }
  | { type: "CANCEL" }
  | { type: "DISMISS" }
  | { type: "RECORDER.DONE"; audio: Blob }
  | { type: "RECORDER.FAILED" }
  | { type: "UPLOADED" }
  | { type: "TRANSCRIBED"; text: string }
  | { type: "TRANSCRIBE.FAILED"; error: VoiceError };

export type RecorderEmitted = { type: "transcript"; text: string };

/** Fallback limit until the server said (its default is 10 min). */
const DEFAULT_MAX_DURATION_SEC = 600;

function micError(error: unknown): VoiceError {
  const name = typeof error === "object" && error !== null && "name" in error ? String(error.name) : "Error";
  return { kind: "mic", name };
}

function stopTracks(stream: StreamLike | null): void {
  for (const track of stream?.getTracks() ?? []) {
    try {
      track.stop();
    } catch {
      // already stopped
    }
  }
}

/** Opens the microphone. A stream that arrives after a cancel is closed at once. */
const openMicrophone = fromPromise<StreamLike, { deps: RecorderDeps }>(async ({ input, signal }) => {
  const stream = await input.deps.getStream();
  if (signal.aborted) stopTracks(stream);
  return stream;
});

/** Runs a MediaRecorder on the stream; STOP finishes it (RECORDER.DONE with the audio), stopping the actor drops it. */
const captureAudio = fromCallback<RecorderEvent, { deps: RecorderDeps; stream: StreamLike }>(
  ({ input, sendBack, receive }) => {
    const { deps, stream } = input;
    const mimeType = pickMimeType((type) => deps.isTypeSupported(type));
    let recorder: RecorderLike;
    try {
      recorder = deps.createRecorder(stream, mimeType);
    } catch {
      sendBack({ type: "RECORDER.FAILED" });
      return undefined;
    }
    const chunks: Blob[] = [];
    let live = true;
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    recorder.addEventListener("stop", () => {
      if (!live) return;
      const type = recorder.mimeType || mimeType || chunks[0]?.type || "";
      sendBack({ type: "RECORDER.DONE", audio: new Blob(chunks, type ? { type } : {}) });
    });
    recorder.addEventListener("error", () => {
      if (live) sendBack({ type: "RECORDER.FAILED" });
    });
    try {
      recorder.start();
    } catch {
      sendBack({ type: "RECORDER.FAILED" });
    }
    receive((event) => {
      if (event.type === "STOP" && recorder.state !== "inactive") recorder.stop();
    });
    return () => {
      live = false;
      if (recorder.state !== "inactive") {
        try {
          recorder.stop();
        } catch {
          // already stopped
        }
      }
    };
  },
);

/** Sends the audio; UPLOADED once it is on the server, then TRANSCRIBED or TRANSCRIBE.FAILED. Stopping aborts it. */
const sendAudio = fromCallback<RecorderEvent, { deps: RecorderDeps; audio: Blob }>(({ input, sendBack }) => {
  const controller = new AbortController();
  input.deps
    .transcribe(input.audio, { signal: controller.signal, onUploaded: () => sendBack({ type: "UPLOADED" }) })
    .then(
      (outcome) => {
        if (controller.signal.aborted) return;
        if (outcome.ok) sendBack({ type: "TRANSCRIBED", text: outcome.result.text });
        else sendBack({ type: "TRANSCRIBE.FAILED", error: { kind: "server", ...withoutOk(outcome) } });
      },
      () => {
        if (!controller.signal.aborted) sendBack({ type: "TRANSCRIBE.FAILED", error: { kind: "network" } });
      },
    );
  return () => controller.abort();
});

function withoutOk(outcome: Extract<TranscribeOutcome, { ok: false }>) {
  const { ok: _ok, ...rest } = outcome;
  return rest;
}

export const recorderMachine = setup({
  types: {
    context: {} as RecorderContext,
    events: {} as RecorderEvent,
    input: {} as { deps: RecorderDeps },
    emitted: {} as RecorderEmitted,
  },
  actors: {
    fetchStatus: fromPromise<VoiceStatus, { deps: RecorderDeps }>(({ input, signal }) =>
      input.deps.fetchStatus(signal),
    ),
    openMicrophone,
    captureAudio,
    sendAudio,
  },
  delays: {
    maxDuration: ({ context }) => (context.status?.maxDurationSec ?? DEFAULT_MAX_DURATION_SEC) * 1000,
    /** An error shown longer than this is about a recording the user has moved on from: it goes. */
    staleError: 20_000,
  },
  guards: {
    /** The server said no engine is set up: recording would only end in NO_ENGINE. */
    engineMissing: ({ context }) => context.status !== null && context.status.engine === null,
    unsupported: ({ context }) => !context.deps.supported(),
    tooShort: ({ context }) => (context.durationMs ?? 0) < MIN_RECORDING_MS,
    emptyAudio: ({ event }) => event.type === "RECORDER.DONE" && event.audio.size === 0,
    tooLarge: ({ context, event }) =>
      event.type === "RECORDER.DONE" && context.status !== null && event.audio.size > context.status.maxBytes,
    emptyText: ({ event }) => event.type === "TRANSCRIBED" && event.text.trim() === "",
  },
  actions: {
    releaseMicrophone: assign(({ context }) => {
      stopTracks(context.stream);
      return { stream: null };
    }),
    markStopped: assign(({ context }) => ({
      durationMs: context.startedAt === null ? 0 : context.deps.now() - context.startedAt,
    })),
    clearRecording: assign({ audio: null, startedAt: null, durationMs: null }),
  },
}).createMachine({
  id: "recorder",
  type: "parallel",
  context: ({ input }) => ({
    deps: input.deps,
    status: null,
    stream: null,
    startedAt: null,
    durationMs: null,
    audio: null,
    error: null,
  }),
  states: {
    availability: {
      initial: "unknown",
      states: {
        unknown: { on: { CHECK: "checking" } },
        checking: {
          invoke: {
            src: "fetchStatus",
            input: ({ context }) => ({ deps: context.deps }),
            onDone: { target: "known", actions: assign({ status: ({ event }) => event.output }) },
            // Not paired yet, offline…: stay unknown (recording is still allowed; the server has the last word).
            onError: { target: "unknown" },
          },
        },
        known: { on: { CHECK: "checking" } },
      },
    },
    recorder: {
      initial: "idle",
      states: {
        idle: {
          on: {
            RECORD: [
              { guard: "unsupported", target: "error", actions: assign({ error: { kind: "unsupported" } }) },
              // The button explains why (setupHint); look again in case an engine was installed since.
              { guard: "engineMissing", actions: sendTo(({ self }) => self, { type: "CHECK" }) },
              { target: "acquiring" },
            ],
          },
        },
        acquiring: {
          entry: assign({ error: null }),
          invoke: {
            src: "openMicrophone",
            input: ({ context }) => ({ deps: context.deps }),
            onDone: { target: "capture", actions: assign({ stream: ({ event }) => event.output }) },
            onError: { target: "error", actions: assign({ error: ({ event }) => micError(event.error) }) },
          },
          on: { CANCEL: "idle" },
        },
        capture: {
          entry: assign(({ context }) => ({ startedAt: context.deps.now(), durationMs: null, audio: null })),
          exit: "releaseMicrophone",
          invoke: {
            id: "capture",
            src: "captureAudio",
            input: ({ context }) => ({ deps: context.deps, stream: context.stream ?? { getTracks: () => [] } }),
          },
          initial: "recording",
          on: {
            CANCEL: { target: "idle", actions: "clearRecording" },
            "RECORDER.FAILED": { target: "error", actions: assign({ error: { kind: "recorder-failed" } }) },
            "RECORDER.DONE": [
              { guard: "tooShort", target: "error", actions: assign({ error: { kind: "too-short" } }) },
              { guard: "emptyAudio", target: "error", actions: assign({ error: { kind: "too-short" } }) },
              {
                guard: "tooLarge",
                target: "error",
                actions: assign(({ context }) => ({
                  error: { kind: "too-large", maxBytes: context.status?.maxBytes ?? 0 },
                })),
              },
              { target: "sending", actions: assign({ audio: ({ event }) => event.audio }) },
            ],
          },
          states: {
            recording: {
              after: {
                maxDuration: { target: "stopping", actions: ["markStopped", sendTo("capture", { type: "STOP" })] },
              },
              on: {
                STOP: { target: "stopping", actions: ["markStopped", sendTo("capture", { type: "STOP" })] },
                RECORD: { target: "stopping", actions: ["markStopped", sendTo("capture", { type: "STOP" })] },
              },
            },
            stopping: {},
          },
        },
        sending: {
          invoke: {
            src: "sendAudio",
            input: ({ context }) => ({ deps: context.deps, audio: context.audio ?? new Blob([]) }),
          },
          initial: "uploading",
          states: {
            uploading: { on: { UPLOADED: "transcribing" } },
            transcribing: {},
          },
          on: {
            CANCEL: { target: "idle", actions: "clearRecording" },
            TRANSCRIBED: [
              { guard: "emptyText", target: "error", actions: assign({ error: { kind: "empty-transcript" } }) },
              {
                target: "idle",
                actions: [emit(({ event }) => ({ type: "transcript", text: event.text.trim() })), "clearRecording"],
              },
            ],
            "TRANSCRIBE.FAILED": {
              target: "error",
              actions: [
                assign({ error: ({ event }) => event.error }),
                // The engine went away: the button should say so (and how to set one up).
                enqueueActions(({ event, enqueue, self }) => {
                  if (event.error.kind === "server" && event.error.code === "NO_ENGINE") {
                    enqueue.sendTo(self, { type: "CHECK" });
                  }
                }),
              ],
            },
          },
        },
        error: {
          on: {
            RECORD: [
              { guard: "unsupported" },
              { guard: "engineMissing", target: "idle", actions: sendTo(({ self }) => self, { type: "CHECK" }) },
              { target: "acquiring" },
            ],
            DISMISS: { target: "idle", actions: assign({ error: null }) },
            CANCEL: { target: "idle", actions: assign({ error: null }) },
          },
          after: { staleError: { target: "idle", actions: assign({ error: null }) } },
          exit: "clearRecording",
        },
      },
    },
  },
});

export type RecorderMachine = typeof recorderMachine;
