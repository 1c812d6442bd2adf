/**
 * Audio normalisation and measurement. Every upload, whatever its container or
 * claimed MIME type, is decoded by ffmpeg into 16 kHz mono s16le WAV, then
 * measured here from its samples. Streamable containers go through a
 * pre-started ffmpeg's stdin (`warmDecoder.ts`); everything else is decoded
 * from a file: a piped m4a with its index (`moov`) after the media decodes to
 * 0 s with exit code 0.
 */
import { ProcessStartError, runProcess, tail } from "./process.ts";

export class DecoderMissingError extends Error {
  override name = "DecoderMissingError";
}

export class AudioDecodeError extends Error {
  override name = "AudioDecodeError";
}

export const TARGET_SAMPLE_RATE = 16_000;

/**
 * The ffmpeg command that turns any upload into the WAV the engines read.
 * `-fflags +bitexact` leaves out the LIST/INFO chunk, so the header is the
 * canonical 44 bytes that pocketsphinx_continuous assumes (it skips exactly 44
 * bytes and would read the chunk as samples). `-t` caps the work on a very
 * long upload: anything past the limit is too long anyway.
 */
export function ffmpegNormaliseArgs(ffmpegBin: string, input: string, output: string, capSeconds: number): string[] {
  return [
    ffmpegBin,
    "-nostdin",
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-i",
    input,
    ...wavOutputArgs(capSeconds),
    output,
  ];
}

/**
 * The same decode from stdin to stdout, for a process started before its
 * input exists. ffmpeg cannot seek back in a pipe to fill in the WAV sizes
 * (it leaves 0xFFFFFFFF): `patchWavSizes` does that. ffmpeg turns off its
 * keyboard commands by itself when its input is `pipe:`.
 */
export function ffmpegPipeArgs(ffmpegBin: string, capSeconds: number): string[] {
  return [ffmpegBin, "-hide_banner", "-loglevel", "error", "-i", "pipe:0", ...wavOutputArgs(capSeconds), "pipe:1"];
}

function wavOutputArgs(capSeconds: number): string[] {
  return [
    "-vn",
    "-ac",
    "1",
    "-ar",
    String(TARGET_SAMPLE_RATE),
    "-c:a",
    "pcm_s16le",
    "-fflags",
    "+bitexact",
    "-t",
    capSeconds.toFixed(3),
    "-f",
    "wav",
  ];
}

/** The canonical header `-fflags +bitexact` gives: RIFF, WAVE, a 16-byte `fmt ` chunk, then `data`. */
export const WAV_HEADER_BYTES = 44;

/**
 * Fills in the RIFF and `data` sizes of a WAV written to a pipe, in place.
 * Returns null unless the header is the canonical 44 bytes with `data` at
 * offset 36: pocketsphinx skips exactly 44 bytes of any WAV it reads.
 */
export function patchWavSizes(wav: Uint8Array): Uint8Array | null {
  if (wav.byteLength < WAV_HEADER_BYTES) return null;
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const ascii = (offset: number) => String.fromCharCode(...wav.subarray(offset, offset + 4));
  const canonical =
    ascii(0) === "RIFF" &&
    ascii(8) === "WAVE" &&
    ascii(12) === "fmt " &&
    view.getUint32(16, true) === 16 &&
    ascii(36) === "data";
  if (!canonical || wav.byteLength - 8 > 0xffff_ffff) return null;
  view.setUint32(4, wav.byteLength - 8, true);
  view.setUint32(40, wav.byteLength - WAV_HEADER_BYTES, true);
  return wav;
}

/** Decodes `input` into `output`; throws `AudioDecodeError` or `DecoderMissingError`. */
export async function normaliseAudio(
  ffmpegBin: string,
  input: string,
  output: string,
  options: { signal: AbortSignal; capSeconds: number },
): Promise<void> {
  let result: Awaited<ReturnType<typeof runProcess>>;
  try {
    result = await runProcess(ffmpegNormaliseArgs(ffmpegBin, input, output, options.capSeconds), options.signal);
  } catch (error) {
    if (error instanceof ProcessStartError) throw new DecoderMissingError(error.message);
    throw error;
  }
  if (result.exitCode !== 0) {
    // ffmpeg names the input path in its messages; keep only what follows it.
    const reason = tail(result.stderr.replaceAll(input, "input"), 2) || `ffmpeg exited with ${result.exitCode}`;
    throw new AudioDecodeError(reason);
  }
}

