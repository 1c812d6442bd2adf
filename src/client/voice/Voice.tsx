/**
 * Dictation controls for the composer, driven by the recorder machine through its control
 * (voiceControl.ts, which loads the machine on the first request): the "Record voice" button
 * (which explains, when the server has no engine, what to do meanwhile, with the server's setup
 * hint behind "Set up on the server") and Cancel. The strip that replaces the text field while
 * recording and the error line are in VoiceDetails.tsx (their own chunk).
 */
import { useState } from "react";
import { Button } from "../ui/button.tsx";
import { chunk } from "../ui/chunk.ts";
import { MicIcon, SpinnerIcon, StopIcon, XIcon } from "../ui/icons.tsx";
import { lazyPart } from "../ui/lazyPart.tsx";
import { useSelector } from "../ui/useSelector.ts";
import type { VoiceControl, VoicePhase, VoiceView } from "./voiceControl.ts";

/** The recording strip, level meter and error texts: fetched when idle, needed once the mic is tapped. */
export const voiceDetails = chunk(() => import("./VoiceDetails.tsx"));
export const RecordingStrip = lazyPart(voiceDetails, (m) => m.RecordingStrip);
export const VoiceNotice = lazyPart(voiceDetails, (m) => m.VoiceNotice);

/** True while the strip replaces the text field. */
export const isCapturing = (phase: VoicePhase) =>
  phase === "starting" || phase === "recording" || phase === "uploading" || phase === "transcribing";

export const selectVoicePhase = (v: VoiceView) => v.phase;
const selectStatus = (v: VoiceView) => v.status;
const selectLoadFailed = (v: VoiceView) => v.loadFailed;

/** The mic button: Record voice / Stop recording, or disabled with the reason. */
export function MicButton({ recorder, disabled }: { recorder: VoiceControl; disabled: boolean }) {
  const phase = useSelector(recorder, selectVoicePhase);
  const status = useSelector(recorder, selectStatus);
  const loadFailed = useSelector(recorder, selectLoadFailed);
  const [explaining, setExplaining] = useState(false);

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
  if (loadFailed || (status !== null && status.engine === null)) {
    // The server's hint says what to install; a phone user needs to hear first what they can do now.
    const hint = status?.setupHint ?? "Install a speech-to-text engine on the server.";
    return (
      <div className="relative">
        {explaining ? (
          <div
            role="dialog"
            aria-label="Voice input"
            className="absolute bottom-full left-0 z-20 mb-2 w-[min(20rem,calc(100vw-1.5rem))] space-y-2 rounded-xl border bg-popover p-3 text-popover-foreground text-sm shadow-lg"
            onKeyDown={(event) => {
              if (event.key === "Escape") setExplaining(false);
            }}
          >
            <p className="font-medium">Voice input isn't available</p>
            {loadFailed ? (
              <p className="text-muted-foreground">
                The app could not load it. Check the connection to your workstation, then tap the microphone again.
              </p>
            ) : (
              <>
                <p className="text-muted-foreground">
                  Pocket Agent on your workstation has no speech engine. Meanwhile, use your keyboard's own dictation:
                  the microphone key on your phone's keyboard.
                </p>
                <details className="text-xs">
                  <summary className="flex min-h-11 cursor-pointer items-center font-medium">
                    Set up on the server
                  </summary>
                  <p className="break-words text-muted-foreground">{hint}</p>
                </details>
              </>
            )}
            <Button size="sm" className="h-11 w-full" onClick={() => setExplaining(false)} autoFocus>
              OK
            </Button>
          </div>
        ) : null}
        <Button
          variant="ghost"
          size="icon"
          aria-label="Record voice (not available)"
          aria-expanded={explaining}
          className="rounded-full text-muted-foreground [&_svg]:opacity-60"
          onClick={() => {
            // Look again: an engine may have been installed since (or the code can load now).
            recorder.send({ type: "CHECK" });
            setExplaining((open) => !open);
          }}
        >
          <MicIcon />
        </Button>
      </div>
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
export function CancelVoiceButton({ recorder }: { recorder: VoiceControl }) {
  const phase = useSelector(recorder, selectVoicePhase);
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
