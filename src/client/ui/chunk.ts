/**
 * Code that loads on first use (a sheet, the approval card, the voice recorder's strip), shared by the
 * prefetch and the render, and fetched again after a failure. React's `lazy` keeps a failed load for
 * good: a part that could not load once (a dropped connection on a first visit, a deploy that removed
 * its file) could then only come back with a reload of the whole page.
 */
export interface Chunk<T> {
  /** The module once it has loaded: a render takes it without suspending. */
  readonly loaded: T | undefined;
  /**
   * One load shared by every caller. A failed one stays failed until `forgetFailedChunks()` (its
   * boundary caught the error): a render that re-runs after the failure must meet the same error,
   * not start a new load and suspend again, over and over.
   */
  load(): Promise<T>;
  /** Starts loading ahead of use. Its failure is nobody's to show: it is forgotten, and the first use tries again. */
  prefetch(): void;
  /**
   * For a use that does without the module when it cannot load (a code block's colours): null then,
   * and the next use tries again. Never rejects.
   */
  optional(): Promise<T | null>;
}

/** Each failed chunk's way back to "not loaded yet". */
const failed = new Set<() => void>();

export function chunk<T>(load: () => Promise<T>): Chunk<T> {
  let module: T | undefined;
  let pending: Promise<T> | null = null;
  // Whether a render waits on the load under way: its failure is then that render's to show.
  let used = false;
  const forget = () => {
    pending = null;
    failed.delete(forget);
  };
  const start = (): Promise<T> => {
    if (pending) return pending;
    used = false;
    pending = load().then(
      (value) => {
        module = value;
        return value;
      },
      (error: unknown) => {
        failed.add(forget);
        throw error;
      },
    );
    return pending;
  };
  const optional = (): Promise<T | null> => {
    const attempt = start();
    return attempt.catch(() => {
      if (pending === attempt && !used) forget();
      return null;
    });
  };
  return {
    get loaded() {
      return module;
    },
    load() {
      const attempt = start();
      used = true;
      return attempt;
    },
    prefetch() {
      void optional();
    },
    optional,
  };
}

/** After a boundary has shown a failure: every chunk that failed loads afresh when next used (Try again). */
export function forgetFailedChunks(): void {
  for (const forget of [...failed]) forget();
}
