/**
 * The wire contract of `GET/POST /api/transcribe`, the one REST endpoint: the
 * multipart fields, the closed set of error codes, and the JSON bodies it
 * answers with. The server validates with these schemas; the client imports
 * only their types (`import type`), so Zod stays out of its bundle.
 */
import { z } from "zod";

/** The upload's multipart field names. */
export const TRANSCRIBE_FIELDS = { audio: "audio", language: "language", prompt: "prompt" } as const;

/** `POCKET_STT`: which engine to use; `auto` takes the first one set up (whisper, openai, pocketsphinx). */
export const SttMode = z.enum(["auto", "whisper", "openai", "pocketsphinx"]);
export type SttMode = z.infer<typeof SttMode>;

export const SttEngineName = z.enum(["whisper", "openai", "pocketsphinx"]);
export type SttEngineName = z.infer<typeof SttEngineName>;

/** Optional multipart fields next to `audio`. */
export const TranscribeLanguage = z
  .string()
  .trim()
  .regex(/^(auto|[a-z]{2,3})$/, "expected an ISO 639 code such as en, or auto");
export const TranscribePrompt = z.string().max(1_000);

export const TranscribeErrorCode = z.enum([
  /** 400 (405 for a method other than POST): not multipart, no `audio` file, a bad optional field. */
  "INVALID_REQUEST",
  /** 400: the `audio` file has no bytes. */
  "AUDIO_EMPTY",
  /** 413: the upload is over the byte limit. */
  "AUDIO_TOO_LARGE",
  /** 413: the audio is longer than the duration limit. */
  "AUDIO_TOO_LONG",
  /** 422: ffmpeg could not read any audio from the upload. */
  "AUDIO_UNDECODABLE",
  /** 422: the audio lasts 0 s or holds nothing louder than background noise. */
  "AUDIO_SILENT",
  /** 503: every transcription slot and the wait queue are taken. */
  "BUSY",
  /** 503: no speech-to-text engine is set up on the server. */
  "NO_ENGINE",
  /** 503: ffmpeg is not installed on the server. */
  "DECODER_MISSING",
  /** 502: the engine failed (process error, upstream HTTP error). */
  "ENGINE_FAILED",
  /** 504: the engine did not finish in time. */
  "ENGINE_TIMEOUT",
  /** 499: the client went away before the answer. */
  "CANCELLED",
  /** 500: a bug; details are in the server log. */
  "INTERNAL_ERROR",
]);
export type TranscribeErrorCode = z.infer<typeof TranscribeErrorCode>;

export const transcribeErrorStatus: Record<TranscribeErrorCode, number> = {
  INVALID_REQUEST: 400,
  AUDIO_EMPTY: 400,
  AUDIO_TOO_LARGE: 413,
  AUDIO_TOO_LONG: 413,
  AUDIO_UNDECODABLE: 422,
  AUDIO_SILENT: 422,
  BUSY: 503,
  NO_ENGINE: 503,
  DECODER_MISSING: 503,
  ENGINE_FAILED: 502,
  ENGINE_TIMEOUT: 504,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
};

/** What each code means to a person (the server's `error` text is more specific). */
export const transcribeErrorMeaning: Record<TranscribeErrorCode, string> = {
  INVALID_REQUEST: "The upload was not a multipart form with an `audio` file.",
  AUDIO_EMPTY: "The recording is empty.",
  AUDIO_TOO_LARGE: "The recording is too large.",
  AUDIO_TOO_LONG: "The recording is too long.",
  AUDIO_UNDECODABLE: "The recording could not be read as audio.",
  AUDIO_SILENT: "Nothing was heard in the recording.",
  BUSY: "The server is transcribing other recordings. Try again in a moment.",
  NO_ENGINE: "Speech to text is not set up on the server.",
  DECODER_MISSING: "ffmpeg is not installed on the server.",
  ENGINE_FAILED: "The speech-to-text engine failed.",
  ENGINE_TIMEOUT: "The speech-to-text engine did not answer in time.",
  CANCELLED: "The request was cancelled.",
  INTERNAL_ERROR: "Something went wrong on the server.",
};

/** 200 answer. Times are milliseconds measured on the server, rounded to 0.1 ms. */
export const TranscribeResponse = z.object({
  text: z.string(),
  engine: SttEngineName,
  /** The engine alone (process run or upstream request). */
  engineMs: z.number().nonnegative(),
  /** From the request entering the handler to the answer, queue wait included. */
  totalMs: z.number().nonnegative(),
  /** `totalMs - engineMs`: upload parsing, temp files, ffmpeg, analysis, queue wait. */
  overheadMs: z.number().nonnegative(),
  /** Duration of the decoded audio. */
  audioMs: z.number().nonnegative(),
});
export type TranscribeResponse = z.infer<typeof TranscribeResponse>;

/** Every non-200 answer. */
export const TranscribeErrorResponse = z.object({
  error: z.string(),
  code: TranscribeErrorCode,
});
export type TranscribeErrorResponse = z.infer<typeof TranscribeErrorResponse>;

/** What the server reports about transcription (e.g. for a health or settings view). */
export const TranscriptionStatus = z.object({
  mode: SttMode,
  /** The engine found at the last check; null when none is set up (or none checked yet). */
  engine: SttEngineName.nullable(),
  /** False until the first check has finished. */
  checked: z.boolean(),
  running: z.number().int().nonnegative(),
  queued: z.number().int().nonnegative(),
  maxConcurrent: z.number().int().positive(),
  maxQueue: z.number().int().nonnegative(),
  maxBytes: z.number().int().positive(),
  maxDurationSec: z.number().positive(),
  /** How to set up an engine, when none is available. */
  setupHint: z.string().optional(),
});
export type TranscriptionStatus = z.infer<typeof TranscriptionStatus>;
