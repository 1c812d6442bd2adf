import type { TranscriptionConfig } from "../config.ts";
import { ProcessStartError, resolveExecutable, runProcess, tail } from "../process.ts";
import { joinLines, type SttEngine, SttEngineError, type SttTranscribeOptions } from "./engine.ts";

/** whisper.cpp's marker for a segment without speech. */
const NON_SPEECH = /\[(BLANK_AUDIO|MUSIC|NOISE|SILENCE)\]/gi;

/** whisper.cpp's CLI (`whisper-cli`, or POCKET_WHISPER_BIN) with a local ggml model. */
export function createWhisperEngine(config: TranscriptionConfig): SttEngine {
  const { model, bin } = config.whisper;
  const executable = () => resolveExecutable(bin ?? "whisper-cli");

  return {
    name: "whisper",
    setupHint:
      "install whisper.cpp (`whisper-cli` on PATH, or POCKET_WHISPER_BIN=/path/to/whisper-cli) and set POCKET_WHISPER_MODEL=/path/to/ggml-base.en.bin",
    async available() {
      if (!model || !(await Bun.file(model).exists())) return false;
      return executable() !== null;
    },
    async transcribe(wavPath: string, options: SttTranscribeOptions) {
      const path = executable();
      if (!path || !model) throw new SttEngineError("whisper-cli or its model is not installed any more");
      const args = [path, "-m", model, "-f", wavPath, "-nt", "-np", "-l", options.language ?? "auto"];
      if (options.prompt) args.push("--prompt", options.prompt);
      let result: Awaited<ReturnType<typeof runProcess>>;
      try {
        result = await runProcess(args, options.signal);
      } catch (error) {
        if (error instanceof ProcessStartError) throw new SttEngineError(error.message);
        throw error;
      }
      const text = joinLines(result.stdout.replace(NON_SPEECH, " "));
      // whisper-cli exits 0 after some errors (unknown argument or language, undecodable file): trust its stderr.
      const reported = !text && /^error:/m.test(result.stderr);
      if (result.exitCode !== 0 || reported) {
        const errors = result.stderr
          .split("\n")
          .filter((line) => line.startsWith("error:"))
          .join("\n");
        const reason =
          tail((errors || result.stderr).replaceAll(wavPath, "audio.wav")) || `exit code ${result.exitCode}`;
        throw new SttEngineError(`whisper-cli failed: ${reason}`);
      }
      return text;
    },
  };
}
