/**
 * Run with Bun (the clip helpers use Bun's APIs):
 *   bun tests/e2e/support/makeVoiceFixtures.ts <dir> <phrase>
 * Writes <dir>/grammar.jsgf (every fixture phrase) and <dir>/dictation.wav:
 * espeak-ng saying <phrase>, padded with silence, for Chromium's fake
 * microphone (--use-file-for-fake-audio-capture). Prints the two paths as JSON.
 */
import { join } from "node:path";
import {
  FIXTURE_PHRASES,
  GRAMMAR_EXTRA_PHRASES,
  makeSpeechClip,
  requireTools,
  writeGrammar,
} from "../../fixtures/audio/makeClips.ts";

const [dir, phrase = FIXTURE_PHRASES[0]] = process.argv.slice(2);
if (!dir) throw new Error("usage: makeVoiceFixtures.ts <dir> [phrase]");
requireTools(["ffmpeg", "espeak-ng"]);
const grammar = join(dir, "grammar.jsgf");
await writeGrammar(grammar, [...new Set([...FIXTURE_PHRASES, ...GRAMMAR_EXTRA_PHRASES, phrase])]);
// Lead-in silence covers the time between the tap and the recorder starting; the tail, the tap on Stop.
const clip = await makeSpeechClip(dir, "dictation", [phrase], "wav", { leadMs: 400, tailMs: 600, minSeconds: 3 });
// Chromium's fake capture device reads 16-bit PCM WAV; 48 kHz mono is its native rate.
const wav = join(dir, "dictation-48k.wav");
const proc = Bun.spawn([
  "ffmpeg",
  "-nostdin",
  "-loglevel",
  "error",
  "-y",
  "-i",
  clip,
  "-ar",
  "48000",
  "-ac",
  "1",
  "-c:a",
  "pcm_s16le",
  wav,
]);
if ((await proc.exited) !== 0) throw new Error("ffmpeg failed");
console.log(JSON.stringify({ grammar, wav }));
