import type { SttEngineName } from "../../../shared/transcription.ts";

export interface SttTranscribeOptions {
  /** Aborted on the engine timeout or when the client goes away; the engine must stop promptly. */
  signal: AbortSignal;
  /** ISO 639-1 code or `auto`. */
  language?: string;
  /** Text that biases recognition (vocabulary, spelling), where the engine supports it. */
  prompt?: string;
}

/**
 * One speech-to-text backend. `transcribe` reads a 16 kHz mono s16le WAV and
 * resolves with the trimmed text; it throws `SttEngineError` for a failure the
 * user should see, and lets an abort surface as whatever error the aborted call throws once `signal` is
 * aborted (the caller tells timeout from cancel by the signal).
 */
export interface SttEngine {
  readonly name: SttEngineName;
  /** Cheap local check (binaries, model files, settings); never calls the network. */
  available(): Promise<boolean>;
  transcribe(wavPath: string, options: SttTranscribeOptions): Promise<string>;
  /** How to set this engine up, for the NO_ENGINE message. */
  readonly setupHint: string;
  /**
   * For engines whose process start is the slow part: start one now, ready for the next
   * `transcribe` (called once the engine is selected; it keeps one ready after each use).
   */
  warmUp?(): void;
  /** The idle warm process's pid, null when none is ready (tests, benchmarks). */
  readonly warmPid?: number | null;
  /** Stops the idle warm process (server shutdown). */
  close?(): Promise<void>;
}

/** The engine ran and failed; the message is shown to the user (no secrets, no temp paths). */
export class SttEngineError extends Error {
  override name = "SttEngineError";
}

/** Collapses an engine's multi-line output into one trimmed line. */
export function joinLines(text: string): string {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}
