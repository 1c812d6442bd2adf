/**
 * A counting semaphore with a bounded FIFO wait queue. `acquire` resolves with
 * a release function once a slot is free, throws `LimiterFullError` at once
 * when the queue is full, and `LimiterAbortedError` if the signal aborts while
 * waiting (the waiter leaves the queue).
 */
export class LimiterFullError extends Error {
  override name = "LimiterFullError";
}

export class LimiterAbortedError extends Error {
  override name = "LimiterAbortedError";
}

export type Release = () => void;

interface Waiter {
  grant: () => void;
}

export class Limiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly maxActive: number,
    readonly maxQueue: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** True when a new `acquire` would be refused right now. */
  get full(): boolean {
    return this.active >= this.maxActive && this.waiters.length >= this.maxQueue;
  }

  async acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) throw new LimiterAbortedError("aborted before a slot was free");
    if (this.active < this.maxActive) {
      this.active++;
      return this.releaser();
    }
    if (this.waiters.length >= this.maxQueue) throw new LimiterFullError("every slot and queue place is taken");
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new LimiterAbortedError("aborted while waiting for a slot"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** A release that works once; the slot passes straight to the next waiter. */
  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.active--;
    };
  }
}