export interface WavStats {
  sampleRate: number;
  channels: number;
  /** Sample frames. */
  frames: number;
  durationMs: number;
  /** Largest absolute sample, 0..1 of full scale. */
  peak: number;
  /** Root mean square over all samples, 0..1 of full scale. */
  rms: number;
  peakDbfs: number;
  rmsDbfs: number;
}

/** Decibels relative to full scale; -Infinity for digital silence. */
export function toDbfs(level: number): number {
  return level > 0 ? 20 * Math.log10(level) : Number.NEGATIVE_INFINITY;
}

/** The samples of a WAV file: the body of its `data` chunk (to the end if its size is unset). */
export function wavSamples(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 12 || ascii(0) !== "RIFF" || ascii(8) !== "WAVE") throw new AudioDecodeError("not a WAV file");
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const length = Math.min(view.getUint32(offset + 4, true), bytes.byteLength - offset - 8);
    if (ascii(offset) === "data") return bytes.subarray(offset + 8, offset + 8 + length);
    offset += 8 + length + (length % 2);
  }
  throw new AudioDecodeError("WAV file without a data chunk");
}

/**
 * Reads a 16-bit PCM WAV (any chunk layout) and measures it. Throws
 * `AudioDecodeError` if the bytes are not such a file.
 */
export function analyseWav(bytes: Uint8Array): WavStats {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 12 || ascii(0) !== "RIFF" || ascii(8) !== "WAVE") throw new AudioDecodeError("not a WAV file");

  let format: { audioFormat: number; channels: number; sampleRate: number; bits: number } | undefined;
  let data: { offset: number; length: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = ascii(offset);
    const declared = view.getUint32(offset + 4, true);
    const body = offset + 8;
    // A size past the end (or ffmpeg's 0xFFFFFFFF for an unfinished file) means "to the end".
    const length = Math.min(declared, bytes.byteLength - body);
    if (id === "fmt " && length >= 16) {
      format = {
        audioFormat: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      data = { offset: body, length };
      break;
    }
    offset = body + length + (length % 2);
  }
  if (!format || !data) throw new AudioDecodeError("WAV file without fmt or data chunk");
  if (format.audioFormat !== 1 || format.bits !== 16 || format.channels < 1 || format.sampleRate < 1) {
    throw new AudioDecodeError("WAV file is not 16-bit PCM");
  }

  const samples = Math.floor(data.length / 2);
  let peak = 0;
  let sumSquares = 0;
  if (data.offset % 2 === 0) {
    // Every platform Bun runs on is little-endian, like WAV.
    const pcm = new Int16Array(bytes.buffer, bytes.byteOffset + data.offset, samples);
    for (let i = 0; i < pcm.length; i++) {
      const s = pcm[i] ?? 0;
      const a = s < 0 ? -s : s;
      if (a > peak) peak = a;
      sumSquares += s * s;
    }
  } else {
    for (let i = 0; i < samples; i++) {
      const s = view.getInt16(data.offset + i * 2, true);
      const a = s < 0 ? -s : s;
      if (a > peak) peak = a;
      sumSquares += s * s;
    }
  }
  const frames = Math.floor(samples / format.channels);
  const peakLevel = peak / 32_768;
  const rmsLevel = samples > 0 ? Math.sqrt(sumSquares / samples) / 32_768 : 0;
  return {
    sampleRate: format.sampleRate,
    channels: format.channels,
    frames,
    durationMs: (frames / format.sampleRate) * 1000,
    peak: peakLevel,
    rms: rmsLevel,
    peakDbfs: toDbfs(peakLevel),
    rmsDbfs: toDbfs(rmsLevel),
  };
}
