import { closeSync, constants, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Subprocess } from "bun";
import { createLogger } from "../../logger.ts";
import { wavSamples } from "../audio.ts";
import type { TranscriptionConfig } from "../config.ts";
import { ProcessAbortedError, ProcessStartError, resolveExecutable, runProcess, tail } from "../process.ts";
import { joinLines, type SttEngine, SttEngineError, type SttTranscribeOptions } from "./engine.ts";

const log = createLogger("transcription");

/**
 * CMU PocketSphinx through Debian's `pocketsphinx` package (0.8+5prealpha),
 * whose CLI is `pocketsphinx_continuous`:
 *
 *   pocketsphinx_continuous -infile FILE.wav -hmm DIR -dict FILE [-jsgf GRAMMAR]
 *
 * It prints one line per utterance it detects on stdout and its log on stderr.
 * `-infile` must end in `.wav` (it then skips a 44-byte header). English only.
 * A grammar makes it exact for known phrases; open vocabulary is weak.
 *
 * Most of a run is its start: ~220 ms loading the acoustic model, ~40 ms for
 * 5 s of speech. So, once selected (`warmUp`), the engine keeps one recogniser
 * started ahead (decision 010): its `-infile` is a named pipe (FIFO) of its own
 * (no `.wav` suffix: raw samples), it loads its model and blocks opening the
 * FIFO, and a recording's samples are written into it. Not stdin: Bun's stdin
 * "pipe" is a socket, which pocketsphinx cannot open by path.
 */
