/**
 * What `POST /api/transcribe` costs on top of the engine: a 5 s Opus/WebM
 * clip (espeak-ng) through `handle()` N times with pocketsphinx and a JSGF
 * grammar, on two handlers side by side, alternating:
 *
 * - warm: the server's default, decoding through a pre-started ffmpeg's stdin
 *   (`warmDecoder.ts`) and recognising in a pocketsphinx started ahead with
 *   its model loaded (`engines/pocketsphinx.ts`, decision 010);
 * - cold (baseline): `warmDecoder: false, warmEngine: false`, an ffmpeg started
 *   per request on the upload written to a temp file (still the path for an
 *   MP4 with its index at the end) and a pocketsphinx started per request.
 *
 * Each run checks from the service's log line that the request took the
 * expected path. Before each step the bench waits until the warm handler's
 * idle ffmpeg and pocketsphinx are ready (blocked on their input), as they
 * are when a person records the next message seconds later.
 *
 * Also measured, interleaved: the bare (cold) engine on the already-normalised
 * WAV, and "engine start", the cold engine on a 0.3 s clip (process start +
 * model load, almost no audio): what the warm engine pays ahead of time.
 *
 *   bun bench/transcribe-overhead.ts [N]
 *
 * Prints a markdown table (one row per path) and the load average; times in
 * ms. Needs `apt install ffmpeg espeak-ng pocketsphinx pocketsphinx-en-us`.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setLogSink } from "../src/server/logger.ts";
import { analyseWav, normaliseAudio } from "../src/server/transcription/audio.ts";
import { parseTranscriptionConfig } from "../src/server/transcription/config.ts";
import { createPocketsphinxEngine } from "../src/server/transcription/engines/pocketsphinx.ts";
import { createTranscribeHandler, type TranscribeHandler } from "../src/server/transcription/transcribeHandler.ts";
import { TranscribeResponse } from "../src/shared/transcription.ts";
import { makeSpeechClip, requireTools, writeGrammar } from "../tests/fixtures/audio/makeClips.ts";

const PHRASES = ["open the settings file", "show the git status"] as const;
/** Length of the clip for "engine start". */
const SHORT_CLIP_SECONDS = 0.3;

export interface Summary {
  median: number;
  p95: number;
}

/** One way of decoding, measured through `handle()`. */
export interface PathResult {
  total: Summary;
  engine: Summary;
  overhead: Summary;
  /** The decode step inside the overhead (`decodeMs` from the service's log line). */
  decode: Summary;
  row: string;
}

export interface BenchResult extends PathResult {
  runs: number;
  audioMs: number;
  uploadBytes: number;
  /** The engine alone on the normalised WAV, no handler. */
  bareEngine: Summary;
  /** The engine alone on a 0.3 s WAV: its process start and model load. */
  engineStart: Summary;
  /** The file path (an ffmpeg started per request), measured in the same run. */
  baseline: PathResult;
  /** Load average (1 min) before and after. */
  load: { before: number; after: number };
  header: string;
  /** Both rows: warm ffmpeg, then the file path. */
  rows: string;
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}

const fmt = (n: number) => n.toFixed(1);

/** Linux: what `pid` is blocked in (`/proc/<pid>/wchan`); null without /proc or the process. */
async function blockedIn(pid: number): Promise<string | null> {
  try {
    return await Bun.file(`/proc/${pid}/wchan`).text();
  } catch {
    return null;
  }
}

/** Linux: the children of `pid` (the warm engine's recogniser runs under a watchdog shell). */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    return (await Bun.file(`/proc/${pid}/task/${pid}/children`).text()).trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Resolves once the warm handler's idle ffmpeg is blocked reading its stdin
 * and its pocketsphinx has loaded its model and is blocked opening its FIFO,
 * so no process start is running in the background. Gives up quietly after
 * `timeoutMs` or without /proc.
 */
