import { loadavg } from "node:os";
import { type Subprocess, spawn } from "bun";

/** Starts a bench server script in its own process and waits for its `URL=` line. */
export async function spawnServer(
  script: string,
  env: Record<string, string> = {},
): Promise<{ url: string; proc: Subprocess; stop(): Promise<void> }> {
  const proc = spawn([process.execPath, script], {
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, POCKET_LOG_LEVEL: "warn", ...env },
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (!/URL=\S+\n/.test(buffer)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} exited before printing its URL:\n${buffer}`);
    buffer += decoder.decode(value);
  }
  reader.releaseLock();
  const url = /URL=(\S+)/.exec(buffer)?.[1] ?? "";
  return {
    url,
    proc,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * `items` starting at index `round` (mod length): measured round by round in this order, no item
 * always runs first (on this machine whichever ran first in a round came out ahead).
 */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const start = round % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

export function summarize(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

export const ms = (n: number) => `${n.toFixed(2)} ms`;

/** The 1-minute load average: benchmarks print it before and after, and a run started above 1.0 is noise. */
export function loadAverage(): number {
  return loadavg()[0] ?? Number.NaN;
}

/** Above this at the start, a run is noisy: other work shared the cores it measured on. */
export const NOISY_LOAD = 1.0;

/** "Load average 0.4 → 0.9." — with a warning when the run started on a busy machine. */
export function loadNote(before: number, after: number): string {
  const note = `Load average ${before.toFixed(2)} → ${after.toFixed(2)}.`;
  return before > NOISY_LOAD
    ? `${note} **Noisy run: it started above ${NOISY_LOAD.toFixed(1)}; do not record these figures.**`
    : note;
}
