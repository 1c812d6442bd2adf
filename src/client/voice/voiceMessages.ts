/** What the user reads when dictation fails (loaded with the recording strip, not on the first screen). */
import type { VoiceError } from "./voice.ts";

const formatLimitSec = (sec: number) => (sec >= 60 && sec % 60 === 0 ? `${sec / 60} min` : `${sec} s`);
const formatBytes = (n: number) => (n >= 1024 * 1024 ? `${+(n / (1024 * 1024)).toFixed(1)} MB` : `${n} bytes`);

/** The sentence the user reads for a dictation failure. */
export function describeVoiceError(error: VoiceError, limits?: { maxDurationSec?: number }): string {
  switch (error.kind) {
    case "mic":
      switch (error.name) {
        case "NotAllowedError":
        case "SecurityError":
          return "Microphone access is blocked. Allow it in the browser's site settings.";
        case "NotFoundError":
        case "OverconstrainedError":
          return "No microphone found. Connect one and try again.";
        case "NotReadableError":
        case "AbortError":
          return "The microphone is busy or unavailable (another app may be using it).";
        default:
          return "Could not start the microphone.";
      }
    case "unsupported":
      return "This browser can't record audio here (voice needs HTTPS or localhost, and a recent browser).";
    case "too-short":
      return "That was too short. Tap the mic, speak, then tap stop.";
    case "too-large":
      return `The recording is too large to send (limit ${formatBytes(error.maxBytes)}).`;
    case "recorder-failed":
      return "Recording failed. Try again.";
    case "empty-transcript":
      return "Didn't catch that. Try again, a little closer to the microphone.";
    case "network":
      return "Couldn't reach the server to transcribe. Check the connection and try again.";
    case "server":
      return describeServerError(error, limits);
    default: {
      const unreachable: never = error;
      return unreachable;
    }
  }
}

function describeServerError(
  error: Extract<VoiceError, { kind: "server" }>,
  limits: { maxDurationSec?: number } | undefined,
): string {
  switch (error.code) {
    case "AUDIO_SILENT":
      return "No speech heard. Check that the microphone isn't muted, then try again.";
    case "AUDIO_EMPTY":
      return "The recording was empty. Try again.";
    case "AUDIO_TOO_LONG":
      return limits?.maxDurationSec
        ? `The recording is too long (limit ${formatLimitSec(limits.maxDurationSec)}).`
        : "The recording is too long.";
    case "AUDIO_TOO_LARGE":
      return error.message || "The recording is too large.";
    case "AUDIO_UNDECODABLE":
      return "The server couldn't read the recording.";
    case "BUSY":
      return `The server is busy transcribing. Try again in ${error.retryAfterSec ?? 2} s.`;
    case "NO_ENGINE":
    case "DECODER_MISSING":
      return error.message || "Speech to text is not set up on the server.";
    case "ENGINE_FAILED":
      return error.message ? `Transcription failed: ${error.message}` : "Transcription failed on the server.";
    case "ENGINE_TIMEOUT":
      return "Transcription took too long. Try a shorter recording.";
    case "UNAUTHORIZED":
      return "This device is not paired with the server.";
    case "RATE_LIMITED":
      return `Too many attempts, try again in ${error.retryAfterSec ?? 60} s.`;
    case "CANCELLED":
      return "Transcription was cancelled.";
    default:
      if (error.status === 413) return error.message || "The recording is too large.";
      return error.message || `Transcription failed (HTTP ${error.status}).`;
  }
}
