import { describe, expect, test } from "bun:test";
import { MIN_TOKEN_BITS, tokenBits, tokenWeakness } from "./strength.ts";
import { generateToken } from "./token.ts";

describe("token strength", () => {
  test("the tokens the docs suggest pass: generated, `openssl rand -hex 16|32`, base64", () => {
    for (let i = 0; i < 200; i++) expect(tokenWeakness(generateToken())).toBeNull();
    for (let i = 0; i < 200; i++) {
      expect(tokenWeakness(crypto.getRandomValues(Buffer.alloc(16)).toString("hex"))).toBeNull();
      expect(tokenWeakness(crypto.getRandomValues(Buffer.alloc(32)).toString("hex"))).toBeNull();
      expect(tokenWeakness(crypto.getRandomValues(Buffer.alloc(24)).toString("base64"))).toBeNull();
    }
  });

  test("short, single-class or patterned tokens are refused with the reason and the fix", () => {
    expect(tokenBits("aaaaaaaaaaaaaaaa")).toBeLessThan(MIN_TOKEN_BITS);
    expect(tokenWeakness("aaaaaaaaaaaaaaaa")).toMatch(/POCKET_TOKEN is too weak \(about 41 bits.*openssl rand -hex 32/);
    // 15 random bytes of hex: 120 bits, one byte short.
    expect(tokenWeakness("0123456789abcdef0123456789abcd")).toMatch(/too weak/);
    expect(tokenWeakness("a".repeat(64))).toMatch(/varies too little/);
    expect(tokenWeakness("xyz".repeat(20))).toMatch(/varies too little/);
    expect(tokenWeakness("password-password-password-password")).toMatch(/varies too little/);
    expect(tokenWeakness("correct horse battery staple")).toMatch(/whitespace/);
  });
});
