import { expect, spyOn, test } from "bun:test";
import { pairingUrl, printPairingBanner } from "./banner.ts";

test("pairingUrl puts the token, URL-encoded, in the query of the origin's root", () => {
  expect(pairingUrl("https://box.local:8443", "a+b/c=")).toBe("https://box.local:8443/?token=a%2Bb%2Fc%3D");
  expect(pairingUrl("http://127.0.0.1:3000///", "tok")).toBe("http://127.0.0.1:3000/?token=tok");
});

test("printPairingBanner writes the URL and a QR code in one write, by default to console.log", () => {
  const url = "https://box.local:8443/?token=abcdefghijklmnopqrstuvwxyz012345";
  const spy = spyOn(console, "log").mockImplementation(() => undefined);
  try {
    printPairingBanner(url);
    expect(spy).toHaveBeenCalledTimes(1);
    const text = String(spy.mock.calls[0]?.[0]);
    expect(text).toContain(url);
    expect(text).toContain("do not share");
    const qrLines = text.split("\n").filter((line) => /^[█▀▄ ]{20,}$/.test(line));
    expect(qrLines.length).toBeGreaterThan(10);
  } finally {
    spy.mockRestore();
  }
});
