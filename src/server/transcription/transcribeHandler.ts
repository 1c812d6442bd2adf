/**
 * `POST /api/transcribe`: one multipart `audio` file in, `{ text, engine,
 * engineMs, totalMs, overheadMs, audioMs }` out. Mounted by the HTTP router
 * after auth. Each request gets its own temp folder (removed on every path);
 * the upload is decoded by ffmpeg into 16 kHz mono WAV (through a pre-started
 * ffmpeg when its container streams, `warmDecoder.ts`; from a temp file
 * otherwise), checked for length and silence, and handed to the configured
 * engine under a concurrency limit and a timeout. Failures answer
 * `{ error, code }` with a code from `TranscribeErrorCode`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { z } from "zod";
import {
  TRANSCRIBE_FIELDS,
  type TranscribeErrorCode,
  type TranscribeErrorResponse,
  TranscribeLanguage,
  TranscribePrompt,
  type TranscribeResponse,
  type TranscriptionStatus,
  transcribeErrorMeaning,
  transcribeErrorStatus,
} from "../../shared/transcription.ts";
import { readBodyBytes } from "../http/body.ts";
import { createLogger } from "../logger.ts";
import { AudioDecodeError, analyseWav, DecoderMissingError, normaliseAudio, type WavStats } from "./audio.ts";
import type { TranscriptionConfig } from "./config.ts";
import { createEngines, noEngineMessage, type SttEngine, SttEngineError, selectEngine } from "./engines/index.ts";
import { Limiter, LimiterAbortedError, LimiterFullError } from "./limiter.ts";
import { createWarmDecoder, pipeDecodable, type WarmDecoder } from "./warmDecoder.ts";

const log = createLogger("transcription");

/** Room for the multipart boundaries, part headers and small fields around the file. */
const MULTIPART_SLACK_BYTES = 64 * 1024;
/** Seconds a BUSY client is told to wait. */
const RETRY_AFTER_SECONDS = 2;

export interface TranscribeHandler {
  handle(req: Request): Promise<Response>;
  status(): TranscriptionStatus;
  /** Looks for an engine again (a few file lookups), then reports `status()`: for the client's mic button. */
  check(): Promise<TranscriptionStatus>;
  /** The idle warm ffmpeg's pid, null when none is ready or it is turned off (tests, benchmarks). */
  warmDecoderPid(): number | null;
  /** The selected engine's idle warm process (its watchdog shell's pid), when it keeps one. */
  warmEnginePid(): number | null;
  /** Stops the idle warm ffmpeg (server shutdown). Requests still running finish on their own. */
  close(): Promise<void>;
}

export interface TranscribeHandlerOptions {
  /** Replaces the engines built from the config (tests). `config.mode` still selects among them. */
  engines?: SttEngine[];
  /**
   * Keep one ffmpeg started and decode streamable uploads through its stdin
   * (default: `config.keepWarm`). False: every upload is decoded from a temp file by an
   * ffmpeg started for it (tests, the benchmark's baseline).
   */
  warmDecoder?: boolean;
  /**
   * Let an engine whose start-up is the slow part keep a process ready (default: `config.keepWarm`;
   * pocketsphinx does). False: a process per recording (tests, the benchmark's baseline).
   */
  warmEngine?: boolean;
}

/** The largest request body the handler accepts; give Bun.serve a `maxRequestBodySize` at least this big. */
export function transcribeBodyLimit(config: TranscriptionConfig): number {
  return config.limits.maxBytes + MULTIPART_SLACK_BYTES;
}

/** An expected failure: becomes `{ error, code }` with the code's status. */
class TranscribeFailure extends Error {
  override name = "TranscribeFailure";
  constructor(
    readonly code: TranscribeErrorCode,
    message: string = transcribeErrorMeaning[code],
    readonly headers: Record<string, string> = {},
    readonly status: number = transcribeErrorStatus[code],
  ) {
    super(message);
  }
}

