import { describe, expect, test } from "bun:test";
import { decodeText, looksBinary } from "./fileReader.ts";

describe("text or binary", () => {
  test("a NUL byte early makes a file binary (git's rule)", () => {
    expect(looksBinary(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0]))).toBe(true);
    expect(looksBinary(new TextEncoder().encode("plain text"))).toBe(false);
  });

  test("invalid UTF-8 is not text; a cut inside a character is", () => {
    expect(decodeText(new Uint8Array([0xff, 0xfe, 0x41]), false)).toBeNull();
    const euro = new TextEncoder().encode("a€"); // € is 3 bytes
    expect(decodeText(euro.subarray(0, 3), true)).toBe("a");
    expect(decodeText(euro.subarray(0, 3), false)).toBeNull();
    expect(decodeText(euro, false)).toBe("a€");
  });
});
