/**
 * Dictation as the first screen sees it: the mic button's state and the user's requests, in front
 * of the recorder machine, which loads in its own chunk (recorder.ts). The first screen's script has
 * a budget, and the machine and its browser glue are a large part of it that nothing needs before
 * the page is idle (`preload()`) or the mic is tapped.
 *
 * Requests made before the machine is there wait for it, in order. A user's request (`send`) loads
 * it at once; the app's own CHECK, once connected, waits for it (`sendWhenLoaded`): loading then
 * would compete with the first screen's last paints. If the code cannot load, the view says so
 * (`loadFailed`), and the next user request or `preload()` tries again.
 */
import type { RecorderActorRef } from "./recorder.ts";
import type { RecorderEvent } from "./recorderMachine.ts";
import type { VoiceStatus } from "./voice.ts";

export type VoicePhase = "idle" | "starting" | "recording" | "uploading" | "transcribing" | "error";

/** What the first screen shows of dictation. */
export interface VoiceView {
  phase: VoicePhase;
  /** What the server said it can do (`GET /api/transcribe`); null until it has. */
  status: VoiceStatus | null;
  /** The recorder's code did not load: the mic says so, and a tap tries again. */
  loadFailed: boolean;
}

/** The requests a user makes; the rest of the machine's events are its own. */
export type VoiceRequest = Extract<RecorderEvent, { type: "CHECK" | "RECORD" | "STOP" | "CANCEL" | "DISMISS" }>;

/** What the recorder's chunk hands over once loaded. */
export interface LoadedRecorder {
  actor: RecorderActorRef;
  view(snapshot: ReturnType<RecorderActorRef["getSnapshot"]>): Omit<VoiceView, "loadFailed">;
}

export interface VoiceControl {
  getSnapshot(): VoiceView;
  /** The shape `useSelector` subscribes with (an actor's). */
  subscribe(observer: { next: () => void; error?: () => void }): { unsubscribe(): void };
  /** A user's request: reaches the recorder once it is there, and loads it now if it is not. */
  send(request: VoiceRequest): void;
  /** The app's own request: reaches the recorder once it is there, without loading it. */
  sendWhenLoaded(request: VoiceRequest): void;
  /** Loads the recorder now, unless it is loaded or loading. */
  preload(): void;
  /** A transcript the recorder produced, for the composer to insert. */
  onTranscript(listener: (text: string) => void): () => void;
  /** The recorder itself once loaded: the recording strip and the error line read its details. */
  readonly actor: RecorderActorRef | null;
}

const NOT_YET: VoiceView = { phase: "idle", status: null, loadFailed: false };

export function createVoiceControl(load: () => Promise<LoadedRecorder>): VoiceControl {
  let view = NOT_YET;
  let loaded: LoadedRecorder | null = null;
  let loading = false;
  const waiting: VoiceRequest[] = [];
  const viewers = new Set<() => void>();
  const transcriptListeners = new Set<(text: string) => void>();

  const show = (next: VoiceView) => {
    view = next;
    for (const viewer of [...viewers]) viewer();
  };
  const start = () => {
    if (loading) return;
    loading = true;
    load().then(
      (recorder) => {
        loaded = recorder;
        const follow = () => {
          const next = { ...recorder.view(recorder.actor.getSnapshot()), loadFailed: false };
          // Selectors compare what they pick; a view only changes when what it shows changed.
          if (next.phase !== view.phase || next.status !== view.status || view.loadFailed) show(next);
        };
        recorder.actor.subscribe(follow);
        recorder.actor.on("transcript", (event) => {
          for (const listener of transcriptListeners) listener(event.text);
        });
        follow();
        for (const request of waiting.splice(0)) recorder.actor.send(request);
      },
      (error: unknown) => {
        console.error("pocket-agent: the voice recorder's code did not load", error);
        loading = false;
        waiting.length = 0;
        show({ ...view, loadFailed: true });
      },
    );
  };

  const sendWhenLoaded = (request: VoiceRequest) => {
    if (loaded) loaded.actor.send(request);
    else waiting.push(request);
  };

  return {
    getSnapshot: () => view,
    subscribe(observer) {
      const viewer = () => observer.next();
      viewers.add(viewer);
      return { unsubscribe: () => viewers.delete(viewer) };
    },
    send(request) {
      sendWhenLoaded(request);
      if (!loaded) start();
    },
    sendWhenLoaded,
    preload: start,
    onTranscript(listener) {
      transcriptListeners.add(listener);
      return () => transcriptListeners.delete(listener);
    },
    get actor() {
      return loaded?.actor ?? null;
    },
  };
}