export function createTranscribeHandler(
  config: TranscriptionConfig,
  options: TranscribeHandlerOptions = {},
): TranscribeHandler {
  const engines = options.engines ?? createEngines(config, { warm: options.warmEngine ?? config.keepWarm });
  const limiter = new Limiter(config.limits.maxConcurrent, config.limits.maxQueue);
  const { limits } = config;
  const capSeconds = limits.maxDurationSec + 1;
  const warm: WarmDecoder | null = !(options.warmDecoder ?? config.keepWarm)
    ? null
    : createWarmDecoder({ ffmpegBin: config.ffmpegBin, capSeconds });
  let current: SttEngine | null = null;
  let checked = false;

  /** Checked on every request (a few stat calls), so installing an engine needs no restart. */
  async function findEngine(): Promise<SttEngine | null> {
    current = await selectEngine(config.mode, engines);
    checked = true;
    // The warm ffmpeg (~47 MB) and a warm engine only earn their memory when there is an engine.
    if (current) {
      warm?.refill();
      current.warmUp?.();
    }
    return current;
  }
  findEngine().then(
    (engine) => {
      if (engine) log.info("speech-to-text engine ready", { mode: config.mode, engine: engine.name });
      else log.warn("no speech-to-text engine is set up", { mode: config.mode });
    },
    (error: unknown) => log.error("engine check failed", { error: errorText(error) }),
  );

  async function transcribe(req: Request, started: number): Promise<TranscribeResponse> {
    if (req.method !== "POST") {
      throw new TranscribeFailure("INVALID_REQUEST", "Use POST with a multipart form.", { allow: "POST" }, 405);
    }
    const contentType = req.headers.get("content-type") ?? "";
    if (!/^multipart\/form-data\s*;/i.test(contentType)) {
      throw new TranscribeFailure("INVALID_REQUEST", "Send a multipart/form-data body with an `audio` file.");
    }
    const bodyLimit = transcribeBodyLimit(config);
    const declared = Number(req.headers.get("content-length") ?? Number.NaN);
    if (Number.isFinite(declared) && declared > bodyLimit) throw tooLarge(limits.maxBytes);
    if (limiter.full) throw busy();

    const engine = await findEngine();
    if (!engine) throw new TranscribeFailure("NO_ENGINE", noEngineMessage(config.mode, engines));

    const body = await readBodyBytes(req, bodyLimit);
    if (!body) throw tooLarge(limits.maxBytes);
    let form: FormData;
    try {
      form = await new Response(body, { headers: { "content-type": contentType } }).formData();
    } catch {
      throw new TranscribeFailure("INVALID_REQUEST", "The multipart body could not be parsed.");
    }
    const audio = form.get(TRANSCRIBE_FIELDS.audio);
    if (!(audio instanceof Blob)) {
      throw new TranscribeFailure("INVALID_REQUEST", "The form has no `audio` file.");
    }
    if (audio.size === 0) throw new TranscribeFailure("AUDIO_EMPTY", "The `audio` file is empty.");
    if (audio.size > limits.maxBytes) throw tooLarge(limits.maxBytes);
    const language = optionalField(form, TRANSCRIBE_FIELDS.language, TranscribeLanguage) ?? config.language;
    const prompt = optionalField(form, TRANSCRIBE_FIELDS.prompt, TranscribePrompt);

    const queuedAt = performance.now();
    let release: () => void;
    try {
      release = await limiter.acquire(req.signal);
    } catch (error) {
      if (error instanceof LimiterFullError) throw busy();
      if (error instanceof LimiterAbortedError) throw new TranscribeFailure("CANCELLED");
      throw error;
    }
    const waitMs = performance.now() - queuedAt;

    let dir: string | undefined;
    try {
      dir = await mkdtemp(join(config.tempDir, "pocket-stt-"));
      const wavPath = join(dir, "audio.wav");
      const upload = await audio.bytes();

      const decodeStarted = performance.now();
      const { stats, decoder } = await decode(upload, dir, wavPath, req.signal);
      const decodeMs = performance.now() - decodeStarted;

      const engineStarted = performance.now();
      const text = await runEngine(engine, wavPath, { language, prompt }, req.signal);
      const engineMs = performance.now() - engineStarted;

      const totalMs = performance.now() - started;
      const result: TranscribeResponse = {
        text,
        engine: engine.name,
        engineMs: round(engineMs),
        totalMs: round(totalMs),
        overheadMs: round(Math.max(0, totalMs - engineMs)),
        audioMs: round(stats.durationMs),
      };
      log.info("transcribed", {
        engine: engine.name,
        bytes: audio.size,
        audioMs: result.audioMs,
        chars: text.length,
        waitMs: round(waitMs),
        decoder,
        decodeMs: round(decodeMs),
        engineMs: result.engineMs,
        totalMs: result.totalMs,
      });
      return result;
    } finally {
      // The next warm ffmpeg starts now, not while this request's engine runs:
      // its ~120 ms of start-up CPU would slow the engine on a 2-core machine.
      // Before release(), so a queued request finds it.
      warm?.refill();
      release();
      if (dir) await removeDir(dir);
    }
  }

  /**
   * ffmpeg → WAV at `wavPath` → measured; throws the AUDIO_* failures. The
   * warm ffmpeg's stdin when the container streams and a warm process is
   * ready, else ffmpeg on the upload written to a file in `dir`.
   */
  async function decode(
    upload: Uint8Array,
    dir: string,
    wavPath: string,
    clientSignal: AbortSignal,
  ): Promise<{ stats: WavStats; decoder: "pipe" | "file" }> {
    const timeout = AbortSignal.timeout(limits.decodeTimeoutMs);
    const signal = AbortSignal.any([clientSignal, timeout]);
    let piped: Uint8Array | null = null;
    try {
      if (warm && pipeDecodable(upload)) piped = await warm.decode(upload, signal);
      if (piped) {
        await Bun.write(wavPath, piped);
      } else {
        const input = join(dir, "upload");
        await Bun.write(input, upload);
        await normaliseAudio(config.ffmpegBin, input, wavPath, { signal, capSeconds });
      }
    } catch (error) {
      if (clientSignal.aborted) throw new TranscribeFailure("CANCELLED");
      if (timeout.aborted) {
        throw new TranscribeFailure(
          "AUDIO_UNDECODABLE",
          `The recording took longer than ${limits.decodeTimeoutMs / 1000} s to decode.`,
        );
      }
      throw error;
    }
    let wav = piped;
    if (!wav) {
      const file = Bun.file(wavPath);
      if (!(await file.exists())) throw new TranscribeFailure("AUDIO_UNDECODABLE", "ffmpeg produced no audio.");
      wav = await file.bytes();
    }
    const stats = analyseWav(wav);
    if (stats.frames === 0) throw new TranscribeFailure("AUDIO_SILENT", "The recording contains no audio (0 s).");
    if (stats.durationMs > limits.maxDurationSec * 1000) {
      throw new TranscribeFailure(
        "AUDIO_TOO_LONG",
        `The recording is longer than the limit of ${formatSeconds(limits.maxDurationSec)}.`,
      );
    }
    if (stats.peakDbfs < config.silence.peakDbfs || stats.rmsDbfs < config.silence.rmsDbfs) {
      throw new TranscribeFailure(
        "AUDIO_SILENT",
        `Nothing was heard in the recording (peak ${formatDb(stats.peakDbfs)}, RMS ${formatDb(stats.rmsDbfs)}).`,
      );
    }
    return { stats, decoder: piped ? "pipe" : "file" };
  }

  async function runEngine(
    engine: SttEngine,
    wavPath: string,
    extra: { language?: string; prompt?: string },
    clientSignal: AbortSignal,
  ): Promise<string> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), limits.engineTimeoutMs);
    const signal = AbortSignal.any([clientSignal, timeout.signal]);
    try {
      return await engine.transcribe(wavPath, { signal, ...extra });
    } catch (error) {
      if (timeout.signal.aborted) {
        throw new TranscribeFailure(
          "ENGINE_TIMEOUT",
          `The ${engine.name} engine did not finish within ${formatSeconds(limits.engineTimeoutMs / 1000)}.`,
        );
      }
      if (clientSignal.aborted) throw new TranscribeFailure("CANCELLED");
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async handle(req: Request): Promise<Response> {
      const started = performance.now();
      try {
        return Response.json(await transcribe(req, started), { headers: { "cache-control": "no-store" } });
      } catch (error) {
        const failure = req.signal.aborted ? new TranscribeFailure("CANCELLED") : toFailure(error);
        const fields = { code: failure.code, error: failure.message, totalMs: round(performance.now() - started) };
        if (failure.code === "INTERNAL_ERROR")
          log.error("transcription failed", { ...fields, cause: errorText(error) });
        else log.warn("transcription refused", fields);
        const body: TranscribeErrorResponse = { error: failure.message, code: failure.code };
        return Response.json(body, {
          status: failure.status,
          headers: { "cache-control": "no-store", ...failure.headers },
        });
      }
    },
    async check(): Promise<TranscriptionStatus> {
      await findEngine();
      return this.status();
    },
    warmDecoderPid: () => warm?.idlePid ?? null,
    warmEnginePid: () => current?.warmPid ?? null,
    close: async () => {
      await warm?.close();
      for (const engine of engines) await engine.close?.();
    },
    status(): TranscriptionStatus {
      return {
        mode: config.mode,
        engine: current?.name ?? null,
        checked,
        running: limiter.running,
        queued: limiter.queued,
        maxConcurrent: limiter.maxActive,
        maxQueue: limiter.maxQueue,
        maxBytes: limits.maxBytes,
        maxDurationSec: limits.maxDurationSec,
        setupHint: checked && !current ? noEngineMessage(config.mode, engines) : undefined,
      };
    },
  };
}

