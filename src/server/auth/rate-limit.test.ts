import { describe, expect, test } from "bun:test";
import { createRateLimiter, rateLimitKey } from "./rate-limit.ts";

const clock = (start = 1_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe("createRateLimiter", () => {
  test("blocks after `limit` failures inside the window, per address", () => {
    const c = clock();
    const rl = createRateLimiter({ limit: 3, windowMs: 60_000, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(rl.blockedFor("10.0.0.1")).toBe(0);
      rl.recordFailure("10.0.0.1");
      c.advance(1_000);
    }
    expect(rl.blockedFor("10.0.0.1")).toBeGreaterThan(0);
    expect(rl.blockedFor("10.0.0.2")).toBe(0);
  });

  test("the window slides: the block lifts when the oldest failures age out", () => {
    const c = clock();
    const rl = createRateLimiter({ limit: 3, windowMs: 60_000, now: c.now });
    rl.recordFailure("a"); // t = 0
    c.advance(20_000);
    rl.recordFailure("a"); // t = 20 s
    rl.recordFailure("a"); // t = 20 s
    expect(rl.blockedFor("a")).toBe(40_000); // until the t=0 failure leaves the window
    c.advance(39_999);
    expect(rl.blockedFor("a")).toBe(1);
    c.advance(1);
    expect(rl.blockedFor("a")).toBe(0);
    rl.recordFailure("a"); // back to 3 within the window (20 s, 20 s, 60 s)
    expect(rl.blockedFor("a")).toBe(20_000);
  });

  test("memory stays bounded: at most maxClients addresses and `limit` timestamps each", () => {
    const rl = createRateLimiter({ limit: 2, maxClients: 100 });
    for (let i = 0; i < 10_000; i++) rl.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(rl.size()).toBe(100);
    for (let i = 0; i < 1_000; i++) rl.recordFailure("1.2.3.4");
    expect(rl.blockedFor("1.2.3.4")).toBeGreaterThan(0);
    expect(rl.size()).toBe(100);
  });

  test("expired entries are dropped", () => {
    const c = clock();
    const rl = createRateLimiter({ windowMs: 1_000, now: c.now });
    rl.recordFailure("x");
    expect(rl.size()).toBe(1);
    c.advance(1_000);
    expect(rl.blockedFor("x")).toBe(0);
    expect(rl.size()).toBe(0);
  });
});

describe("rateLimitKey", () => {
  test("IPv6 addresses share a bucket per /64; mapped IPv4 counts as IPv4", () => {
    expect(rateLimitKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(rateLimitKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(rateLimitKey("::ffff:192.168.1.9")).toBe("192.168.1.9");
    expect(rateLimitKey("192.168.1.9")).toBe("192.168.1.9");
    expect(rateLimitKey("unknown")).toBe("unknown");
  });

  test("every loopback address shares one bucket", () => {
    for (const address of ["127.0.0.1", "127.0.0.2", "127.255.1.9", "::ffff:127.0.0.3", "::1", "[::1]"]) {
      expect(rateLimitKey(address)).toBe("loopback");
    }
    expect(rateLimitKey("128.0.0.1")).toBe("128.0.0.1");
  });
});
