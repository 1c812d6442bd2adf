/**
 * What dictation shows once it starts: the strip over the text field
 * (elapsed time, live input level) and the error line. A chunk of its own,
 * prefetched when the browser is idle.
 */
import { useEffect, useRef, useState } from "react";
import type { SnapshotFrom } from "xstate";
import { cn } from "../ui/cn.ts";
import { AlertIcon, SpinnerIcon, XIcon } from "../ui/icons.tsx";
import { useSelector } from "../ui/useSelector.ts";
import { type RecorderActorRef, voicePhase } from "./recorder.ts";
import type { recorderMachine, StreamLike } from "./recorderMachine.ts";
import { formatElapsed } from "./voice.ts";
import { describeVoiceError } from "./voiceMessages.ts";

type RecorderSnapshot = SnapshotFrom<typeof recorderMachine>;

const selectPhase = (s: RecorderSnapshot) => voicePhase(s);
const selectStatus = (s: RecorderSnapshot) => s.context.status;
const selectError = (s: RecorderSnapshot) => s.context.error;
const selectStartedAt = (s: RecorderSnapshot) => s.context.startedAt;
const selectStream = (s: RecorderSnapshot) => s.context.stream;

/** Replaces the text field while dictating: what is happening, the time, the input level. */
export function RecordingStrip({ recorder }: { recorder: RecorderActorRef }) {
  const phase = useSelector(recorder, selectPhase);
  const startedAt = useSelector(recorder, selectStartedAt);
  const stream = useSelector(recorder, selectStream);
  const now = useTicker(phase === "recording", 250);
  const elapsed = startedAt === null ? 0 : Math.max(0, now - startedAt);
  const recording = phase === "recording";
  let label: string;
  if (phase === "starting") label = "Starting the microphone…";
  else if (phase === "uploading") label = "Uploading…";
  else if (phase === "transcribing") label = "Transcribing…";
  else label = "Listening…";

  return (
    <div
      data-voice-phase={phase}
      className={cn(
        "absolute inset-0 flex items-center gap-2.5 rounded-3xl border px-4",
        recording ? "border-destructive/40 bg-destructive-surface" : "border-input bg-card",
      )}
    >
      {recording ? (
        <span
          aria-hidden="true"
          className="size-2.5 shrink-0 animate-[pulse-dot_1s_ease-in-out_infinite] rounded-full bg-destructive"
        />
      ) : (
        <SpinnerIcon className="size-4 shrink-0 text-muted-foreground" />
      )}
      <span role="status" className="min-w-0 flex-1 truncate text-[15px]">
        {label}
      </span>
      {recording ? (
        <>
          <LevelMeter stream={stream} />
          <span
            role="timer"
            aria-label={`Recording, ${formatElapsed(elapsed)}`}
            className="shrink-0 font-mono text-[15px] tabular-nums"
          >
            {formatElapsed(elapsed)}
          </span>
        </>
      ) : null}
    </div>
  );
}

/** The recorder's error, above the composer, with a way to dismiss it. */
export function VoiceNotice({ recorder }: { recorder: RecorderActorRef }) {
  const error = useSelector(recorder, selectError);
  const status = useSelector(recorder, selectStatus);
  if (!error) return null;
  return (
    <div
      role="alert"
      className="mx-auto mb-2 flex w-full max-w-3xl items-start gap-2 rounded-xl border border-destructive/30 bg-destructive-surface px-3 py-2 text-destructive text-sm"
    >
      <AlertIcon className="mt-0.5 size-4 shrink-0" />
      <p className="min-w-0 flex-1 break-words">
        {describeVoiceError(error, { maxDurationSec: status?.maxDurationSec })}
      </p>
      <button
        type="button"
        aria-label="Dismiss"
        onClick={() => recorder.send({ type: "DISMISS" })}
        className="-m-1 rounded-md p-1 hover:bg-destructive/10 focus-visible:outline-2 focus-visible:outline-ring"
      >
        <XIcon className="size-4" />
      </button>
    </div>
  );
}

/** performance.now(), refreshed every `intervalMs` while `active`. */
function useTicker(active: boolean, intervalMs: number): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!active) return;
    setNow(performance.now());
    const timer = setInterval(() => setNow(performance.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

const BARS = 5;

/**
 * Five bars following the microphone's level (an AnalyserNode on the stream),
 * drawn straight to the DOM each frame. Without Web Audio: a gentle pulse.
 */
function LevelMeter({ stream }: { stream: StreamLike | null }) {
  const bars = useRef<Array<HTMLSpanElement | null>>([]);
  const [live, setLive] = useState(false);

  useEffect(() => {
    if (!(typeof MediaStream !== "undefined" && stream instanceof MediaStream)) return;
    const Context = typeof AudioContext === "undefined" ? null : AudioContext;
    if (!Context) return;
    let context: AudioContext;
    try {
      context = new Context();
    } catch {
      return;
    }
    const source = context.createMediaStreamSource(stream);
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    void context.resume().catch(() => undefined);
    const samples = new Uint8Array(analyser.fftSize);
    let frame = 0;
    let smoothed = 0;
    setLive(true);
    const draw = () => {
      analyser.getByteTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) {
        const v = (sample - 128) / 128;
        sum += v * v;
      }
      const rms = Math.sqrt(sum / samples.length);
      // Speech sits around 0.02–0.3 RMS: a log-ish scale makes quiet speech visible.
      const level = Math.min(1, Math.log10(1 + rms * 60) / Math.log10(19));
      smoothed = Math.max(level, smoothed * 0.85);
      bars.current.forEach((bar, i) => {
        if (!bar) return;
        const shape = 1 - Math.abs(i - (BARS - 1) / 2) / BARS;
        bar.style.transform = `scaleY(${Math.max(0.15, smoothed * shape * 1.4)})`;
      });
      frame = requestAnimationFrame(draw);
    };
    frame = requestAnimationFrame(draw);
    return () => {
      cancelAnimationFrame(frame);
      setLive(false);
      source.disconnect();
      void context.close().catch(() => undefined);
    };
  }, [stream]);

  return (
    <span
      aria-hidden="true"
      className="flex h-5 shrink-0 items-center gap-0.5"
      data-level-meter={live ? "live" : "pulse"}
    >
      {Array.from({ length: BARS }, (_, i) => (
        <span
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed set of bars
          key={i}
          ref={(el) => {
            bars.current[i] = el;
          }}
          className={cn(
            "h-full w-1 origin-center rounded-full bg-destructive transition-transform duration-75",
            !live && "animate-[pulse-dot_1s_ease-in-out_infinite]",
          )}
          style={live ? { transform: "scaleY(0.15)" } : { animationDelay: `${i * 120}ms` }}
        />
      ))}
    </span>
  );
}