function toFailure(error: unknown): TranscribeFailure {
  if (error instanceof TranscribeFailure) return error;
  if (error instanceof AudioDecodeError) {
    return new TranscribeFailure("AUDIO_UNDECODABLE", `The recording could not be read as audio: ${error.message}`);
  }
  if (error instanceof DecoderMissingError) {
    return new TranscribeFailure("DECODER_MISSING", "ffmpeg is not installed on the server: `apt install ffmpeg`.");
  }
  if (error instanceof SttEngineError) return new TranscribeFailure("ENGINE_FAILED", error.message);
  return new TranscribeFailure("INTERNAL_ERROR");
}

function tooLarge(maxBytes: number): TranscribeFailure {
  return new TranscribeFailure(
    "AUDIO_TOO_LARGE",
    `The recording is larger than the limit of ${formatBytes(maxBytes)}.`,
  );
}

function busy(): TranscribeFailure {
  return new TranscribeFailure("BUSY", transcribeErrorMeaning.BUSY, { "retry-after": String(RETRY_AFTER_SECONDS) });
}

async function removeDir(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (error) {
    log.error("could not remove a temp folder", { dir, error: errorText(error) });
  }
}

/** A string field that may be absent; present but invalid is a 400. */
function optionalField<T>(form: FormData, name: string, schema: z.ZodType<T>): T | undefined {
  const value = form.get(name);
  if (value === null || value === "") return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TranscribeFailure("INVALID_REQUEST", `The \`${name}\` field is not valid.`);
  return parsed.data;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const formatDb = (db: number) => (Number.isFinite(db) ? `${db.toFixed(1)} dBFS` : "-∞ dBFS");
const formatBytes = (n: number) => (n >= 1024 * 1024 ? `${+(n / (1024 * 1024)).toFixed(1)} MB` : `${n} bytes`);
const formatSeconds = (s: number) => (s >= 60 && s % 60 === 0 ? `${s / 60} min` : `${+s.toFixed(1)} s`);
const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
