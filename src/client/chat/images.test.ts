import { describe, expect, test } from "bun:test";
import { fittedSize } from "./images.ts";

describe("fittedSize", () => {
  test("an image within 1568 px on its longer edge is left as it is", () => {
    expect(fittedSize(1568, 1000)).toBeNull();
    expect(fittedSize(800, 600)).toBeNull();
  });

  test("a larger one is scaled to 1568 px on its longer edge, keeping its shape", () => {
    expect(fittedSize(4032, 3024)).toEqual({ width: 1568, height: 1176 });
    expect(fittedSize(1170, 2532)).toEqual({ width: 725, height: 1568 });
    expect(fittedSize(20000, 1)).toEqual({ width: 1568, height: 1 });
  });
});
