import { statSync } from "node:fs";
import type { TranscriptionConfig } from "../config.ts";
import { ProcessStartError, resolveExecutable, runProcess } from "../process.ts";
import { joinLines, type SttEngine, SttEngineError, type SttTranscribeOptions } from "./engine.ts";

/**
 * CMU PocketSphinx through Debian's `pocketsphinx` package (0.8+5prealpha),
 * whose CLI is `pocketsphinx_continuous`:
 *
 *   pocketsphinx_continuous -infile FILE.wav -hmm DIR -dict FILE [-jsgf GRAMMAR]
 *
 * It prints one line per utterance it detects on stdout and its log on stderr.
 * `-infile` must end in `.wav` (it then skips a 44-byte header). English only.
 * A grammar makes it exact for known phrases; open vocabulary is weak.
 */
export function createPocketsphinxEngine(config: TranscriptionConfig): SttEngine {
  const { bin, hmm, dict, grammar } = config.pocketsphinx;

  return {
    name: "pocketsphinx",
    setupHint: "`apt install pocketsphinx pocketsphinx-en-us` (English only, weak on open vocabulary)",
    async available() {
      return resolveExecutable(bin) !== null && isDirectory(hmm) && (await Bun.file(dict).exists());
    },
    async transcribe(wavPath: string, options: SttTranscribeOptions) {
      const args = [bin, "-infile", wavPath, "-hmm", hmm, "-dict", dict];
      if (grammar) args.push("-jsgf", grammar);
      let result: Awaited<ReturnType<typeof runProcess>>;
      try {
        result = await runProcess(args, options.signal);
      } catch (error) {
        if (error instanceof ProcessStartError) throw new SttEngineError(error.message);
        throw error;
      }
      if (result.exitCode !== 0) {
        throw new SttEngineError(`pocketsphinx failed: ${firstError(result.stderr) ?? `exit code ${result.exitCode}`}`);
      }
      return joinLines(result.stdout);
    },
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `ERROR: "fsg_search.c", line 141: The word 'readme' is missing in the dictionary` → the part after the location. */
function firstError(stderr: string): string | undefined {
  const line = stderr.split("\n").find((l) => /^(ERROR|FATAL)/.test(l));
  return line?.replace(/^(ERROR|FATAL(_ERROR)?):\s*("[^"]*", line \d+:\s*)?/, "").trim();
}
