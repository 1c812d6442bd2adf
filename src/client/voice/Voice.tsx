/**
 * Dictation controls for the composer, driven by the recorder machine: the
 * "Record voice" button (disabled with the server's setup hint when no engine
 * is set up) and Cancel. The strip that replaces the text field while
 * recording and the error line are in VoiceDetails.tsx (their own chunk).
 */
import { lazy } from "react";
import type { ActorRefFrom, SnapshotFrom } from "xstate";
import { Button } from "../ui/button.tsx";
import { MicIcon, SpinnerIcon, StopIcon, XIcon } from "../ui/icons.tsx";
import { Tooltip } from "../ui/tooltip.tsx";
import { useSelector } from "../ui/useSelector.ts";
import type { recorderMachine } from "./recorderMachine.ts";

export type RecorderActorRef = ActorRefFrom<typeof recorderMachine>;
type RecorderSnapshot = SnapshotFrom<typeof recorderMachine>;

/** The recording strip, level meter and error texts: fetched when idle, needed once the mic is tapped. */
export const loadVoiceDetails = () => import("./VoiceDetails.tsx");
export const RecordingStrip = lazy(() => loadVoiceDetails().then((m) => ({ default: m.RecordingStrip })));
export const VoiceNotice = lazy(() => loadVoiceDetails().then((m) => ({ default: m.VoiceNotice })));

export type VoicePhase = "idle" | "starting" | "recording" | "uploading" | "transcribing" | "error";

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

/** True while the strip replaces the text field. */
export const isCapturing = (phase: VoicePhase) =>
  phase === "starting" || phase === "recording" || phase === "uploading" || phase === "transcribing";

const selectPhase = (s: RecorderSnapshot) => voicePhase(s);
const selectStatus = (s: RecorderSnapshot) => s.context.status;

/** The mic button: Record voice / Stop recording, or disabled with the reason. */
export function MicButton({ recorder, disabled }: { recorder: RecorderActorRef; disabled: boolean }) {
  const phase = useSelector(recorder, selectPhase);
  const status = useSelector(recorder, selectStatus);

  if (phase === "recording") {
    return (
      <Button
        variant="destructive"
        size="icon"
        aria-label="Stop recording"
        className="rounded-full"
        onClick={() => recorder.send({ type: "STOP" })}
      >
        <StopIcon />
      </Button>
    );
  }
  if (phase === "starting" || phase === "uploading" || phase === "transcribing") {
    return (
      <Button variant="ghost" size="icon" aria-label="Record voice" aria-disabled="true" className="rounded-full">
        <SpinnerIcon />
      </Button>
    );
  }
  const unavailable = status !== null && status.engine === null;
  if (unavailable) {
    // The server's hint starts by saying what is missing ("No speech-to-text engine is set up…").
    const hint = status.setupHint ?? "Voice input isn't set up on the server: it has no speech-to-text engine.";
    return (
      <Tooltip wide content={hint}>
        <Button
          variant="ghost"
          size="icon"
          aria-label="Record voice (not available)"
          aria-disabled="true"
          className="rounded-full text-muted-foreground aria-disabled:cursor-help aria-disabled:opacity-100 [&_svg]:opacity-60"
          // Look again: an engine may have been installed since.
          onClick={() => recorder.send({ type: "CHECK" })}
        >
          <MicIcon />
        </Button>
      </Tooltip>
    );
  }
  return (
    <Button
      variant="ghost"
      size="icon"
      aria-label="Record voice"
      className="rounded-full text-muted-foreground hover:text-foreground"
      disabled={disabled}
      onClick={() => recorder.send({ type: "RECORD" })}
    >
      <MicIcon />
    </Button>
  );
}

/** Cancel, in place of Send while recording or transcribing. */
export function CancelVoiceButton({ recorder }: { recorder: RecorderActorRef }) {
  const phase = useSelector(recorder, selectPhase);
  return (
    <Button
      variant="ghost"
      size="icon"
      aria-label={phase === "recording" || phase === "starting" ? "Cancel recording" : "Cancel transcription"}
      className="rounded-full"
      onClick={() => recorder.send({ type: "CANCEL" })}
    >
      <XIcon />
    </Button>
  );
}
