/**
 * The browser's side of dictation, faked for the recorder machine and what drives it: a microphone
 * stream, a MediaRecorder and the transcription endpoint, each answered by hand.
 */
import type { RecorderDeps, RecorderLike, StreamLike } from "../voice/recorderMachine.ts";
import type { TranscribeOutcome, VoiceStatus } from "../voice/voice.ts";

export class FakeTrack {
  stopped = false;
  stop() {
    this.stopped = true;
  }
}

export class FakeStream implements StreamLike {
  readonly tracks = [new FakeTrack()];
  getTracks() {
    return this.tracks;
  }
  get stopped() {
    return this.tracks.every((t) => t.stopped);
  }
}

type Listener = (event: { data: Blob }) => void;

export class FakeRecorder implements RecorderLike {
  state: "inactive" | "recording" | "paused" = "inactive";
  readonly listeners = new Map<string, Listener[]>();
  constructor(
    readonly mimeType: string,
    readonly payload: Blob,
  ) {}
  addEventListener(type: string, listener: Listener | (() => void)): void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener as Listener);
    this.listeners.set(type, list);
  }
  private fire(type: string, event: { data: Blob } = { data: new Blob([]) }) {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
  start() {
    this.state = "recording";
  }
  stop() {
    if (this.state === "inactive") return;
    this.state = "inactive";
    // Like the browser: the data, then `stop`, asynchronously.
    setTimeout(() => {
      this.fire("dataavailable", { data: this.payload });
      this.fire("stop");
    }, 0);
  }
  fail() {
    this.fire("error");
  }
}

export interface Pending {
  audio: Blob;
  signal: AbortSignal;
  onUploaded: () => void;
  resolve: (outcome: TranscribeOutcome) => void;
  reject: (error: unknown) => void;
}

export class FakeVoice {
  clock = 1_000;
  supportedTypes = new Set(["audio/webm;codecs=opus", "audio/mp4"]);
  canRecord = true;
  status: VoiceStatus = {
    mode: "auto",
    engine: "pocketsphinx",
    checked: true,
    maxBytes: 1_000_000,
    maxDurationSec: 60,
  };
  micError: { name: string } | null = null;
  payload = new Blob(["opus-bytes"], { type: "audio/webm;codecs=opus" });
  readonly streams: FakeStream[] = [];
  readonly recorders: Array<{ recorder: FakeRecorder; mimeType: string | undefined }> = [];
  readonly uploads: Pending[] = [];
  statusCalls = 0;
  /** Resolve getUserMedia by hand (to test a cancel while the permission prompt is open). */
  holdStream = false;
  private heldStream: (() => void) | null = null;

  readonly deps: RecorderDeps = {
    now: () => this.clock,
    supported: () => this.canRecord,
    getStream: () => {
      if (this.micError) return Promise.reject(Object.assign(new Error("mic"), this.micError));
      const stream = new FakeStream();
      this.streams.push(stream);
      if (!this.holdStream) return Promise.resolve(stream);
      return new Promise((resolve) => {
        this.heldStream = () => resolve(stream);
      });
    },
    isTypeSupported: (type) => this.supportedTypes.has(type),
    createRecorder: (_stream, mimeType) => {
      const recorder = new FakeRecorder(mimeType ?? "", this.payload);
      this.recorders.push({ recorder, mimeType });
      return recorder;
    },
    fetchStatus: async () => {
      this.statusCalls += 1;
      return this.status;
    },
    transcribe: (audio, { signal, onUploaded }) =>
      new Promise((resolve, reject) => this.uploads.push({ audio, signal, onUploaded, resolve, reject })),
  };

  releaseStream() {
    this.heldStream?.();
  }
}
