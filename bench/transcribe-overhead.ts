/**
 * What `POST /api/transcribe` costs on top of the engine: a 5 s Opus/WebM
 * clip (espeak-ng) through `handle()` N times with pocketsphinx and a JSGF
 * grammar, against the bare engine on the already-normalised WAV.
 *
 *   bun bench/transcribe-overhead.ts [N]
 *
 * Prints one markdown table row (after the header); times in ms.
 * Needs `apt install ffmpeg espeak-ng pocketsphinx pocketsphinx-en-us`.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setLogSink } from "../src/server/logger.ts";
import { analyseWav, normaliseAudio } from "../src/server/transcription/audio.ts";
import { parseTranscriptionConfig } from "../src/server/transcription/config.ts";
import { createPocketsphinxEngine } from "../src/server/transcription/engines/pocketsphinx.ts";
import { createTranscribeHandler } from "../src/server/transcription/transcribeHandler.ts";
import { TranscribeResponse } from "../src/server/transcription/types.ts";
import { makeSpeechClip, requireTools, writeGrammar } from "../tests/fixtures/audio/makeClips.ts";

const PHRASES = ["open the settings file", "show the git status"] as const;

export interface Summary {
  median: number;
  p95: number;
}

export interface BenchResult {
  runs: number;
  audioMs: number;
  uploadBytes: number;
  total: Summary;
  engine: Summary;
  overhead: Summary;
  /** The ffmpeg step inside the overhead (from the service's log line). */
  decode: Summary;
  /** The engine alone on the normalised WAV, no handler. */
  bareEngine: Summary;
  header: string;
  row: string;
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

export async function run(runs = 20): Promise<BenchResult> {
  requireTools();
  const root = await mkdtemp(join(tmpdir(), "pocket-stt-bench-"));
  const decodeMs: number[] = [];
  const restoreLogs = setLogSink((line) => {
    const match = line.match(/\[transcription\] transcribed .*"decodeMs":([\d.]+)/);
    if (match?.[1]) decodeMs.push(Number(match[1]));
  });
  try {
    const clip = await makeSpeechClip(root, "five", PHRASES, "webm", { minSeconds: 5 });
    const grammar = join(root, "grammar.jsgf");
    await writeGrammar(grammar, PHRASES);
    const tempDir = join(root, "tmp");
    await mkdir(tempDir);
    const config = parseTranscriptionConfig({ POCKET_STT: "pocketsphinx", POCKET_STT_GRAMMAR: grammar });
    config.tempDir = tempDir;
    const handler = createTranscribeHandler(config);
    const upload = new Blob([await Bun.file(clip).arrayBuffer()], { type: "audio/webm;codecs=opus" });
    const expected = PHRASES.join(" ");

    const once = async () => {
      const form = new FormData();
      form.append("audio", upload, "recording.webm");
      const response = await handler.handle(new Request("http://bench/api/transcribe", { method: "POST", body: form }));
      if (response.status !== 200) throw new Error(`handle() answered ${response.status}: ${await response.text()}`);
      const body = TranscribeResponse.parse(await response.json());
      if (body.text !== expected) throw new Error(`unexpected transcript: ${JSON.stringify(body.text)}`);
      return body;
    };

    await once(); // warm-up: page cache, first process start
    decodeMs.length = 0;
    const results: TranscribeResponse[] = [];
    for (let i = 0; i < runs; i++) results.push(await once());

    // Baseline: the same engine on the already-normalised WAV.
    const wav = join(root, "five.16k.wav");
    await normaliseAudio(config.ffmpegBin, clip, wav, { signal: new AbortController().signal, capSeconds: 60 });
    const audioMs = analyseWav(await Bun.file(wav).bytes()).durationMs;
    const engine = createPocketsphinxEngine(config);
    const bare: number[] = [];
    await engine.transcribe(wav, { signal: new AbortController().signal });
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const text = await engine.transcribe(wav, { signal: new AbortController().signal });
      bare.push(performance.now() - started);
      if (text !== expected) throw new Error(`unexpected bare transcript: ${JSON.stringify(text)}`);
    }

    const total = summarise(results.map((r) => r.totalMs));
    const engineTimes = summarise(results.map((r) => r.engineMs));
    const overhead = summarise(results.map((r) => r.totalMs - r.engineMs));
    const decode = summarise(decodeMs);
    const bareEngine = summarise(bare);
    const header = [
      "| clip | N | total median | total p95 | engine median | engine p95 | overhead median | overhead p95 | of which ffmpeg median | bare engine median | bare engine p95 |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ].join("\n");
    const row = `| ${(audioMs / 1000).toFixed(2)} s webm/opus, ${(upload.size / 1024).toFixed(1)} KB, pocketsphinx+JSGF | ${runs} | ${fmt(total.median)} | ${fmt(total.p95)} | ${fmt(engineTimes.median)} | ${fmt(engineTimes.p95)} | ${fmt(overhead.median)} | ${fmt(overhead.p95)} | ${fmt(decode.median)} | ${fmt(bareEngine.median)} | ${fmt(bareEngine.p95)} |`;
    return {
      runs,
      audioMs,
      uploadBytes: upload.size,
      total,
      engine: engineTimes,
      overhead,
      decode,
      bareEngine,
      header,
      row,
    };
  } finally {
    restoreLogs();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const runs = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("usage: bun bench/transcribe-overhead.ts [N ≥ 1]");
  const result = await run(runs);
  console.log(result.header);
  console.log(result.row);
}
