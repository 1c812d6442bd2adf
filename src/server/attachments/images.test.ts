import { describe, expect, test } from "bun:test";
import { fakePngBytes, pngBytes } from "../../../tests/fixtures/images.ts";
import { LIMITS, sniffImageType } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";
import { checkImages } from "./images.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const ascii = (text: string) => new TextEncoder().encode(text);

describe("sniffImageType", () => {
  test("reads the four image types from their magic numbers", () => {
    expect(sniffImageType(pngBytes(2, 2))).toBe("image/png");
    expect(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10))).toBe("image/jpeg");
    expect(sniffImageType(ascii("GIF89a\x01\x00"))).toBe("image/gif");
    expect(sniffImageType(ascii("GIF87a\x01\x00"))).toBe("image/gif");
    expect(sniffImageType(ascii("RIFF\x10\x00\x00\x00WEBPVP8 "))).toBe("image/webp");
  });

  test("anything else is null: text, a truncated signature, a RIFF that is not WebP, SVG", () => {
    expect(sniffImageType(fakePngBytes())).toBeNull();
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47))).toBeNull();
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0))).toBeNull();
    expect(sniffImageType(ascii("RIFF\x10\x00\x00\x00WAVEfmt "))).toBeNull();
    expect(sniffImageType(ascii("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
    expect(sniffImageType(new Uint8Array())).toBeNull();
  });
});

describe("checkImages", () => {
  const code = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof PocketError ? error.code : "other";
    }
    return "none";
  };

  test("keeps good images in order with the type their bytes say", () => {
    const png = pngBytes(3, 3);
    const checked = checkImages([{ name: "a.png", mediaType: "image/png", data: png }]);
    expect(checked).toEqual([{ name: "a.png", mediaType: "image/png", data: png }]);
  });

  test("refuses a label that lies, bytes that are no image, empty or oversized files and too many", () => {
    const jpeg = bytes(0xff, 0xd8, 0xff, 0xe0);
    expect(code(() => checkImages([{ name: "p.png", mediaType: "image/png", data: jpeg }]))).toBe("INVALID_ATTACHMENT");
    expect(code(() => checkImages([{ name: "x.png", mediaType: "image/png", data: fakePngBytes() }]))).toBe(
      "INVALID_ATTACHMENT",
    );
    expect(code(() => checkImages([{ name: "e.png", mediaType: "image/png", data: new Uint8Array() }]))).toBe(
      "INVALID_ATTACHMENT",
    );
    const huge = new Uint8Array(LIMITS.attachmentBytes + 1);
    huge.set(pngBytes(1, 1));
    expect(code(() => checkImages([{ name: "h.png", mediaType: "image/png", data: huge }]))).toBe("INVALID_ATTACHMENT");
    const six = Array.from({ length: LIMITS.attachments + 1 }, () => ({
      name: "a.png",
      mediaType: "image/png" as const,
      data: pngBytes(1, 1),
    }));
    expect(code(() => checkImages(six))).toBe("INVALID_ATTACHMENT");
  });
});
