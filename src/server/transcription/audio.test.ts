import { describe, expect, test } from "bun:test";
import { AudioDecodeError, analyseWav, ffmpegNormaliseArgs, ffmpegPipeArgs, patchWavSizes } from "./audio.ts";

/** A 16-bit PCM WAV of `samples`, optionally with extra chunks before `data`. */
function wav(samples: number[], options: { sampleRate?: number; channels?: number; extra?: Uint8Array } = {}) {
  const { sampleRate = 16_000, channels = 1, extra = new Uint8Array(0) } = options;
  const dataBytes = samples.length * 2;
  const bytes = new Uint8Array(12 + 24 + extra.byteLength + 8 + dataBytes);
  const view = new DataView(bytes.buffer);
  const text = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) bytes[offset + i] = s.charCodeAt(i);
  };
  text(0, "RIFF");
  view.setUint32(4, bytes.byteLength - 8, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  bytes.set(extra, 36);
  const data = 36 + extra.byteLength;
  text(data, "data");
  view.setUint32(data + 4, dataBytes, true);
  samples.forEach((s, i) => {
    view.setInt16(data + 8 + i * 2, s, true);
  });
  return bytes;
}

/** An odd-sized LIST chunk (padded to even), as some encoders write. */
function listChunk(payload: string): Uint8Array {
  const padded = payload.length + (payload.length % 2);
  const bytes = new Uint8Array(8 + padded);
  const view = new DataView(bytes.buffer);
  for (const [i, c] of [..."LIST"].entries()) bytes[i] = c.charCodeAt(0);
  view.setUint32(4, payload.length, true);
  for (const [i, c] of [...payload].entries()) bytes[8 + i] = c.charCodeAt(0);
  return bytes;
}

describe("analyseWav", () => {
  test("measures duration, peak and RMS", () => {
    const square = Array.from({ length: 16_000 }, (_, i) => (i % 2 ? 16_384 : -16_384));
    const stats = analyseWav(wav(square));
    expect(stats.frames).toBe(16_000);
    expect(stats.durationMs).toBe(1_000);
    expect(stats.peak).toBe(0.5);
    expect(stats.rms).toBeCloseTo(0.5, 6);
    expect(stats.peakDbfs).toBeCloseTo(-6.02, 2);
  });

  test("digital silence is -Infinity dBFS; no samples is 0 s", () => {
    const silent = analyseWav(wav(new Array(800).fill(0)));
    expect(silent.peakDbfs).toBe(Number.NEGATIVE_INFINITY);
    expect(silent.rmsDbfs).toBe(Number.NEGATIVE_INFINITY);
    expect(analyseWav(wav([])).frames).toBe(0);
  });

  test("skips other chunks, counts frames per channel, handles full-scale negative samples", () => {
    const stats = analyseWav(wav([-32_768, 0, 100, 0], { channels: 2, extra: listChunk("ISFTLavf") }));
    expect(stats.channels).toBe(2);
    expect(stats.frames).toBe(2);
    expect(stats.peak).toBe(1);
  });

  test("a data size past the end of the file means up to the end", () => {
    const bytes = wav([1000, -1000, 1000]);
    new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
    expect(analyseWav(bytes).frames).toBe(3);
  });

  test("rejects what is not 16-bit PCM WAV", () => {
    expect(() => analyseWav(new TextEncoder().encode("hello, this is text"))).toThrow(AudioDecodeError);
    const float = wav([1, 2]);
    new DataView(float.buffer).setUint16(20, 3, true);
    expect(() => analyseWav(float)).toThrow("not 16-bit PCM");
  });
});

test("the ffmpeg command decodes from a file, to 16 kHz mono s16le WAV, capped in length", () => {
  const args = ffmpegNormaliseArgs("ffmpeg", "/tmp/x/upload", "/tmp/x/audio.wav", 601);
  expect(args.join(" ")).toBe(
    "ffmpeg -nostdin -hide_banner -loglevel error -y -i /tmp/x/upload -vn -ac 1 -ar 16000 -c:a pcm_s16le -fflags +bitexact -t 601.000 -f wav /tmp/x/audio.wav",
  );
});

test("the warm ffmpeg's command reads stdin and writes the same WAV to stdout", () => {
  expect(ffmpegPipeArgs("ffmpeg", 601).join(" ")).toBe(
    "ffmpeg -hide_banner -loglevel error -i pipe:0 -vn -ac 1 -ar 16000 -c:a pcm_s16le -fflags +bitexact -t 601.000 -f wav pipe:1",
  );
});

describe("patchWavSizes", () => {
  test("fills in the RIFF and data sizes ffmpeg leaves at 0xFFFFFFFF in a pipe", () => {
    const bytes = wav([1000, -1000, 1000]);
    const view = new DataView(bytes.buffer);
    view.setUint32(4, 0xffffffff, true);
    view.setUint32(40, 0xffffffff, true);
    expect(patchWavSizes(bytes)).toBe(bytes);
    expect(view.getUint32(4, true)).toBe(bytes.byteLength - 8);
    expect(view.getUint32(40, true)).toBe(6);
    expect(analyseWav(bytes).frames).toBe(3);
  });

  test("refuses a header that is not the canonical 44 bytes", () => {
    expect(patchWavSizes(wav([1, 2], { extra: listChunk("ISFTLavf") }))).toBeNull();
    expect(patchWavSizes(wav([]).subarray(0, 40))).toBeNull();
    expect(patchWavSizes(new Uint8Array(64))).toBeNull();
    expect(patchWavSizes(wav([]))).not.toBeNull(); // 0 s of audio is still a valid file
  });
});
