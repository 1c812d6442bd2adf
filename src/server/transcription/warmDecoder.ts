/**
 * A pre-started ffmpeg for the next upload. Starting ffmpeg costs ~120 ms on
 * Debian (it links ~215 shared libraries) while decoding a short recording
 * costs ~25 ms, so one process is kept started and blocked reading its stdin.
 * A request takes it, writes the upload to its stdin, closes it, and collects
 * the WAV from its stdout. The caller starts the next process with `refill()`
 * once the request is done: started right away it would compete for the CPU
 * with the request's engine (measured: +40 ms of engine time on 2 cores).
 *
 * Only uploads that ffmpeg can decode from a pipe come here
 * (`pipeDecodable`): an MP4/M4A with its index (`moov`) after the media needs
 * to seek and is decoded from a file instead, as is anything unrecognised.
 * When no warm process is ready (it could not be started, or it died), or its
 * output is not the expected WAV, `decode` answers null and the caller uses
 * the file path. Nothing starts until the first `refill()`: the handler calls
 * it once a speech engine is found, so a server without one keeps no ffmpeg.
 */
import type { Subprocess } from "bun";
import { createLogger } from "../logger.ts";
import { AudioDecodeError, ffmpegPipeArgs, patchWavSizes } from "./audio.ts";
import { ProcessAbortedError, stopOnAbort, tail } from "./process.ts";

const log = createLogger("transcription");

type PipedProcess = Subprocess<"pipe", "pipe", "pipe">;

export interface WarmDecoder {
  /**
   * Decodes `upload` (which must be `pipeDecodable`) in the warm process into
   * a WAV with the canonical 44-byte header and correct sizes. Null: no warm
   * process was ready or its output was unusable; decode from a file. Throws
   * `AudioDecodeError` (ffmpeg failed on the input) or `ProcessAbortedError`
   * (stopped through `signal`; the process has exited).
   */
  decode(upload: Uint8Array, signal: AbortSignal): Promise<Uint8Array | null>;
  /**
   * Starts the next process unless one is idle (or the decoder is closed).
   * Never throws: a failed start is logged once and `decode` answers null.
   */
  refill(): void;
  /** The idle process's pid, null when none is ready (tests, benchmarks). */
  readonly idlePid: number | null;
  /** Kills the idle process and starts no more; waits for it to exit. */
  close(): Promise<void>;
}

export interface WarmDecoderOptions {
  ffmpegBin: string;
  /** `-t`: decode at most this many seconds. */
  capSeconds: number;
}

