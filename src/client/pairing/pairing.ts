/**
 * Pairing this browser with the server (see docs/security.md): whether it is
 * paired (`GET /api/auth/status` → `{ paired }`), pairing with a pasted token
 * (`POST /api/auth/pair` `{ token }` → 204 and an HttpOnly cookie), and the
 * address-bar leftovers of a pairing link (`?pair=failed`, `?token=`).
 */

/** `fetch`, or a stand-in for tests. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export const AUTH_STATUS_PATH = "/api/auth/status";
export const PAIR_PATH = "/api/auth/pair";

export type PairFailure =
  /** 401: the server did not accept the token. */
  | { kind: "wrong-token" }
  /** 429: too many failed attempts from this address; `retryAfterSec` from Retry-After. */
  | { kind: "rate-limited"; retryAfterSec: number }
  /** The request did not reach the server (offline, server down). */
  | { kind: "network" }
  /** Any other answer (403 foreign origin, 5xx…), with the server's words when it gave some. */
  | { kind: "server"; status: number; message: string };

export class PairError extends Error {
  readonly failure: PairFailure;
  constructor(failure: PairFailure) {
    super(describePairFailure(failure));
    this.name = "PairError";
    this.failure = failure;
  }
}

/** What the pairing screen says about a failure. */
export function describePairFailure(failure: PairFailure, remainingSec?: number): string {
  switch (failure.kind) {
    case "wrong-token":
      return "That token is not right. Check that you copied all of it, then try again.";
    case "rate-limited": {
      const seconds = Math.max(1, Math.ceil(remainingSec ?? failure.retryAfterSec));
      return `Too many attempts, try again in ${seconds} s.`;
    }
    case "network":
      return "Can't reach the server. Check that Pocket Agent is running on your workstation.";
    case "server":
      return failure.message || `The server answered ${failure.status}.`;
    default: {
      const unreachable: never = failure;
      return unreachable;
    }
  }
}

/** Seconds from a Retry-After header (seconds or an HTTP date); 60 when missing or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number {
  if (value === null || value.trim() === "") return 60;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(1, Math.ceil((date - now) / 1000));
  return 60;
}

async function errorMessageOf(res: Response): Promise<string> {
  try {
    const body: unknown = await res.json();
    if (typeof body === "object" && body !== null && "error" in body && typeof body.error === "string") {
      return body.error;
    }
  } catch {
    // not JSON
  }
  return "";
}

/** True when this browser holds a valid pairing cookie. Throws when the server cannot be asked. */
export async function fetchPaired(fetchFn: FetchLike, signal?: AbortSignal): Promise<boolean> {
  const res = await fetchFn(AUTH_STATUS_PATH, {
    credentials: "same-origin",
    headers: { accept: "application/json" },
    cache: "no-store",
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw new Error(`auth status: HTTP ${res.status}`);
  const body: unknown = await res.json();
  return typeof body === "object" && body !== null && "paired" in body && body.paired === true;
}

/**
 * Pairs with `token` (a bare token, or a whole pairing link pasted as is).
 * Resolves once the server set the cookie; rejects with a `PairError`.
 */
export async function pairWithToken(fetchFn: FetchLike, input: string, signal?: AbortSignal): Promise<void> {
  const token = extractToken(input);
  let res: Response;
  try {
    res = await fetchFn(PAIR_PATH, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ token }),
      cache: "no-store",
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new PairError({ kind: "network" });
  }
  if (res.status === 204 || res.ok) return;
  if (res.status === 401) throw new PairError({ kind: "wrong-token" });
  if (res.status === 429) {
    throw new PairError({ kind: "rate-limited", retryAfterSec: parseRetryAfter(res.headers.get("retry-after")) });
  }
  throw new PairError({ kind: "server", status: res.status, message: await errorMessageOf(res) });
}

/** The token from what was pasted: the `token` parameter of a pairing link, else the trimmed text. */
export function extractToken(input: string): string {
  const text = input.trim();
  const match = /[?&#]token=([^&#\s]+)/.exec(text);
  if (match?.[1]) {
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return match[1];
    }
  }
  return text;
}

export interface PairingParams {
  /** The server redirected a wrong or stale pairing link to `/?pair=failed`. */
  linkFailed: boolean;
  /** The address without the pairing parameters, when it had any (for history.replaceState). */
  cleanUrl: string | null;
}

/**
 * Reads `?pair=failed` and drops it (and any `token=` left over, e.g. when the
 * page came from the offline cache) from the address.
 */
export function readPairingParams(href: string): PairingParams {
  const url = new URL(href);
  const linkFailed = url.searchParams.get("pair") === "failed";
  const hadParams = url.searchParams.has("pair") || url.searchParams.has("token");
  if (!hadParams) return { linkFailed, cleanUrl: null };
  url.searchParams.delete("pair");
  url.searchParams.delete("token");
  return { linkFailed, cleanUrl: `${url.pathname}${url.search}${url.hash}` };
}
