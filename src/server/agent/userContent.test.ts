import { describe, expect, test } from "bun:test";
import { userContent } from "./sdkRunner.ts";

describe("userContent", () => {
  test("a prompt without images stays plain text", () => {
    expect(userContent("hello")).toBe("hello");
    expect(userContent("hello", [])).toBe("hello");
  });

  test("images come first as base64 image blocks with their type, then the text", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff]);
    expect(
      userContent("what is this", [
        { mediaType: "image/png", data: png },
        { mediaType: "image/jpeg", data: jpeg },
      ]),
    ).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw==" } },
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/" } },
      { type: "text", text: "what is this" },
    ]);
  });

  test("images alone: no empty text block", () => {
    const blocks = userContent("", [{ mediaType: "image/gif", data: new Uint8Array([0x47, 0x49, 0x46]) }]);
    expect(blocks).toEqual([{ type: "image", source: { type: "base64", media_type: "image/gif", data: "R0lG" } }]);
  });
});
