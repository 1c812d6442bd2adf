/**
 * The warm ffmpeg on its own: which uploads may go through the pipe (box
 * walking on hand-built bytes), and the process's life with the real ffmpeg
 * (same WAV as the file path, replaced by `refill()` after use, killed on
 * close, a dead or missing process falls back, an abort stops it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeSpeechClip, requireTools } from "../../../tests/fixtures/audio/makeClips.ts";
import { isAlive } from "../../../tests/fixtures/processes.ts";
import { setLogSink } from "../logger.ts";
import { AudioDecodeError, analyseWav, normaliseAudio } from "./audio.ts";
import { ProcessAbortedError } from "./process.ts";
import { waitFor, writeScript } from "./testSupport.ts";
import { createWarmDecoder, mp4Layout, pipeDecodable, type WarmDecoder } from "./warmDecoder.ts";

// ---------------------------------------------------------------------------
// Hand-built containers.

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

/** One ISO BMFF box: 32-bit size (or `size` as given), type, body. */
function box(type: string, body: number[] = [], size?: number): number[] {
  const total = size ?? 8 + body.length;
  return [(total >>> 24) & 0xff, (total >>> 16) & 0xff, (total >>> 8) & 0xff, total & 0xff, ...ascii(type), ...body];
}

/** A box with size 1 and a 64-bit `largesize`. */
function largeBox(type: string, body: number[]): number[] {
  const total = BigInt(16 + body.length);
  const large = new Uint8Array(8);
  new DataView(large.buffer).setBigUint64(0, total);
  return [0, 0, 0, 1, ...ascii(type), ...large, ...body];
}

const ftyp = box("ftyp", [...ascii("isom"), 0, 0, 2, 0, ...ascii("isomiso2mp41")]);
const bytes = (...parts: number[][]) => new Uint8Array(parts.flat());

describe("mp4Layout walks the top-level boxes", () => {
  test("moov before mdat: index first", () => {
    expect(mp4Layout(bytes(ftyp, box("moov", [1, 2, 3]), box("mdat", [9, 9, 9, 9])))).toBe("index-first");
  });

  test("mdat before moov: index last", () => {
    expect(mp4Layout(bytes(ftyp, box("free"), box("mdat", [9, 9, 9, 9]), box("moov", [1, 2, 3])))).toBe("index-last");
  });

  test("fragmented: moov before moof", () => {
    expect(mp4Layout(bytes(ftyp, box("moov", [1]), box("moof", [2]), box("mdat", [3])))).toBe("index-first");
  });

  test("a 64-bit largesize is followed to the next box", () => {
    expect(mp4Layout(bytes(ftyp, largeBox("free", [0, 0, 0, 0]), box("moov", [1])))).toBe("index-first");
    expect(mp4Layout(bytes(ftyp, largeBox("mdat", [7, 7, 7]), box("moov", [1])))).toBe("index-last");
    // A largesize header cut off after its type.
    expect(mp4Layout(bytes(ftyp, [0, 0, 0, 1, ...ascii("free"), 0, 0]))).toBe("unknown");
  });

  test("size 0 runs to the end", () => {
    expect(mp4Layout(bytes(ftyp, box("mdat", [1, 2, 3], 0)))).toBe("index-last");
    expect(mp4Layout(bytes(ftyp, box("free", [1, 2, 3], 0), box("moov")))).toBe("unknown");
  });

  test("truncated or malformed boxes: unknown", () => {
    // A box that claims more bytes than there are, before moov was seen.
    expect(mp4Layout(bytes(ftyp, box("free", [1, 2], 1_000)))).toBe("unknown");
    // The next box header is cut off.
    expect(mp4Layout(bytes(ftyp, [0, 0, 0]))).toBe("unknown");
    // A size smaller than its own header would loop forever.
    expect(mp4Layout(bytes(ftyp, box("free", [], 4), box("moov")))).toBe("unknown");
    // Only ftyp.
    expect(mp4Layout(bytes(ftyp))).toBe("unknown");
  });
});

