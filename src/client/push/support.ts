/**
 * Whether this browser can have Pocket Agent's notifications, and if not, why: what the
 * Notifications settings say. Pure (the browser's facts come in), so every case is testable.
 */

/** The browser facts that decide it (`browserPushEnvironment()` reads them from the page). */
export interface PushEnvironment {
  userAgent: string;
  /** navigator.maxTouchPoints: iPadOS says "Macintosh" but has a touch screen. */
  maxTouchPoints: number;
  /** The page was opened from the Home Screen (display-mode standalone, or iOS's navigator.standalone). */
  standalone: boolean;
  secureContext: boolean;
  serviceWorker: boolean;
  pushManager: boolean;
  notification: boolean;
}

export type PushSupport =
  | { ok: true }
  /** iOS and iPadOS show web notifications only for an app added to the Home Screen (iOS 16.4+). */
  | { ok: false; reason: "ios-home-screen" }
  /** Plain http on a LAN address: no service worker, no push. */
  | { ok: false; reason: "insecure" }
  | { ok: false; reason: "unsupported" };

export function isIos(env: Pick<PushEnvironment, "userAgent" | "maxTouchPoints">): boolean {
  return /iPhone|iPad|iPod/.test(env.userAgent) || (/Macintosh/.test(env.userAgent) && env.maxTouchPoints > 1);
}

export function pushSupport(env: PushEnvironment): PushSupport {
  if (!env.secureContext) return { ok: false, reason: "insecure" };
  // In a Safari tab on iOS the APIs are simply missing: the Home Screen is the way, not another browser.
  if (isIos(env) && !env.standalone) return { ok: false, reason: "ios-home-screen" };
  if (!env.serviceWorker || !env.pushManager || !env.notification) return { ok: false, reason: "unsupported" };
  return { ok: true };
}

export function browserPushEnvironment(): PushEnvironment {
  const nav = navigator as Navigator & { standalone?: boolean };
  return {
    userAgent: nav.userAgent,
    maxTouchPoints: nav.maxTouchPoints ?? 0,
    standalone: nav.standalone === true || matchMedia("(display-mode: standalone)").matches,
    secureContext: globalThis.isSecureContext === true,
    serviceWorker: "serviceWorker" in nav,
    pushManager: typeof PushManager !== "undefined",
    notification: typeof Notification !== "undefined",
  };
}

/** A name for this device, from its user agent, until the user gives one. */
export function defaultDeviceName(userAgent: string, maxTouchPoints = 0): string {
  if (/iPhone/.test(userAgent)) return "iPhone";
  if (/iPad/.test(userAgent) || (/Macintosh/.test(userAgent) && maxTouchPoints > 1)) return "iPad";
  if (/Android/.test(userAgent)) return /Mobile/.test(userAgent) ? "Android phone" : "Android tablet";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\/|Chromium\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "Browser";
  const os = /Windows/.test(userAgent)
    ? "Windows"
    : /Macintosh/.test(userAgent)
      ? "Mac"
      : /CrOS/.test(userAgent)
        ? "ChromeOS"
        : /Linux/.test(userAgent)
          ? "Linux"
          : "";
  return os ? `${browser} on ${os}` : browser;
}
