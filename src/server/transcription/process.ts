/**
 * Runs a short-lived command (ffmpeg, whisper-cli, pocketsphinx) to the end,
 * collecting its output. An abort stops it with SIGTERM, then SIGKILL after a
 * grace period, and waits for it to exit, so no process outlives its request.
 */
import { accessSync, constants, statSync } from "node:fs";

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The executable could not be started (not found, not executable). */
export class ProcessStartError extends Error {
  override name = "ProcessStartError";
}

/** The run was aborted through its signal; the process has exited. */
export class ProcessAbortedError extends Error {
  override name = "ProcessAbortedError";
}

const KILL_GRACE_MS = 2_000;

/**
 * Stops `proc` when `signal` aborts: SIGTERM, then SIGKILL after a grace
 * period. Call the returned function once the process has exited.
 */
export function stopOnAbort(proc: { kill(signal: NodeJS.Signals): void }, signal: AbortSignal): () => void {
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    proc.kill("SIGTERM");
    killTimer = setTimeout(() => proc.kill("SIGKILL"), KILL_GRACE_MS);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  return () => {
    signal.removeEventListener("abort", onAbort);
    clearTimeout(killTimer);
  };
}

export async function runProcess(cmd: string[], signal: AbortSignal): Promise<ProcessResult> {
  if (signal.aborted) throw new ProcessAbortedError(`${cmd[0]} was not started: aborted`);
  let proc: ReturnType<typeof spawn>;
  try {
    proc = spawn(cmd);
  } catch (error) {
    throw new ProcessStartError(`could not start ${cmd[0]}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const stopWatching = stopOnAbort(proc, signal);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (signal.aborted) throw new ProcessAbortedError(`${cmd[0]} was stopped: aborted`);
    return { exitCode, stdout, stderr };
  } finally {
    stopWatching();
  }
}

function spawn(cmd: string[]) {
  return Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

/** The absolute path of a command: a path is checked for being executable, a bare name is looked up on PATH. */
export function resolveExecutable(command: string): string | null {
  if (command.includes("/")) {
    try {
      if (!statSync(command).isFile()) return null;
      accessSync(command, constants.X_OK);
      return command;
    } catch {
      return null;
    }
  }
  return Bun.which(command);
}

/** The last non-empty lines of a tool's stderr, for an error message. */
export function tail(text: string, lines = 3, maxChars = 500): string {
  const kept = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(" | ");
  return kept.length > maxChars ? `${kept.slice(0, maxChars)}…` : kept;
}
