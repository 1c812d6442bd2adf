/**
 * Runs a callback once its key has gone `ms` without another call: a code block is coloured once
 * its text stops changing. A streaming reply's open code block changes on every delta, and a timer
 * set and cleared per change cost more than the rest of that delta's render of it (Chromium's
 * setTimeout and clearTimeout: about 13 µs a delta, against 28 µs for everything else). One timer
 * serves every key here, set only when none is pending.
 */
export function createSettler(ms: number) {
  const waiting = new Map<object, { due: number; run: () => void }>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const check = () => {
    timer = null;
    const now = performance.now();
    const ready: (() => void)[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [key, entry] of waiting) {
      if (entry.due <= now) {
        waiting.delete(key);
        ready.push(entry.run);
      } else next = Math.min(next, entry.due);
    }
    if (next !== Number.POSITIVE_INFINITY) timer = setTimeout(check, next - now);
    for (const run of ready) run();
  };
  return {
    /** (Re)starts `key`'s wait: `run` runs once `ms` pass without another call for `key`. */
    wait(key: object, run: () => void): void {
      waiting.set(key, { due: performance.now() + ms, run });
      if (timer === null) timer = setTimeout(check, ms);
    },
    cancel(key: object): void {
      waiting.delete(key);
    },
  };
}
