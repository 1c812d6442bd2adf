import { describe, expect, test } from "bun:test";
import { createHostAllowlist, hostName } from "./hosts.ts";

describe("hostName", () => {
  test("the name without port or brackets, lower-cased; null for anything that is not a bare host", () => {
    expect(hostName("Box.Example:3000")).toBe("box.example");
    expect(hostName("[::1]:3000")).toBe("::1");
    expect(hostName("127.0.0.1")).toBe("127.0.0.1");
    for (const bad of [null, "", "a b", "evil.example/x", "user@evil.example", "evil.example?x"]) {
      expect(hostName(bad)).toBeNull();
    }
  });
});

describe("createHostAllowlist", () => {
  const allowed = createHostAllowlist({
    listenHost: "0.0.0.0",
    names: ["workstation.local"],
    origins: ["https://box.tailnet.ts.net"],
  });

  test("known names, localhost and any IP address pass, on any port", () => {
    for (const host of [
      "workstation.local:3000",
      "box.tailnet.ts.net",
      "localhost:8080",
      "app.localhost",
      "192.168.1.23:3000",
      "[fe80::1]",
    ]) {
      expect(allowed(host)).toBe(true);
    }
  });

  test("any other name is refused: it is how DNS rebinding arrives", () => {
    for (const host of ["evil.example", "workstation.local.evil.example", "localhost.evil.example", null]) {
      expect(allowed(host)).toBe(false);
    }
  });
});
