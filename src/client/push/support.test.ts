import { describe, expect, test } from "bun:test";
import { defaultDeviceName, isIos, type PushEnvironment, pushSupport } from "./support.ts";

const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const IPAD_DESKTOP_UA =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
const PIXEL =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
const LINUX_CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

const env = (overrides: Partial<PushEnvironment>): PushEnvironment => ({
  userAgent: PIXEL,
  maxTouchPoints: 5,
  standalone: false,
  secureContext: true,
  serviceWorker: true,
  pushManager: true,
  notification: true,
  ...overrides,
});

describe("push support", () => {
  test("Android Chrome in a tab: supported", () => {
    expect(pushSupport(env({}))).toEqual({ ok: true });
  });

  test("iPhone in a Safari tab (no PushManager there): add to Home Screen first", () => {
    expect(pushSupport(env({ userAgent: IPHONE, pushManager: false, notification: false }))).toEqual({
      ok: false,
      reason: "ios-home-screen",
    });
  });

  test("iPhone from the Home Screen: supported", () => {
    expect(pushSupport(env({ userAgent: IPHONE, standalone: true }))).toEqual({ ok: true });
  });

  test("an iPad that says Macintosh is told about the Home Screen too; a Mac is not", () => {
    expect(isIos({ userAgent: IPAD_DESKTOP_UA, maxTouchPoints: 5 })).toBe(true);
    expect(isIos({ userAgent: IPAD_DESKTOP_UA, maxTouchPoints: 0 })).toBe(false);
    expect(pushSupport(env({ userAgent: IPAD_DESKTOP_UA, pushManager: false }))).toMatchObject({
      reason: "ios-home-screen",
    });
  });

  test("plain http on a LAN address, and a browser without the APIs", () => {
    expect(pushSupport(env({ secureContext: false }))).toEqual({ ok: false, reason: "insecure" });
    expect(pushSupport(env({ userAgent: LINUX_CHROME, pushManager: false }))).toEqual({
      ok: false,
      reason: "unsupported",
    });
  });

  test("a device name from the user agent", () => {
    expect(defaultDeviceName(IPHONE)).toBe("iPhone");
    expect(defaultDeviceName(IPAD_DESKTOP_UA, 5)).toBe("iPad");
    expect(defaultDeviceName(PIXEL)).toBe("Android phone");
    expect(defaultDeviceName(LINUX_CHROME)).toBe("Chrome on Linux");
  });
});
