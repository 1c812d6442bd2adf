import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstScreenChunks, retryCopy, retryOf } from "./chunkRetry.ts";

let dist: string;
beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), "pocket-retry-"));
  await writeFile(
    join(dist, "build-info.json"),
    JSON.stringify({ firstScreen: ["chunk-entry000.js", "chunk-aaaaaaaa.js"] }),
  );
  await writeFile(join(dist, "chunk-entry000.js"), 'import{a}from"/chunk-aaaaaaaa.js";import"/chunk-react000.js";');
  await writeFile(join(dist, "chunk-aaaaaaaa.js"), "export const a=1;");
  await writeFile(join(dist, "chunk-react000.js"), "export const r=1;");
});
afterAll(() => rm(dist, { recursive: true, force: true }));

describe("a chunk asked for again", () => {
  test("the first screen's chunks are the build's list of them and what they import", async () => {
    expect([...(await firstScreenChunks(dist))].sort()).toEqual([
      "chunk-aaaaaaaa.js",
      "chunk-entry000.js",
      "chunk-react000.js",
    ]);
  });

  test("its copy imports the chunks loaded on demand under the same retry, the first screen's as they are", () => {
    const sheet =
      'import{a as b}from"/chunk-react000.js";import{d}from"/chunk-dialog00.js";import"/chunk-css00000.js";';
    expect(retryCopy(sheet, "2", new Set(["chunk-react000.js"]))).toBe(
      'import{a as b}from"/chunk-react000.js";import{d}from"/chunk-dialog00.js?retry=2";import"/chunk-css00000.js?retry=2";',
    );
  });

  test("only a chunk's address with a small count is a retry", () => {
    const at = (address: string) =>
      retryOf(new URL(address, "http://127.0.0.1").pathname, `http://127.0.0.1${address}`);
    expect(at("/chunk-dialog00.js?retry=3")).toBe("3");
    expect(at("/chunk-dialog00.js")).toBeNull();
    expect(at("/chunk-dialog00.js?retry=0")).toBeNull();
    expect(at("/chunk-dialog00.js?retry=x")).toBeNull();
    expect(at("/chunk-dialog00.js?retry=99999")).toBeNull();
    expect(at("/index.html?retry=1")).toBeNull();
  });
});