export function createPocketsphinxEngine(config: TranscriptionConfig, options: { warm?: boolean } = {}): SttEngine {
  const { bin, hmm, dict, grammar } = config.pocketsphinx;
  const modelArgs = ["-hmm", hmm, "-dict", dict, ...(grammar ? ["-jsgf", grammar] : [])];
  const warm =
    options.warm === false
      ? null
      : createWarmRecogniser((fifo) => [bin, "-infile", fifo, ...modelArgs], config.tempDir);

  return {
    name: "pocketsphinx",
    setupHint: "`apt install pocketsphinx pocketsphinx-en-us` (English only, weak on open vocabulary)",
    async available() {
      return resolveExecutable(bin) !== null && isDirectory(hmm) && (await Bun.file(dict).exists());
    },
    warmUp: () => warm?.refill(),
    get warmPid() {
      return warm?.idlePid ?? null;
    },
    close: async () => {
      await warm?.close();
    },
    async transcribe(wavPath: string, options: SttTranscribeOptions) {
      const ready = warm?.take() ?? null;
      if (warm && ready) {
        try {
          const text = await transcribeWarm(ready, warm.fifo, wavPath, options.signal);
          if (text !== null) return text;
        } finally {
          warm.refill();
        }
      }
      const args = [bin, "-infile", wavPath, ...modelArgs];
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

/**
 * Runs the recogniser under `sh` with a watchdog: the watchdog reads the server's end of the
 * shell's stdin, which nobody writes to, and kills the recogniser when it ends. It ends when the
 * server closes it, or when the server dies: a recogniser blocked opening its FIFO is never left
 * behind. The shell exits with the recogniser's status. (Stdin is saved as fd 3 first: an
 * asynchronous list's stdin is /dev/null otherwise.)
 */
const WATCHDOG =
  'exec 3<&0; "$0" "$@" </dev/null & child=$!; ' +
  '{ cat >/dev/null; kill "$child" 2>/dev/null; } <&3 >/dev/null 2>&1 & watch=$!; exec 3<&-; ' +
  'wait "$child"; status=$?; kill "$watch" 2>/dev/null; exit "$status"';

type Recogniser = Subprocess<"pipe", "pipe", "pipe">;

/** Ends the watchdog's input: it stops the recogniser (if still running), then the shell exits. */
function release(proc: Recogniser): void {
  try {
    void proc.stdin.end();
  } catch {
    // Already closed.
  }
}

/** Keeps at most one recogniser waiting on a FIFO in a private folder under `tempDir`. */
function createWarmRecogniser(command: (fifo: string) => string[], tempDir: string) {
  let ready: Recogniser | null = null;
  let fifo = "";
  let closed = false;
  let startFailed = false;

  function ensureFifo(): boolean {
    if (fifo) return true;
    const dir = mkdtempSync(join(tempDir, "pocket-stt-warm-"));
    const path = join(dir, "samples.raw");
    if (Bun.spawnSync(["mkfifo", "-m", "600", path]).exitCode !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return false;
    }
    fifo = path;
    return true;
  }

  return {
    get fifo() {
      return fifo;
    },
    get idlePid() {
      return ready?.pid ?? null;
    },
    refill(): void {
      if (closed || ready || !ensureFifo()) return;
      let proc: Recogniser;
      try {
        proc = Bun.spawn(["sh", "-c", WATCHDOG, ...command(fifo)], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      } catch (error) {
        if (!startFailed)
          log.warn("could not start a warm pocketsphinx; starting one per recording", { error: String(error) });
        startFailed = true;
        return;
      }
      startFailed = false;
      // An idle recogniser must not keep the server's event loop alive.
      proc.unref();
      ready = proc;
      void proc.exited.then(async () => {
        if (ready !== proc) return;
        // Died while idle: the next recording starts one for itself, then refills.
        ready = null;
        release(proc);
        const stderr = await new Response(proc.stderr).text().catch(() => "");
        log.warn("the warm pocketsphinx exited while idle", { exitCode: proc.exitCode, stderr: tail(stderr) });
      });
    },
    take(): Recogniser | null {
      const proc = ready;
      ready = null;
      if (!proc) return null;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        release(proc);
        return null;
      }
      proc.ref();
      return proc;
    },
    async close(): Promise<void> {
      closed = true;
      const proc = ready;
      ready = null;
      if (proc) {
        release(proc);
        await proc.exited;
      }
      if (fifo) rmSync(dirname(fifo), { recursive: true, force: true });
    },
  };
}

/**
 * Writes the recording's samples into the FIFO of a started recogniser and reads its answer.
 * Null: the recogniser went away before it read anything; the caller starts one for the file.
 */
async function transcribeWarm(
  proc: Recogniser,
  fifo: string,
  wavPath: string,
  signal: AbortSignal,
): Promise<string | null> {
  const onAbort = () => release(proc);
  signal.addEventListener("abort", onAbort, { once: true });
  let fd: number | null = null;
  try {
    const answer = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const samples = wavSamples(await Bun.file(wavPath).bytes());
    const alive = () => proc.exitCode === null && proc.signalCode === null && !signal.aborted;
    // Non-blocking, opening a FIFO for writing fails (ENXIO) until its reader is at it, i.e. has
    // loaded its model; waiting that way can never hang on a recogniser that is gone.
    while (fd === null && alive()) {
      try {
        fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENXIO") break; // the FIFO is unusable: go cold
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    if (fd === null) {
      release(proc);
      await answer;
      if (signal.aborted) throw new ProcessAbortedError("pocketsphinx was stopped: aborted");
      return null;
    }
    // The FIFO holds 64 KB; the rest goes in as the recogniser reads.
    let offset = 0;
    while (offset < samples.byteLength && alive()) {
      try {
        offset += writeSync(fd, samples, offset, samples.byteLength - offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") break; // it stopped reading: its status says why
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    closeSync(fd); // the end of its input
    fd = null;
    const [stdout, stderr, exitCode] = await answer;
    if (signal.aborted) throw new ProcessAbortedError("pocketsphinx was stopped: aborted");
    if (exitCode !== 0) {
      throw new SttEngineError(`pocketsphinx failed: ${firstError(stderr) ?? `exit code ${exitCode}`}`);
    }
    return joinLines(stdout);
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (fd !== null) closeSync(fd);
    release(proc);
  }
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
