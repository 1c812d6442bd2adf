/** What the Notifications settings show for the push machine's state: one of a few states, and what is under way. */
import type { PushSupport } from "./support.ts";

export type PushView =
  | "checking"
  | "on"
  | "off"
  | "blocked"
  /** The API is missing. */
  | "unsupported"
  /** iPhone / iPad in a Safari tab: it needs the app added to the Home Screen. */
  | "ios-home-screen"
  /** Plain http on a LAN address. */
  | "insecure";

export type PushBusy = "enabling" | "saving" | "testing" | "disabling" | "syncing" | null;

export function pushView(state: string, support: PushSupport | null): { view: PushView; busy: PushBusy } {
  switch (state) {
    case "unsupported":
      return {
        view: support && !support.ok && support.reason !== "unsupported" ? support.reason : "unsupported",
        busy: null,
      };
    case "blocked":
      return { view: "blocked", busy: null };
    case "off":
      return { view: "off", busy: null };
    case "enabling":
      return { view: "off", busy: "enabling" };
    case "on":
      return { view: "on", busy: null };
    case "syncing":
    case "saving":
    case "testing":
    case "disabling":
      return { view: "on", busy: state };
    default:
      return { view: "checking", busy: null };
  }
}

export const VIEW_TEXT: Record<PushView, { status: string; explanation: string }> = {
  checking: { status: "Checking…", explanation: "" },
  on: {
    status: "On for this device",
    explanation:
      "This device buzzes when a session needs you or is done, unless you are looking at that session right now.",
  },
  off: {
    status: "Off",
    explanation:
      "Turn them on to hear when the agent needs your approval or has finished, with the app closed. You can Allow or Deny straight from the notification.",
  },
  blocked: {
    status: "Blocked by the browser",
    explanation:
      "Notifications were refused for this site. Allow them in the browser's site settings (the icon beside the address), then come back here.",
  },
  unsupported: {
    status: "Not available in this browser",
    explanation: "This browser can't receive web notifications. Try Chrome, Edge, Firefox or Safari 16.4 or later.",
  },
  "ios-home-screen": {
    status: "Add to Home Screen first",
    explanation: "On iPhone and iPad, notifications only work in the app added to the Home Screen.",
  },
  insecure: {
    status: "Needs HTTPS",
    explanation:
      "Browsers only allow notifications on a secure connection. Open Pocket Agent through its https:// address (see the README: --lan, or tailscale serve).",
  },
};
