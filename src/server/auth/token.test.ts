import { afterEach, beforeEach, describe, expect, spyOn, test } from "bun:test";
import crypto from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cookieValueFor,
  generateToken,
  loadOrCreateToken,
  readStoredToken,
  redactToken,
  rotateToken,
  safeEqual,
  watchTokenFile,
} from "./token.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-token-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadOrCreateToken", () => {
  test("creates a 256-bit token in <dataDir>/token with mode 0600, then reuses it", async () => {
    const dataDir = join(dir, "data");
    const first = await loadOrCreateToken(dataDir);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first, "base64url")).toHaveLength(32);
    const file = join(dataDir, "token");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, "utf8")).trim()).toBe(first);
    expect(await loadOrCreateToken(dataDir)).toBe(first);
    expect(await readdir(dataDir)).toEqual(["token"]); // no temporary files left behind
  });

  test("concurrent first starts agree on one token", async () => {
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => loadOrCreateToken(dir)));
    expect(new Set(tokens).size).toBe(1);
  });

  test("POCKET_TOKEN wins and no file is written", async () => {
    expect(await loadOrCreateToken(dir, "  an-explicit-token-0123456789abcdef  ")).toBe(
      "an-explicit-token-0123456789abcdef",
    );
    expect(await readdir(dir)).toEqual([]);
  });

  test("a blank POCKET_TOKEN counts as unset", async () => {
    const token = await loadOrCreateToken(dir, "   ");
    expect(token).toHaveLength(43);
  });

  test("too short, whitespace-containing or low-entropy tokens are refused", async () => {
    await expect(loadOrCreateToken(dir, "short")).rejects.toThrow(/at least 16/);
    await expect(loadOrCreateToken(dir, "has-space-0123456789abcdef in-the-middle")).rejects.toThrow(/whitespace/);
    await expect(loadOrCreateToken(dir, "aaaaaaaaaaaaaaaa")).rejects.toThrow(/POCKET_TOKEN is too weak/);
    await writeFile(join(dir, "token"), "tiny\n");
    await expect(loadOrCreateToken(dir)).rejects.toThrow(/at least 16/);
    await writeFile(join(dir, "token"), "password-password-password-password\n");
    await expect(loadOrCreateToken(dir)).rejects.toThrow(/varies too little/);
  });

  test("a token file readable by others is narrowed back to 0600", async () => {
    const file = join(dir, "token");
    await writeFile(file, "4f9c2a7e1b3d8065c7a1e9f02b6d4c38\n");
    await chmod(file, 0o644);
    expect(await loadOrCreateToken(dir)).toBe("4f9c2a7e1b3d8065c7a1e9f02b6d4c38");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  test("an empty token file is replaced by a fresh token", async () => {
    await writeFile(join(dir, "token"), "");
    const token = await loadOrCreateToken(dir);
    expect(token).toHaveLength(43);
    expect((await readFile(join(dir, "token"), "utf8")).trim()).toBe(token);
  });
});

describe("safeEqual", () => {
  test("compares with crypto.timingSafeEqual on equal-length SHA-256 digests", () => {
    const spy = spyOn(crypto, "timingSafeEqual");
    try {
      expect(safeEqual("secret-value", "secret-value")).toBe(true);
      expect(safeEqual("short", "a-much-longer-secret-value")).toBe(false);
      expect(spy).toHaveBeenCalledTimes(2);
      for (const [a, b] of spy.mock.calls) {
        expect((a as Buffer).byteLength).toBe(32);
        expect((b as Buffer).byteLength).toBe(32);
      }
    } finally {
      spy.mockRestore();
    }
  });

  test("different lengths and empty strings never throw", () => {
    expect(safeEqual("", "x")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
    expect(safeEqual("é", "e")).toBe(false);
  });
});

describe("redactToken", () => {
  test("removes the raw token, its URL-encoded form and the derived cookie value", () => {
    const token = "abc+def/ghi=jkl-mno_pqr";
    const text = `url=http://h/?token=${encodeURIComponent(token)} raw=${token} cookie=${cookieValueFor(token)}`;
    const out = redactToken(text, token);
    expect(out).not.toContain(token);
    expect(out).not.toContain(encodeURIComponent(token));
    expect(out).not.toContain(cookieValueFor(token));
    expect(out).toBe("url=http://h/?token=[REDACTED] raw=[REDACTED] cookie=[REDACTED]");
  });

  test("leaves other text alone, and an empty token redacts nothing", () => {
    expect(redactToken("nothing secret here", generateToken())).toBe("nothing secret here");
    expect(redactToken("abc", "")).toBe("abc");
  });
});

test("the cookie value is derived from the token: a new token invalidates old cookies", () => {
  const a = generateToken();
  const b = generateToken();
  expect(cookieValueFor(a)).toBe(cookieValueFor(a));
  expect(cookieValueFor(a)).not.toBe(cookieValueFor(b));
  expect(cookieValueFor(a)).not.toContain(a);
});

describe("rotateToken and watchTokenFile", () => {
  /** Resolves with the next token the watch reports. */
  function watchOnce(dataDir: string, current: string, intervalMs = 20) {
    let resolve: (token: string) => void = () => undefined;
    const next = new Promise<string>((r) => {
      resolve = r;
    });
    const watch = watchTokenFile(dataDir, current, (token) => resolve(token), intervalMs);
    return { watch, next };
  }

  test("a rotated token replaces the file (0600, nothing left behind) and the watch reports it", async () => {
    const first = await loadOrCreateToken(dir);
    const { watch, next } = watchOnce(dir, first);
    try {
      await watch.check();
      const rotated = await rotateToken(dir);
      expect(rotated).not.toBe(first);
      expect(await next).toBe(rotated);
      expect(await readStoredToken(dir)).toBe(rotated);
      expect((await stat(join(dir, "token"))).mode & 0o777).toBe(0o600);
      expect(await readdir(dir)).toEqual(["token"]);
    } finally {
      watch.stop();
    }
  });

  test("an unchanged file, a weak token or a deleted file keep the current token", async () => {
    const first = await loadOrCreateToken(dir);
    const seen: string[] = [];
    const watch = watchTokenFile(dir, first, (token) => seen.push(token), 60_000);
    try {
      await watch.check();
      await writeFile(join(dir, "token"), "short\n");
      await watch.check();
      await rm(join(dir, "token"));
      await watch.check();
      expect(seen).toEqual([]);
      // A good token written by hand is taken.
      const byHand = generateToken();
      await writeFile(join(dir, "token"), `${byHand}\n`, { mode: 0o600 });
      await watch.check();
      expect(seen).toEqual([byHand]);
    } finally {
      watch.stop();
    }
  });
});
