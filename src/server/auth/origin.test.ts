import { describe, expect, test } from "bun:test";
import { configuredOrigins, judgeOrigin, normalizeOrigin, ownOrigin, parseAllowedOrigins } from "./origin.ts";

describe("normalizeOrigin", () => {
  test("lower-cases and drops default ports; refuses non-http and opaque origins", () => {
    expect(normalizeOrigin("HTTPS://Example.COM:443")).toBe("https://example.com");
    expect(normalizeOrigin("http://127.0.0.1:3000/")).toBe("http://127.0.0.1:3000");
    expect(normalizeOrigin("http://[::1]:3000")).toBe("http://[::1]:3000");
    expect(normalizeOrigin("null")).toBeNull();
    expect(normalizeOrigin("file://")).toBeNull();
    expect(normalizeOrigin("chrome-extension://abc")).toBeNull();
    expect(normalizeOrigin("not a url")).toBeNull();
  });
});

describe("parseAllowedOrigins", () => {
  test("parses a comma list, normalised and deduplicated", () => {
    expect(parseAllowedOrigins(" https://a.example , https://A.example:443,http://b.lan:8080 ,")).toEqual([
      "https://a.example",
      "http://b.lan:8080",
    ]);
    expect(parseAllowedOrigins(undefined)).toEqual([]);
  });

  test("refuses wildcards and things that are not origins (fails closed on typos)", () => {
    expect(() => parseAllowedOrigins("*")).toThrow(/wildcards/);
    expect(() => parseAllowedOrigins("https://*.example.com")).toThrow(/wildcards/);
    expect(() => parseAllowedOrigins("https://a.example/app")).toThrow(/not an origin/);
    expect(() => parseAllowedOrigins("a.example")).toThrow(/not an origin/);
  });
});

describe("configuredOrigins", () => {
  test("loopback binding covers localhost and 127.0.0.1", () => {
    expect(configuredOrigins({ host: "127.0.0.1", port: 3000, https: false })).toEqual([
      "http://127.0.0.1:3000",
      "http://localhost:3000",
    ]);
  });

  test("a wildcard binding adds the certificate names", () => {
    expect(configuredOrigins({ host: "0.0.0.0", port: 8443, https: true, names: ["mybox.local", "::1"] })).toEqual([
      "https://localhost:8443",
      "https://127.0.0.1:8443",
      "https://mybox.local:8443",
      "https://[::1]:8443",
    ]);
  });
});

describe("judgeOrigin", () => {
  const allowed = new Set(["https://phone-proxy.example"]);
  test("absent → judged by token; same origin (scheme + Host) or allowed list → allowed", () => {
    expect(judgeOrigin(null, "localhost:3000", false, allowed)).toBe("absent");
    expect(judgeOrigin("http://localhost:3000", "localhost:3000", false, allowed)).toBe("allowed");
    expect(judgeOrigin("https://phone-proxy.example", "localhost:3000", false, allowed)).toBe("allowed");
  });

  test("another site, another port, another scheme, or `null` → forbidden", () => {
    expect(judgeOrigin("https://evil.example", "localhost:3000", false, allowed)).toBe("forbidden");
    expect(judgeOrigin("http://localhost:8080", "localhost:3000", false, allowed)).toBe("forbidden");
    expect(judgeOrigin("https://localhost:3000", "localhost:3000", false, allowed)).toBe("forbidden");
    expect(judgeOrigin("null", "localhost:3000", false, allowed)).toBe("forbidden");
    expect(judgeOrigin("http://localhost:3000", null, false, allowed)).toBe("forbidden");
  });

  test("a garbage Host header never produces an origin", () => {
    expect(ownOrigin("evil.example/path", false)).toBeNull();
    expect(ownOrigin("a b", false)).toBeNull();
    expect(ownOrigin("box.lan:8443", true)).toBe("https://box.lan:8443");
  });
});
