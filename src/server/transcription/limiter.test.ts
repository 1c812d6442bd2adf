import { expect, test } from "bun:test";
import { Limiter, LimiterAbortedError, LimiterFullError } from "./limiter.ts";

test("grants up to maxActive, queues up to maxQueue in order, refuses the rest", async () => {
  const limiter = new Limiter(2, 1);
  const a = await limiter.acquire();
  const b = await limiter.acquire();
  const order: string[] = [];
  const c = limiter.acquire().then((release) => {
    order.push("c");
    return release;
  });
  expect(limiter.full).toBe(true);
  await expect(limiter.acquire()).rejects.toBeInstanceOf(LimiterFullError);
  expect({ running: limiter.running, queued: limiter.queued }).toEqual({ running: 2, queued: 1 });
  a();
  a(); // twice is harmless
  const releaseC = await c;
  expect(order).toEqual(["c"]);
  expect({ running: limiter.running, queued: limiter.queued }).toEqual({ running: 2, queued: 0 });
  b();
  releaseC();
  expect(limiter.running).toBe(0);
});

test("an aborted waiter leaves the queue", async () => {
  const limiter = new Limiter(1, 2);
  const release = await limiter.acquire();
  const abort = new AbortController();
  const waiting = limiter.acquire(abort.signal);
  expect(limiter.queued).toBe(1);
  abort.abort();
  await expect(waiting).rejects.toBeInstanceOf(LimiterAbortedError);
  expect(limiter.queued).toBe(0);
  release();
  expect(limiter.running).toBe(0);
  await expect(limiter.acquire(abort.signal)).rejects.toBeInstanceOf(LimiterAbortedError);
});
