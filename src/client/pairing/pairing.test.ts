import { describe, expect, test } from "bun:test";
import {
  describePairFailure,
  extractToken,
  type FetchLike,
  fetchPaired,
  PairError,
  pairWithToken,
  parseRetryAfter,
  readPairingParams,
} from "./pairing.ts";

const TOKEN = "e2e-token-0123456789abcdef0123456789abcdef";

function fakeFetch(answer: (path: string, init?: RequestInit) => Response | Promise<Response>) {
  const calls: Array<{ path: string; init?: RequestInit }> = [];
  const fetchFn: FetchLike = async (path, init) => {
    calls.push({ path, init });
    return answer(path, init);
  };
  return { fetchFn, calls };
}

async function failureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PairError) return error.failure;
    throw error;
  }
  throw new Error("expected a PairError");
}

describe("pairWithToken", () => {
  test("posts JSON { token } to /api/auth/pair; 204 is success", async () => {
    const { fetchFn, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    await pairWithToken(fetchFn, `  ${TOKEN}\n`);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.path).toBe("/api/auth/pair");
    expect(calls[0]?.init?.method).toBe("POST");
    expect(new Headers(calls[0]?.init?.headers).get("content-type")).toBe("application/json");
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ token: TOKEN });
  });

  test("a whole pairing link pasted is reduced to its token", async () => {
    const { fetchFn, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    await pairWithToken(fetchFn, `https://box.local:3000/?token=${TOKEN}`);
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ token: TOKEN });
  });

  test("401: wrong token", async () => {
    const { fetchFn } = fakeFetch(() =>
      Response.json({ error: "That token is not right.", code: "UNAUTHORIZED" }, { status: 401 }),
    );
    expect(await failureOf(pairWithToken(fetchFn, "nope"))).toEqual({ kind: "wrong-token" });
  });

  test("429: rate limited for Retry-After seconds", async () => {
    const { fetchFn } = fakeFetch(() =>
      Response.json({ error: "Too many", code: "RATE_LIMITED" }, { status: 429, headers: { "Retry-After": "42" } }),
    );
    const failure = await failureOf(pairWithToken(fetchFn, "nope"));
    expect(failure).toEqual({ kind: "rate-limited", retryAfterSec: 42 });
    expect(describePairFailure(failure)).toBe("Too many attempts, try again in 42 s.");
    expect(describePairFailure(failure, 7.2)).toBe("Too many attempts, try again in 8 s.");
  });

  test("a network failure and other statuses", async () => {
    const down: FetchLike = () => Promise.reject(new TypeError("Failed to fetch"));
    expect(await failureOf(pairWithToken(down, TOKEN))).toEqual({ kind: "network" });
    const { fetchFn } = fakeFetch(() =>
      Response.json(
        { error: "Requests from this web page's origin are not allowed.", code: "UNAUTHORIZED" },
        {
          status: 403,
        },
      ),
    );
    const failure = await failureOf(pairWithToken(fetchFn, TOKEN));
    expect(failure).toEqual({
      kind: "server",
      status: 403,
      message: "Requests from this web page's origin are not allowed.",
    });
    const plain = fakeFetch(() => new Response("oops", { status: 500 }));
    expect(describePairFailure(await failureOf(pairWithToken(plain.fetchFn, TOKEN)))).toBe("The server answered 500.");
  });
});

describe("fetchPaired", () => {
  test("reads { paired } from /api/auth/status", async () => {
    const yes = fakeFetch(() => Response.json({ paired: true }));
    expect(await fetchPaired(yes.fetchFn)).toBe(true);
    expect(yes.calls[0]?.path).toBe("/api/auth/status");
    expect(await fetchPaired(fakeFetch(() => Response.json({ paired: false })).fetchFn)).toBe(false);
    expect(await fetchPaired(fakeFetch(() => Response.json({})).fetchFn)).toBe(false);
  });

  test("an error answer throws (unknown, not unpaired)", async () => {
    await expect(fetchPaired(fakeFetch(() => new Response("", { status: 429 })).fetchFn)).rejects.toThrow("429");
  });
});

describe("helpers", () => {
  test("parseRetryAfter: seconds, an HTTP date, or a minute", () => {
    expect(parseRetryAfter("12")).toBe(12);
    expect(parseRetryAfter("0.2")).toBe(1);
    expect(parseRetryAfter(null)).toBe(60);
    expect(parseRetryAfter("soon")).toBe(60);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
  });

  test("extractToken", () => {
    expect(extractToken(` ${TOKEN} `)).toBe(TOKEN);
    expect(extractToken(`http://127.0.0.1:3000/?token=${TOKEN}`)).toBe(TOKEN);
    expect(extractToken(`https://x/?a=1&token=${encodeURIComponent("a b")}&c=2`)).toBe("a b");
  });

  test("readPairingParams: ?pair=failed is reported and removed, a stray token too", () => {
    expect(readPairingParams("https://box.local/?pair=failed")).toEqual({ linkFailed: true, cleanUrl: "/" });
    expect(readPairingParams(`https://box.local/?token=${TOKEN}&x=1#top`)).toEqual({
      linkFailed: false,
      cleanUrl: "/?x=1#top",
    });
    expect(readPairingParams("https://box.local/")).toEqual({ linkFailed: false, cleanUrl: null });
  });
});
