/**
 * The recorder machine, started for the browser: its own chunk, loaded by voiceControl.ts once the
 * first screen is shown and the page idle, or at once for a tap on the mic.
 */
import { type ActorRefFrom, createActor, type SnapshotFrom } from "xstate";
import { browserVoiceDeps } from "./browserVoice.ts";
import { type RecorderDeps, recorderMachine } from "./recorderMachine.ts";
import type { LoadedRecorder, VoicePhase } from "./voiceControl.ts";

export type RecorderActorRef = ActorRefFrom<typeof recorderMachine>;
type RecorderSnapshot = SnapshotFrom<typeof recorderMachine>;

export function voicePhase(s: RecorderSnapshot): VoicePhase {
  if (s.matches({ recorder: "acquiring" })) return "starting";
  if (s.matches({ recorder: { capture: "recording" } })) return "recording";
  if (s.matches({ recorder: { capture: "stopping" } }) || s.matches({ recorder: { sending: "uploading" } })) {
    return "uploading";
  }
  if (s.matches({ recorder: { sending: "transcribing" } })) return "transcribing";
  if (s.matches({ recorder: "error" })) return "error";
  return "idle";
}

export function startRecorder(deps: RecorderDeps = browserVoiceDeps): LoadedRecorder {
  const actor = createActor(recorderMachine, { input: { deps } });
  actor.start();
  return { actor, view: (s) => ({ phase: voicePhase(s), status: s.context.status }) };
}
