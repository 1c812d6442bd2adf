import { describe, expect, test } from "bun:test";
import { strategyFor } from "./swRoutes.ts";

const ORIGIN = "https://box.example";
const PRECACHE = ["/index.html", "/chunk-abcd1234.js"];
const at = (path: string, mode = "cors", method = "GET") =>
  strategyFor({ method, mode, url: `${ORIGIN}${path}` }, ORIGIN, PRECACHE);

describe("the service worker's routes", () => {
  test("a pairing URL always goes to the network: a cached shell would leave the token in the address bar", () => {
    expect(at("/?token=secret", "navigate")).toBeNull();
    expect(at("/?pair=1&token=secret", "navigate")).toBeNull();
    expect(at("/index.html?token=secret")).toBeNull();
  });

  test("other navigations fall back to the shell; precached files come from the cache", () => {
    expect(at("/", "navigate")).toBe("navigate");
    expect(at("/?pair=failed", "navigate")).toBe("navigate");
    expect(at("/index.html")).toBe("network-first");
    expect(at("/chunk-abcd1234.js")).toBe("cache-first");
  });

  test("the server's own routes, other origins, other methods and unknown files are left alone", () => {
    for (const path of ["/socket.io/?EIO=4", "/api/transcribe", "/healthz", "/_bun/hmr", "/other.js"]) {
      expect(at(path)).toBeNull();
    }
    expect(at("/", "navigate", "POST")).toBeNull();
    expect(strategyFor({ method: "GET", mode: "navigate", url: "https://evil.example/" }, ORIGIN, PRECACHE)).toBeNull();
  });
});
