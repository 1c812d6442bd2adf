/**
 * Throttling of failed authentication attempts per client address.
 *
 * A sliding window: an address is blocked while it has `limit` or more failures
 * in the last `windowMs`. Only failures are recorded and at most `limit`
 * timestamps are kept per address; at most `maxClients` addresses are tracked
 * (least recently failing evicted first), so memory stays bounded whatever an
 * attacker sends.
 */
import { isIPv4 } from "node:net";

export interface RateLimiterOptions {
  /** Failures allowed inside the window; the next attempt is refused. Default 10. */
  limit?: number;
  /** Window length in milliseconds. Default 60 000. */
  windowMs?: number;
  /** Addresses tracked at most. Default 10 000. */
  maxClients?: number;
  now?: () => number;
}

export interface RateLimiter {
  /** Milliseconds until `address` may try again, or 0 when it is not blocked. */
  blockedFor(address: string): number;
  recordFailure(address: string): void;
  /** Number of addresses currently tracked (for tests and metrics). */
  size(): number;
}

/** Every loopback address is this machine (and every client of a local proxy): one bucket. */
export const LOOPBACK_BUCKET = "loopback";

/**
 * The bucket an address counts against. IPv6 clients are grouped by their /64
 * (one host usually owns a whole /64 and could otherwise rotate addresses);
 * IPv4-mapped IPv6 addresses count as the IPv4 address. All of 127.0.0.0/8 and
 * `::1` share one bucket: a local process can pick any 127.x.y.z source address.
 */
export function rateLimitKey(address: string): string {
  const plain = address
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  const v4 = plain.match(/^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (v4?.startsWith("127.") || plain === "::1" || plain === "0:0:0:0:0:0:0:1") return LOOPBACK_BUCKET;
  if (v4) return v4;
  if (isIPv4(plain) || !plain.includes(":")) return plain;
  const withoutZone = plain.split("%")[0] ?? plain;
  const [head = "", tail = ""] = withoutZone.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = withoutZone.includes("::")
    ? [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const limit = options.limit ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? Date.now;
  /** key → failure timestamps, oldest first. Map order = least recently failing first. */
  const failures = new Map<string, number[]>();

  const live = (key: string, at: number): number[] => {
    const times = failures.get(key);
    if (!times) return [];
    const kept = times.filter((t) => at - t < windowMs);
    if (kept.length === 0) failures.delete(key);
    else if (kept.length !== times.length) failures.set(key, kept);
    return kept;
  };

  return {
    blockedFor(address) {
      const at = now();
      const times = live(rateLimitKey(address), at);
      if (times.length < limit) return 0;
      // Unblocked once enough old failures leave the window to drop below the limit.
      const oldestThatMustExpire = times[times.length - limit] ?? at;
      return Math.max(1, oldestThatMustExpire + windowMs - at);
    },
    recordFailure(address) {
      const at = now();
      const key = rateLimitKey(address);
      const times = live(key, at);
      times.push(at);
      if (times.length > limit) times.splice(0, times.length - limit);
      failures.delete(key);
      failures.set(key, times);
      while (failures.size > maxClients) {
        const oldest = failures.keys().next().value;
        if (oldest === undefined) break;
        failures.delete(oldest);
      }
    },
    size: () => failures.size,
  };
}