describe("pipeDecodable", () => {
  test("MP4 only with its index first; unknown MP4 layouts go to the file", () => {
    expect(pipeDecodable(bytes(ftyp, box("moov", [1]), box("mdat", [2])))).toBe(true);
    expect(pipeDecodable(bytes(ftyp, box("mdat", [2]), box("moov", [1])))).toBe(false);
    expect(pipeDecodable(bytes(ftyp, box("free", [1, 2], 1_000)))).toBe(false);
    // An old QuickTime file without ftyp.
    expect(pipeDecodable(bytes(box("mdat", [2, 2, 2, 2]), box("moov", [1])))).toBe(false);
    expect(pipeDecodable(bytes(box("moov", [1, 1, 1, 1]), box("mdat", [2])))).toBe(true);
  });

  test("streamable containers by their magic bytes", () => {
    const padded = (magic: number[]) => new Uint8Array([...magic, ...new Array(16).fill(0)]);
    expect(pipeDecodable(padded([0x1a, 0x45, 0xdf, 0xa3]))).toBe(true); // WebM / Matroska
    expect(pipeDecodable(padded(ascii("OggS")))).toBe(true);
    expect(pipeDecodable(padded([...ascii("RIFF"), 0, 0, 0, 0, ...ascii("WAVE")]))).toBe(true);
    expect(pipeDecodable(padded(ascii("fLaC")))).toBe(true);
    expect(pipeDecodable(padded(ascii("ID3")))).toBe(true);
    expect(pipeDecodable(padded([0xff, 0xfb, 0x90]))).toBe(true); // MP3 frame
    expect(pipeDecodable(padded([0xff, 0xf1, 0x50]))).toBe(true); // ADTS AAC
    expect(pipeDecodable(padded(ascii("#!AMR\n")))).toBe(true);
  });

  test("anything else goes to the file", () => {
    expect(pipeDecodable(new TextEncoder().encode("This is not audio.\nJust text.\n"))).toBe(false);
    expect(pipeDecodable(new Uint8Array([...ascii("RIFF"), 0, 0, 0, 0, ...ascii("AVI "), 0, 0]))).toBe(false);
    expect(pipeDecodable(new Uint8Array([0x1a, 0x45, 0xdf]))).toBe(false);
    expect(pipeDecodable(new Uint8Array(0))).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// The process, with the real ffmpeg.

let root: string;
let webm: string;
let mp4: string;
let m4a: string;
const signal = new AbortController().signal;
const decoders: WarmDecoder[] = [];

function decoder(ffmpegBin = "ffmpeg"): WarmDecoder {
  const made = createWarmDecoder({ ffmpegBin, capSeconds: 60 });
  decoders.push(made);
  made.refill();
  return made;
}

/** The WAV the file path writes for `input`. */
async function fileWav(input: string): Promise<Uint8Array> {
  const out = join(root, `${Bun.hash(input)}.wav`);
  await normaliseAudio("ffmpeg", input, out, { signal, capSeconds: 60 });
  return Bun.file(out).bytes();
}

beforeAll(async () => {
  requireTools(["ffmpeg", "espeak-ng"]);
  root = await mkdtemp(join(tmpdir(), "pocket-warm-"));
  [webm, mp4, m4a] = await Promise.all([
    makeSpeechClip(root, "webm", ["run the tests"], "webm"),
    makeSpeechClip(root, "mp4", ["run the tests"], "mp4"),
    makeSpeechClip(root, "m4a", ["run the tests"], "m4a"),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(decoders.map((d) => d.close()));
  if (root) await rm(root, { recursive: true, force: true });
});

describe("the warm ffmpeg", () => {
  test("decodes webm/opus and fragmented mp4 to the same WAV as the file path, sizes filled in", async () => {
    const warm = decoder();
    for (const clip of [webm, mp4]) {
      const upload = await Bun.file(clip).bytes();
      expect(pipeDecodable(upload)).toBe(true);
      const piped = await warm.decode(upload, signal);
      warm.refill();
      if (!piped) throw new Error("no warm process");
      const view = new DataView(piped.buffer, piped.byteOffset, piped.byteLength);
      expect(view.getUint32(4, true)).toBe(piped.byteLength - 8);
      expect(view.getUint32(40, true)).toBe(piped.byteLength - 44);
      expect(analyseWav(piped).durationMs).toBeGreaterThan(1_000);
      expect(piped).toEqual(await fileWav(clip));
    }
  }, 30_000);

  test("an m4a with its index at the end is not sent through the pipe", async () => {
    expect(pipeDecodable(await Bun.file(m4a).bytes())).toBe(false);
  });

  test("is used once, replaced by refill(), and killed on close", async () => {
    const warm = decoder();
    const upload = await Bun.file(webm).bytes();
    const first = warm.idlePid;
    expect(first).not.toBeNull();
    expect(await warm.decode(upload, signal)).not.toBeNull();
    expect(warm.idlePid).toBeNull(); // taken; the next one waits for refill()
    expect(isAlive(first ?? 0)).toBe(false); // used, exited and reaped
    expect(await warm.decode(upload, signal)).toBeNull(); // none ready: the caller decodes from a file
    warm.refill();
    const second = warm.idlePid;
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    warm.refill(); // one idle process at most
    expect(warm.idlePid).toBe(second);
    expect(await warm.decode(upload, signal)).not.toBeNull();
    warm.refill();
    const third = warm.idlePid ?? 0;
    expect(third).not.toBe(second);
    expect(isAlive(third)).toBe(true);

    await warm.close();
    expect(isAlive(third)).toBe(false);
    expect(warm.idlePid).toBeNull();
    warm.refill();
    expect(warm.idlePid).toBeNull(); // closed: no more processes
    expect(await warm.decode(upload, signal)).toBeNull();
  }, 30_000);

  test("undecodable input through the pipe is an AudioDecodeError naming no pipe", async () => {
    const warm = decoder();
    const junk = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, ...ascii("not really a webm file, just text")]);
    expect(pipeDecodable(junk)).toBe(true);
    const error = await warm.decode(junk, signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect(String(error)).toContain("Invalid data");
    expect(String(error)).not.toContain("pipe:");
    // The next process works all the same.
    warm.refill();
    expect(await warm.decode(await Bun.file(webm).bytes(), signal)).not.toBeNull();
  }, 30_000);

  test("a process that died while idle is skipped (null: decode from a file), and the next one works", async () => {
    const logs: string[] = [];
    const restore = setLogSink((line) => logs.push(line));
    try {
      const warm = decoder();
      const pid = warm.idlePid ?? 0;
      process.kill(pid, "SIGKILL");
      await waitFor(() => warm.idlePid === null, "the decoder to notice the dead process");
      const upload = await Bun.file(webm).bytes();
      expect(await warm.decode(upload, signal)).toBeNull();
      warm.refill();
      expect(warm.idlePid).not.toBeNull();
      expect(await warm.decode(upload, signal)).not.toBeNull();
      await waitFor(() => logs.some((l) => l.includes("exited while idle")), "the warning");
    } finally {
      restore();
    }
  }, 30_000);

  test("a missing ffmpeg: null (the file path reports it), logged once, nothing thrown", async () => {
    const logs: string[] = [];
    const restore = setLogSink((line) => logs.push(line));
    try {
      const warm = decoder(join(root, "missing", "ffmpeg"));
      expect(warm.idlePid).toBeNull();
      const upload = await Bun.file(webm).bytes();
      expect(await warm.decode(upload, signal)).toBeNull();
      warm.refill();
      expect(await warm.decode(upload, signal)).toBeNull();
      warm.refill();
      expect(warm.idlePid).toBeNull();
      expect(logs.filter((l) => l.includes("could not start the warm ffmpeg"))).toHaveLength(1);
    } finally {
      restore();
    }
  });

  test("an abort stops the process and throws ProcessAbortedError", async () => {
    // Stands in for an ffmpeg that never finishes; `sleep` ignores its stdin.
    const stub = await writeScript(join(root, "slow-ffmpeg"), "exec sleep 30");
    const warm = decoder(stub);
    const pid = warm.idlePid ?? 0;
    expect(isAlive(pid)).toBe(true);
    const abort = new AbortController();
    const decoding = warm.decode(await Bun.file(webm).bytes(), abort.signal);
    abort.abort();
    expect(await decoding.catch((e: unknown) => e)).toBeInstanceOf(ProcessAbortedError);
    expect(isAlive(pid)).toBe(false);
    warm.refill();
    const next = warm.idlePid ?? 0;
    expect(isAlive(next)).toBe(true);
    await warm.close();
    expect(isAlive(next)).toBe(false);
  }, 30_000);
});