export function createWarmDecoder({ ffmpegBin, capSeconds }: WarmDecoderOptions): WarmDecoder {
  const cmd = ffmpegPipeArgs(ffmpegBin, capSeconds);
  let idle: PipedProcess | null = null;
  let closed = false;
  /** Set while starting fails, so a missing ffmpeg is logged once, not on every request. */
  let startFailed = false;

  function start(): void {
    if (closed || idle) return;
    let proc: PipedProcess;
    try {
      proc = Bun.spawn(cmd, { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    } catch (error) {
      if (!startFailed) {
        log.warn("could not start the warm ffmpeg; decoding from files", { error: errorText(error) });
      }
      startFailed = true;
      return;
    }
    if (startFailed) log.info("the warm ffmpeg started");
    startFailed = false;
    // An idle process must not keep the server's event loop alive.
    proc.unref();
    idle = proc;
    void proc.exited.then(async () => {
      if (idle !== proc) return;
      // Died while idle (killed from outside, or ffmpeg is broken): the next
      // `refill()` starts another, so a broken ffmpeg is not restarted in a loop.
      idle = null;
      const stderr = await new Response(proc.stderr).text().catch(() => "");
      log.warn("the warm ffmpeg exited while idle", {
        exitCode: proc.exitCode,
        signal: proc.signalCode,
        stderr: tail(stderr),
      });
    });
  }

  /** The idle process if it is alive. */
  function take(): PipedProcess | null {
    const proc = idle;
    idle = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null || proc.killed) return null;
    return proc;
  }

  return {
    refill: start,
    get idlePid() {
      return idle?.pid ?? null;
    },

    async decode(upload: Uint8Array, signal: AbortSignal): Promise<Uint8Array | null> {
      if (signal.aborted) throw new ProcessAbortedError("ffmpeg was not used: aborted");
      const proc = take();
      if (!proc) return null;
      proc.ref();
      const stopWatching = stopOnAbort(proc, signal);
      try {
        const [wav, stderr, exitCode] = await Promise.all([
          new Response(proc.stdout).bytes(),
          new Response(proc.stderr).text(),
          proc.exited,
          feed(proc, upload),
        ]);
        if (signal.aborted) throw new ProcessAbortedError("ffmpeg was stopped: aborted");
        if (proc.signalCode !== null) {
          // Killed by someone else mid-decode: not the upload's fault.
          log.warn("the warm ffmpeg was killed while decoding; decoding from a file", { signal: proc.signalCode });
          return null;
        }
        if (exitCode !== 0) {
          throw new AudioDecodeError(tail(stderr.replaceAll("pipe:0", "input"), 2) || `ffmpeg exited with ${exitCode}`);
        }
        const patched = patchWavSizes(wav);
        if (!patched) {
          log.warn("the warm ffmpeg wrote an unexpected WAV header; decoding from a file", { bytes: wav.byteLength });
        }
        return patched;
      } finally {
        stopWatching();
      }
    },

    async close(): Promise<void> {
      closed = true;
      const proc = idle;
      idle = null;
      if (!proc) return;
      // SIGKILL, not SIGTERM: ffmpeg's SIGTERM handler lets a blocked read of
      // stdin carry on (the syscall restarts), and an idle process has nothing
      // to flush.
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/**
 * Writes the upload to ffmpeg's stdin and closes it. A write error means
 * ffmpeg stopped reading (it failed on the input, reached `-t`, or was
 * stopped): its exit code and stderr tell which, so the error is dropped.
 */
async function feed(proc: PipedProcess, upload: Uint8Array): Promise<void> {
  try {
    proc.stdin.write(upload);
    await proc.stdin.end();
  } catch {
    // See above.
  }
}

const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

// ---------------------------------------------------------------------------
// Which uploads can be decoded from a pipe.

const ascii = (bytes: Uint8Array, offset: number, length = 4) =>
  String.fromCharCode(...bytes.subarray(offset, offset + length));

/** Top-level box types an ISO BMFF (MP4, M4A, 3GP) or QuickTime file may start with. */
const FIRST_BOXES = new Set(["ftyp", "moov", "mdat", "free", "skip", "wide", "pnot"]);

export function isIsoBmff(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && FIRST_BOXES.has(ascii(bytes, 4));
}

/**
 * Where an ISO BMFF / QuickTime file keeps its index, from its top-level
 * boxes: `index-first` when `moov` comes before any media (`mdat`, or `moof`
 * of a fragmented file), `index-last` when media comes first, `unknown` when
 * the boxes are malformed or end before either is found.
 */
export type Mp4Layout = "index-first" | "index-last" | "unknown";

export function mp4Layout(bytes: Uint8Array): Mp4Layout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + 8 <= bytes.byteLength) {
    const type = ascii(bytes, offset + 4);
    let size = view.getUint32(offset);
    let header = 8;
    if (size === 1) {
      // 64-bit `largesize` after the type.
      if (offset + 16 > bytes.byteLength) return "unknown";
      const large = view.getBigUint64(offset + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) return "unknown";
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      // The box runs to the end of the file.
      size = bytes.byteLength - offset;
    }
    if (size < header) return "unknown";
    if (type === "moov") return "index-first";
    if (type === "mdat" || type === "moof") return "index-last";
    offset += size;
  }
  return "unknown";
}

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0) =>
  bytes.byteLength >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);
const text = (s: string) => [...s].map((c) => c.charCodeAt(0));

const EBML = [0x1a, 0x45, 0xdf, 0xa3];

/**
 * Whether ffmpeg can decode `bytes` from a pipe, judged from the bytes alone
 * (never the client's MIME type). Only containers known to decode front to
 * back: WebM/Matroska, Ogg, WAV, FLAC, MP3 (ID3 or a frame sync), AAC in
 * ADTS, AMR, and MP4/M4A/MOV with `moov` before the media (fragmented MP4, as
 * Safari records). Anything else, including an MP4 with its index at the end,
 * is decoded from a file.
 */
export function pipeDecodable(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 12) return false;
  if (isIsoBmff(bytes)) return mp4Layout(bytes) === "index-first";
  if (startsWith(bytes, EBML)) return true;
  if (startsWith(bytes, text("OggS"))) return true;
  if (startsWith(bytes, text("RIFF")) && startsWith(bytes, text("WAVE"), 8)) return true;
  if (startsWith(bytes, text("fLaC"))) return true;
  if (startsWith(bytes, text("ID3"))) return true;
  if (startsWith(bytes, text("#!AMR"))) return true;
  // MPEG audio (MP3) or ADTS (AAC) frame sync: 11 set bits.
  if (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0) return true;
  return false;
}
