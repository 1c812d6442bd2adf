import { describe, expect, test } from "bun:test";
import { checkEndpoint, endpointOrigin, isLoopbackAddress } from "./endpoint.ts";

describe("push endpoints", () => {
  test.each([
    "https://fcm.googleapis.com/fcm/send/abc",
    "https://web.push.apple.com/QO3",
    "http://127.0.0.1:4000/push/x",
    "http://127.1.2.3/push/x",
    "http://[::1]:4000/push/x",
  ])("accepts %s", (endpoint) => {
    expect(checkEndpoint(endpoint).ok).toBe(true);
  });

  test.each([
    "http://push.example.com/x",
    "http://192.168.1.10/push",
    "http://localhost:4000/push",
    "ftp://127.0.0.1/x",
    "javascript:alert(1)",
    "https://user:pw@push.example/x",
    "https://push.example/x#frag",
    "not a url",
  ])("refuses %s", (endpoint) => {
    expect(checkEndpoint(endpoint).ok).toBe(false);
  });

  test("loopback means an address, not a name", () => {
    expect(isLoopbackAddress("127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("[::1]")).toBe(true);
    expect(isLoopbackAddress("localhost")).toBe(false);
    expect(isLoopbackAddress("128.0.0.1")).toBe(false);
  });

  test("only the origin of an endpoint is logged (its path is a capability)", () => {
    expect(endpointOrigin("https://fcm.googleapis.com/fcm/send/secret-part")).toBe("https://fcm.googleapis.com");
  });
});
