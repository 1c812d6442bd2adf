import { describe, expect, test } from "bun:test";
import { chunkAddress, importChunk } from "./chunkImport.ts";

/** An engine that keeps failures: an address that failed once fails for good, without a request. */
function keepingEngine(reachable: () => boolean) {
  const failedForGood = new Set<string>();
  const requested: string[] = [];
  const load = async (address: string) => {
    if (failedForGood.has(address)) throw new TypeError(`kept failure: ${address}`);
    requested.push(address);
    if (!reachable()) {
      failedForGood.add(address);
      throw new TypeError(`Failed to fetch dynamically imported module: ${address}`);
    }
    return { address };
  };
  return { load, requested };
}

describe("importChunk", () => {
  test("a chunk that loads is asked for at its own address, once", async () => {
    const engine = keepingEngine(() => true);
    expect(await importChunk("/chunk-aaaa1111.js", engine.load)).toEqual({ address: "/chunk-aaaa1111.js" });
    expect(engine.requested).toEqual(["/chunk-aaaa1111.js"]);
  });

  test("on an engine that keeps failures, the next try asks under a new address and loads", async () => {
    let reachable = false;
    const engine = keepingEngine(() => reachable);
    const url = "/chunk-bbbb2222.js";
    await expect(importChunk(url, engine.load)).rejects.toThrow("Failed to fetch");
    // Still down: the retry's new address fails too, and the one after gets another.
    await expect(importChunk(url, engine.load)).rejects.toThrow();
    reachable = true;
    expect(await importChunk(url, engine.load)).toEqual({ address: `${url}?retry=2` });
    expect(engine.requested).toEqual([url, `${url}?retry=1`, `${url}?retry=2`]);
  });

  test("on an engine that asks again, the retry loads the chunk at its own address", async () => {
    let reachable = false;
    const requested: string[] = [];
    const load = async (address: string) => {
      requested.push(address);
      if (!reachable) throw new TypeError("Failed to fetch");
      return { address };
    };
    const url = "/chunk-cccc3333.js";
    await expect(importChunk(url, load)).rejects.toThrow();
    reachable = true;
    expect(await importChunk(url, load)).toEqual({ address: url });
    expect(requested).toEqual([url, url]);
  });

  test("two imports failing together count one failure", async () => {
    const engine = keepingEngine(() => false);
    const url = "/chunk-dddd4444.js";
    await Promise.allSettled([importChunk(url, engine.load), importChunk(url, engine.load)]);
    await expect(importChunk(url, engine.load)).rejects.toThrow();
    expect(engine.requested).toEqual([url, `${url}?retry=1`]);
  });

  test("an address with a query gets the count added to it", () => {
    expect(chunkAddress("/chunk-eeee5555.js", 0)).toBe("/chunk-eeee5555.js");
    expect(chunkAddress("/chunk-eeee5555.js", 3)).toBe("/chunk-eeee5555.js?retry=3");
    expect(chunkAddress("/x.js?v=1", 1)).toBe("/x.js?v=1&retry=1");
  });
});