async function warmProcessReady(handler: TranscribeHandler, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const decoderPid = handler.warmDecoderPid();
    const enginePid = handler.warmEnginePid();
    const decoder = decoderPid === null ? null : await blockedIn(decoderPid);
    const engine = enginePid === null ? [] : await Promise.all((await childrenOf(enginePid)).map(blockedIn));
    const decoderReady = decoder !== null && /read/.test(decoder);
    const engineReady = engine.some((wchan) => wchan?.includes("wait_for_partner"));
    if (decoderReady && engineReady) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function run(runs = 20): Promise<BenchResult> {
  requireTools();
  const root = await mkdtemp(join(tmpdir(), "pocket-stt-bench-"));
  const loadBefore = loadavg()[0] ?? Number.NaN;
  /** `decoder` and `decodeMs` of each request's log line, in order. */
  const decodes: { decoder: string; ms: number }[] = [];
  const restoreLogs = setLogSink((line) => {
    const match = line.match(/\[transcription\] transcribed .*"decoder":"(\w+)","decodeMs":([\d.]+)/);
    if (match?.[1] && match[2]) decodes.push({ decoder: match[1], ms: Number(match[2]) });
  });
  const handlers: TranscribeHandler[] = [];
  try {
    const clip = await makeSpeechClip(root, "five", PHRASES, "webm", { minSeconds: 5 });
    const grammar = join(root, "grammar.jsgf");
    await writeGrammar(grammar, PHRASES);
    const tempDir = join(root, "tmp");
    await mkdir(tempDir);
    const config = parseTranscriptionConfig({ POCKET_STT: "pocketsphinx", POCKET_STT_GRAMMAR: grammar });
    config.tempDir = tempDir;
    const warm = createTranscribeHandler(config);
    const cold = createTranscribeHandler(config, { warmDecoder: false, warmEngine: false });
    handlers.push(warm, cold);
    const upload = new Blob([await Bun.file(clip).arrayBuffer()], { type: "audio/webm;codecs=opus" });
    const expected = PHRASES.join(" ");

    const request = async (handler: TranscribeHandler, decoder: "pipe" | "file") => {
      const form = new FormData();
      form.append("audio", upload, "recording.webm");
      const seen = decodes.length;
      const response = await handler.handle(new Request("http://bench/api/transcribe", { method: "POST", body: form }));
      if (response.status !== 200) throw new Error(`handle() answered ${response.status}: ${await response.text()}`);
      const body = TranscribeResponse.parse(await response.json());
      if (body.text !== expected) throw new Error(`unexpected transcript: ${JSON.stringify(body.text)}`);
      const logged = decodes[seen];
      if (decodes.length !== seen + 1 || logged?.decoder !== decoder) {
        throw new Error(`expected the ${decoder} path, the log says ${JSON.stringify(decodes.slice(seen))}`);
      }
      return { ...body, decodeMs: logged.ms };
    };

    // The normalised WAV and its first 0.3 s, for the engine on its own.
    const wav = join(root, "five.16k.wav");
    const shortWav = join(root, "short.16k.wav");
    const signal = new AbortController().signal;
    await normaliseAudio(config.ffmpegBin, clip, wav, { signal, capSeconds: 60 });
    await normaliseAudio(config.ffmpegBin, clip, shortWav, { signal, capSeconds: SHORT_CLIP_SECONDS });
    const audioMs = analyseWav(await Bun.file(wav).bytes()).durationMs;
    const engine = createPocketsphinxEngine(config, { warm: false });
    const timeEngine = async (path: string) => {
      const started = performance.now();
      const text = await engine.transcribe(path, { signal });
      const ms = performance.now() - started;
      if (path === wav && text !== expected) throw new Error(`unexpected bare transcript: ${JSON.stringify(text)}`);
      return ms;
    };

    const warmRuns: Awaited<ReturnType<typeof request>>[] = [];
    const coldRuns: Awaited<ReturnType<typeof request>>[] = [];
    const bare: number[] = [];
    const start: number[] = [];
    const steps = [
      async () => warmRuns.push(await request(warm, "pipe")),
      async () => coldRuns.push(await request(cold, "file")),
      async () => bare.push(await timeEngine(wav)),
      async () => start.push(await timeEngine(shortWav)),
    ];
    // Warm-up: page cache, the first process starts.
    for (const step of steps) {
      await warmProcessReady(warm);
      await step();
    }
    warmRuns.length = 0;
    coldRuns.length = 0;
    bare.length = 0;
    start.length = 0;
    // Alternate, rotating the order so no path always follows the same one.
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < steps.length; k++) {
        await warmProcessReady(warm);
        await steps[(i + k) % steps.length]?.();
      }
    }

    const bareEngine = summarise(bare);
    const engineStart = summarise(start);
    const clipLabel = `${(audioMs / 1000).toFixed(2)} s webm/opus, ${(upload.size / 1024).toFixed(1)} KB, pocketsphinx+JSGF`;
    const path = (label: string, results: typeof warmRuns): PathResult => {
      const total = summarise(results.map((r) => r.totalMs));
      const engineTimes = summarise(results.map((r) => r.engineMs));
      const overhead = summarise(results.map((r) => r.totalMs - r.engineMs));
      const decode = summarise(results.map((r) => r.decodeMs));
      const row = `| ${clipLabel}, ${label} | ${runs} | ${fmt(total.median)} | ${fmt(total.p95)} | ${fmt(engineTimes.median)} | ${fmt(engineTimes.p95)} | ${fmt(overhead.median)} | ${fmt(overhead.p95)} | ${fmt(decode.median)} | ${fmt(bareEngine.median)} | ${fmt(bareEngine.p95)} | ${fmt(engineStart.median)} |`;
      return { total, engine: engineTimes, overhead, decode, row };
    };
    const warmPath = path("warm ffmpeg + warm pocketsphinx", warmRuns);
    const baseline = path("cold: file path + engine per request (baseline)", coldRuns);
    const header = [
      "| clip | N | total median | total p95 | engine median | engine p95 | overhead median | overhead p95 | of which ffmpeg median | bare engine median | bare engine p95 | engine start |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ].join("\n");
    return {
      ...warmPath,
      runs,
      audioMs,
      uploadBytes: upload.size,
      bareEngine,
      engineStart,
      baseline,
      load: { before: loadBefore, after: loadavg()[0] ?? Number.NaN },
      header,
      rows: `${warmPath.row}\n${baseline.row}`,
    };
  } finally {
    restoreLogs();
    await Promise.all(handlers.map((handler) => handler.close()));
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const runs = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("usage: bun bench/transcribe-overhead.ts [N ≥ 1]");
  const result = await run(runs);
  console.log(result.header);
  console.log(result.rows);
  console.log(`\nload average (1 min): ${result.load.before.toFixed(2)} before, ${result.load.after.toFixed(2)} after`);
}
