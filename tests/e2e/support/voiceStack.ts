import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test as base } from "../fixtures.ts";

/**
 * The stack for the voice spec: the shared worker stack, started with
 * pocketsphinx and a JSGF grammar of the fixture phrases (exact transcripts of
 * espeak-ng speech), and a speech clip for Chromium's fake microphone.
 *
 * The worker's server gets POCKET_STT and POCKET_STT_GRAMMAR through the
 * `serverEnv` fixture, overridden here; the voice spec runs in a worker of its
 * own (its `launchOptions` differ), so no other spec's server has them.
 */
const root = fileURLToPath(new URL("../../..", import.meta.url));
const bun = join(root, "node_modules/.bin/bun");

/** Known before the browser starts: its launch flags name the clip (the file only has to exist when capture starts). */
export const VOICE_DIR = join(tmpdir(), `pocket-e2e-voice-${process.pid}`);
export const VOICE_WAV = join(VOICE_DIR, "dictation-48k.wav");
export const VOICE_PHRASE = "run the tests";

export interface VoiceFixtures {
  grammar: string;
  wav: string;
  phrase: string;
}

export const test = base.extend<Record<never, never>, { voiceFixtures: VoiceFixtures }>({
  voiceFixtures: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies by destructuring.
    async ({}, use) => {
      mkdirSync(VOICE_DIR, { recursive: true });
      // makeClips.ts runs on Bun (Bun.spawn, Bun.write): ask Bun to make the files.
      const made = spawnSync(bun, ["tests/e2e/support/makeVoiceFixtures.ts", VOICE_DIR, VOICE_PHRASE], {
        cwd: root,
        encoding: "utf8",
      });
      if (made.status !== 0) throw new Error(`voice fixtures failed:\n${made.stderr}`);
      const { grammar, wav } = JSON.parse(made.stdout.trim().split("\n").at(-1) ?? "{}") as {
        grammar: string;
        wav: string;
      };
      if (wav !== VOICE_WAV) throw new Error(`clip at ${wav}, expected ${VOICE_WAV}`);
      await use({ grammar, wav, phrase: VOICE_PHRASE });
      rmSync(VOICE_DIR, { recursive: true, force: true });
    },
    { scope: "worker" },
  ],
  serverEnv: [
    async ({ voiceFixtures }, use) => use({ POCKET_STT: "pocketsphinx", POCKET_STT_GRAMMAR: voiceFixtures.grammar }),
    { scope: "worker" },
  ],
});

export { expect } from "../fixtures.ts";
