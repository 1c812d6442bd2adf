/**
 * Voice dictation, the parts that need no browser: the wire contract of
 * `GET/POST /api/transcribe` as the client sees it, recording format
 * negotiation, the messages the user reads for each failure, and how the text
 * joins what is already typed.
 *
 * The wire types come from src/shared/transcription.ts as types only: its
 * Zod schemas are the server's and stay out of the bundle.
 */
import type {
  TranscribeErrorCode as EndpointErrorCode,
  SttEngineName,
  SttMode,
  TranscribeResponse,
  TranscriptionStatus,
} from "../../shared/transcription.ts";

export type { SttEngineName };

const STT_MODES: readonly string[] = ["auto", "whisper", "openai", "pocketsphinx"] satisfies SttMode[];
const isSttMode = (value: unknown): value is SttMode => typeof value === "string" && STT_MODES.includes(value);

/** `GET /api/transcribe`: whether voice works on this server (the fields the client uses). */
export type VoiceStatus = Pick<
  TranscriptionStatus,
  "mode" | "engine" | "checked" | "setupHint" | "maxBytes" | "maxDurationSec"
>;

/** `POST /api/transcribe` 200. */
export type TranscribeResult = TranscribeResponse;

/** The endpoint's error codes, plus the auth layer's in front of it. */
export type TranscribeErrorCode = EndpointErrorCode | "UNAUTHORIZED" | "RATE_LIMITED";

/** What a transcription request came back with. */
export type TranscribeOutcome =
  | { ok: true; result: TranscribeResult }
  | { ok: false; status: number; code: string | null; message: string; retryAfterSec: number | null };

/** Why dictation stopped: the browser's side, the client's own checks, or the server's answer. */
export type VoiceError =
  | { kind: "mic"; name: string }
  | { kind: "unsupported" }
  | { kind: "too-short" }
  | { kind: "too-large"; maxBytes: number }
  | { kind: "recorder-failed" }
  | { kind: "empty-transcript" }
  | { kind: "network" }
  | { kind: "server"; status: number; code: string | null; message: string; retryAfterSec: number | null };

/** Recordings shorter than this are not sent. */
export const MIN_RECORDING_MS = 500;

/** Preferred recording formats: Opus in WebM (Chromium, Firefox), else MP4 (iOS Safari), else the default. */
export const PREFERRED_MIME_TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"];

/** The first supported preferred type; undefined lets the browser choose. */
export function pickMimeType(isTypeSupported: (type: string) => boolean): string | undefined {
  for (const type of PREFERRED_MIME_TYPES) {
    try {
      if (isTypeSupported(type)) return type;
    } catch {
      // Some browsers throw on unknown types: not supported.
    }
  }
  return undefined;
}

/** A file name whose extension matches the container (the server sniffs the content anyway). */
export function fileNameFor(mimeType: string): string {
  const type = mimeType.toLowerCase();
  if (type.includes("webm")) return "dictation.webm";
  if (type.includes("mp4") || type.includes("m4a") || type.includes("aac")) return "dictation.m4a";
  if (type.includes("ogg")) return "dictation.ogg";
  if (type.includes("wav")) return "dictation.wav";
  return "dictation.bin";
}

/** `mm:ss` (or `h:mm:ss`) from milliseconds. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, "0");
  return `${hours > 0 ? `${hours}:` : ""}${String(minutes).padStart(2, "0")}:${ss}`;
}

/** Reads a `GET /api/transcribe` body; null when it is not one. */
export function parseVoiceStatus(body: unknown): VoiceStatus | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  const engine = b.engine;
  if (engine !== null && engine !== "whisper" && engine !== "openai" && engine !== "pocketsphinx") return null;
  if (typeof b.maxBytes !== "number" || typeof b.maxDurationSec !== "number") return null;
  return {
    mode: isSttMode(b.mode) ? b.mode : "auto",
    engine,
    checked: b.checked === true,
    ...(typeof b.setupHint === "string" ? { setupHint: b.setupHint } : {}),
    maxBytes: b.maxBytes,
    maxDurationSec: b.maxDurationSec,
  };
}

/** Turns a `POST /api/transcribe` answer (status, JSON text, Retry-After) into an outcome. */
export function parseTranscribeAnswer(status: number, text: string, retryAfter: string | null): TranscribeOutcome {
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  if (status === 200 && typeof b.text === "string") {
    return {
      ok: true,
      result: {
        text: b.text,
        engine: (b.engine as SttEngineName) ?? "whisper",
        engineMs: Number(b.engineMs ?? 0),
        totalMs: Number(b.totalMs ?? 0),
        overheadMs: Number(b.overheadMs ?? 0),
        audioMs: Number(b.audioMs ?? 0),
      },
    };
  }
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  return {
    ok: false,
    status,
    code: typeof b.code === "string" ? b.code : null,
    message: typeof b.error === "string" ? b.error : "",
    retryAfterSec: Number.isFinite(seconds) ? Math.ceil(seconds) : null,
  };
}

/**
 * Inserts dictated `text` into `value` in place of the selection
 * [`start`, `end`), with a space before it when the character before is not
 * whitespace, and one after when the next character is a word character.
 */
export function joinDictation(
  value: string,
  start: number,
  end: number,
  text: string,
): { value: string; caret: number } {
  const from = Math.max(0, Math.min(start, value.length));
  const to = Math.max(from, Math.min(end, value.length));
  const spoken = text.trim().replace(/\s+/g, " ");
  if (!spoken) return { value, caret: to };
  const before = value.slice(0, from);
  const after = value.slice(to);
  const lead = before !== "" && !/\s$/.test(before) ? " " : "";
  const trail = after !== "" && /^[\p{L}\p{N}]/u.test(after) ? " " : "";
  const insert = `${lead}${spoken}${trail}`;
  return { value: before + insert + after, caret: from + lead.length + spoken.length };
}
