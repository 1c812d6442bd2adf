import { tmpdir } from "node:os";
import { z } from "zod";
import { SttMode, TranscribeLanguage } from "../../shared/transcription.ts";

/** Where Debian's `pocketsphinx-en-us` puts its model. */
export const POCKETSPHINX_EN_US = {
  hmm: "/usr/share/pocketsphinx/model/en-us/en-us",
  dict: "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict",
} as const;

export const TRANSCRIPTION_DEFAULTS = {
  maxBytes: 25 * 1024 * 1024,
  maxDurationSec: 10 * 60,
  engineTimeoutMs: 60_000,
  decodeTimeoutMs: 60_000,
  maxConcurrent: 1,
  maxQueue: 2,
  /** Below either level the audio counts as silent. */
  silencePeakDbfs: -50,
  silenceRmsDbfs: -70,
} as const;

export const TranscriptionConfig = z.object({
  mode: SttMode,
  /** Language passed to engines that take one; unset: whisper detects it, openai omits it. */
  language: TranscribeLanguage.optional(),
  whisper: z.object({
    /** Path to a ggml model file (POCKET_WHISPER_MODEL). */
    model: z.string().min(1).optional(),
    /** whisper.cpp's CLI; unset: `whisper-cli` on PATH. */
    bin: z.string().min(1).optional(),
  }),
  openai: z.object({
    /** Base URL of an OpenAI-compatible API, with or without `/v1`. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    key: z.string().min(1).optional(),
    model: z.string().min(1),
  }),
  pocketsphinx: z.object({
    /** The CLI of Debian's `pocketsphinx` package (0.8+5prealpha). */
    bin: z.string().min(1),
    hmm: z.string().min(1),
    dict: z.string().min(1),
    /** A JSGF grammar restricting what can be recognised (exact results for known phrases). */
    grammar: z.string().min(1).optional(),
  }),
  ffmpegBin: z.string().min(1),
  /**
   * Keep an ffmpeg (~47 MB) and, for pocketsphinx, a recogniser with its model loaded (~99 MB)
   * started for the next recording (POCKET_STT_KEEP_WARM, default on): ~320 ms less per recording.
   */
  keepWarm: z.boolean(),
  /** Each request gets its own `mkdtemp` folder in here. */
  tempDir: z.string().min(1),
  limits: z.object({
    maxBytes: z.number().int().positive(),
    maxDurationSec: z.number().positive(),
    engineTimeoutMs: z.number().int().positive(),
    decodeTimeoutMs: z.number().int().positive(),
    maxConcurrent: z.number().int().positive(),
    maxQueue: z.number().int().nonnegative(),
  }),
  silence: z.object({ peakDbfs: z.number().max(0), rmsDbfs: z.number().max(0) }),
});
export type TranscriptionConfig = z.infer<typeof TranscriptionConfig>;

/** Empty or blank variables count as unset. */
const unsetIfBlank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const optionalText = z.preprocess(unsetIfBlank, z.string().trim().optional());
const count = (min: number, max: number, fallback: number) =>
  z.preprocess(unsetIfBlank, z.coerce.number().int().min(min).max(max).default(fallback));

const Env = z.object({
  POCKET_STT: z.preprocess(
    (v) => (typeof v === "string" ? unsetIfBlank(v.trim().toLowerCase()) : v),
    SttMode.default("auto"),
  ),
  POCKET_WHISPER_MODEL: optionalText,
  POCKET_WHISPER_BIN: optionalText,
  POCKET_STT_URL: optionalText,
  POCKET_STT_KEY: optionalText,
  POCKET_STT_MODEL: optionalText,
  POCKET_STT_LANGUAGE: z.preprocess(
    (v) => (typeof v === "string" ? unsetIfBlank(v.trim().toLowerCase()) : v),
    TranscribeLanguage.optional(),
  ),
  POCKET_STT_GRAMMAR: optionalText,
  POCKET_STT_KEEP_WARM: z.preprocess(
    (v) => (typeof v === "string" ? unsetIfBlank(v.trim().toLowerCase()) : v),
    z.enum(["1", "0", "true", "false", "on", "off"]).default("1"),
  ),
  /** Upload limit in bytes. */
  POCKET_STT_MAX_BYTES: count(1, 1024 * 1024 * 1024, TRANSCRIPTION_DEFAULTS.maxBytes),
  POCKET_STT_MAX_SECONDS: z.preprocess(
    unsetIfBlank,
    z.coerce
      .number()
      .positive()
      .max(24 * 3600)
      .default(TRANSCRIPTION_DEFAULTS.maxDurationSec),
  ),
  POCKET_STT_TIMEOUT_MS: count(100, 3_600_000, TRANSCRIPTION_DEFAULTS.engineTimeoutMs),
  POCKET_STT_CONCURRENCY: count(1, 64, TRANSCRIPTION_DEFAULTS.maxConcurrent),
  POCKET_STT_QUEUE: count(0, 1_000, TRANSCRIPTION_DEFAULTS.maxQueue),
});

export class TranscriptionConfigError extends Error {
  override name = "TranscriptionConfigError";
}

/**
 * Reads the speech-to-text settings from the environment. Throws a
 * `TranscriptionConfigError` naming each bad variable.
 */
export function parseTranscriptionConfig(env: Record<string, string | undefined> = process.env): TranscriptionConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw configError(parsed.error);
  const e = parsed.data;
  const config = TranscriptionConfig.safeParse({
    mode: e.POCKET_STT,
    language: e.POCKET_STT_LANGUAGE,
    whisper: { model: e.POCKET_WHISPER_MODEL, bin: e.POCKET_WHISPER_BIN },
    openai: { url: e.POCKET_STT_URL, key: e.POCKET_STT_KEY, model: e.POCKET_STT_MODEL ?? "whisper-1" },
    pocketsphinx: { bin: "pocketsphinx_continuous", ...POCKETSPHINX_EN_US, grammar: e.POCKET_STT_GRAMMAR },
    ffmpegBin: "ffmpeg",
    keepWarm: ["1", "true", "on"].includes(e.POCKET_STT_KEEP_WARM),
    tempDir: tmpdir(),
    limits: {
      maxBytes: e.POCKET_STT_MAX_BYTES,
      maxDurationSec: e.POCKET_STT_MAX_SECONDS,
      engineTimeoutMs: e.POCKET_STT_TIMEOUT_MS,
      decodeTimeoutMs: TRANSCRIPTION_DEFAULTS.decodeTimeoutMs,
      maxConcurrent: e.POCKET_STT_CONCURRENCY,
      maxQueue: e.POCKET_STT_QUEUE,
    },
    silence: { peakDbfs: TRANSCRIPTION_DEFAULTS.silencePeakDbfs, rmsDbfs: TRANSCRIPTION_DEFAULTS.silenceRmsDbfs },
  });
  if (!config.success) throw configError(config.error, { "openai.url": "POCKET_STT_URL" });
  return config.data;
}

function configError(error: z.ZodError, names: Record<string, string> = {}): TranscriptionConfigError {
  const details = error.issues
    .map((issue) => {
      const path = issue.path.join(".");
      return `  ${names[path] ?? path}: ${issue.message}`;
    })
    .join("\n");
  return new TranscriptionConfigError(`Invalid speech-to-text configuration:\n${details}`);
}
