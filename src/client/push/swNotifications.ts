/**
 * What the service worker does with a push message and with a tap on its notification
 * (src/client/sw.ts wires these to its `push` and `notificationclick` events). Browser APIs come in
 * as `SwDeps`, so every path runs in the unit tests too.
 *
 * - A push shows its notification, with Allow and Deny for a permission request (platforms without
 *   notification actions, iOS among them, show it without), and sets the app badge.
 * - Allow or Deny posts to `/api/push/action` without opening the app, then replaces the
 *   notification with the outcome ("Allowed: Bash `npm test`").
 * - A tap on the notification itself focuses an open window on that session, or opens one.
 */
import type { PushActionRequest, PushNotification } from "../../shared/messages.ts";
import { type OpenSessionMessage, readOpenParams } from "./openParams.ts";

export const ACTION_PATH = "/api/push/action";
const ICON = "/icons/icon-192.png";

/** The notification options the worker passes (some are not in every TS DOM lib yet). */
export interface ShownOptions {
  body: string;
  tag: string;
  icon: string;
  badge: string;
  data: unknown;
  renotify?: boolean;
  silent?: boolean;
  requireInteraction?: boolean;
  timestamp?: number;
  actions?: { action: string; title: string }[];
}

export interface WindowLike {
  url: string;
  focus(): Promise<unknown>;
  postMessage(message: OpenSessionMessage): void;
}

export interface SwDeps {
  /** The worker's own origin: the only one a notification may open. */
  origin: string;
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  showNotification(title: string, options: ShownOptions): Promise<void>;
  windows(): Promise<readonly WindowLike[]>;
  openWindow(url: string): Promise<unknown>;
  setBadge?(count: number): Promise<void>;
  now?(): number;
}

export interface TappedNotification {
  data: unknown;
  close(): void;
}

/** What a replaced notification keeps: where a tap opens. */
interface OutcomeData {
  type: "outcome";
  url: string;
  sessionId?: string;
}

// -- reading the payload (no Zod in the worker: the fields it uses are checked by hand) -----------

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === "string" ? value : "");

/** The payload as the worker may use it, or null: a push it cannot read still shows something. */
export function readPayload(data: unknown): PushNotification | null {
  if (!isRecord(data)) return null;
  const type = data.type;
  if (type !== "permission" && type !== "question" && type !== "done" && type !== "error" && type !== "test") {
    return null;
  }
  if (typeof data.title !== "string" || typeof data.body !== "string" || typeof data.tag !== "string") return null;
  if (type === "permission" && (typeof data.permissionId !== "string" || typeof data.actionToken !== "string")) {
    return null;
  }
  return data as PushNotification;
}

/** A same-origin path from a payload's `url`; anything else opens the app's start page. */
export function safeUrl(url: unknown, origin: string): string {
  try {
    const target = new URL(str(url) || "/", origin);
    return target.origin === origin ? `${target.pathname}${target.search}` : "/";
  } catch {
    return "/";
  }
}

/** "Allowed: Bash `npm test`", the outcome that replaces an answered permission notification. */
export function outcomeTitle(payload: Extract<PushNotification, { type: "permission" }>, decision: "allow" | "deny") {
  const verb = decision === "allow" ? "Allowed" : "Denied";
  return payload.summary ? `${verb}: ${payload.toolName} \`${payload.summary}\`` : `${verb}: ${payload.toolName}`;
}

export function notificationFor(payload: PushNotification, now = Date.now()): { title: string; options: ShownOptions } {
  const urgent = payload.type === "permission" || payload.type === "question";
  return {
    title: payload.title,
    options: {
      body: payload.body,
      tag: payload.tag,
      icon: ICON,
      badge: ICON,
      data: payload,
      // A newer notification of the session replaces the older one, and buzzes again.
      renotify: true,
      requireInteraction: urgent,
      timestamp: now,
      ...(payload.type === "permission"
        ? { actions: payload.actions.map(({ action, title }) => ({ action, title })) }
        : {}),
    },
  };
}

// -- the worker's events ---------------------------------------------------------------------------

export async function onPush(data: unknown, deps: SwDeps): Promise<void> {
  const payload = readPayload(data);
  if (!payload) {
    // The browser requires a visible notification for every push; say something useful.
    await deps.showNotification("Pocket Agent", {
      body: "Something needs your attention.",
      tag: "pocket-agent",
      icon: ICON,
      badge: ICON,
      data: { type: "outcome", url: "/" } satisfies OutcomeData,
    });
    return;
  }
  const { title, options } = notificationFor(payload, deps.now?.());
  await Promise.all([deps.showNotification(title, options), setBadge(deps, payload.badge)]);
}

export async function onNotificationClick(
  notification: TappedNotification,
  action: string,
  deps: SwDeps,
): Promise<void> {
  const payload = readPayload(notification.data);
  if (payload?.type === "permission" && (action === "allow" || action === "deny")) {
    await answer(payload, action, deps);
    return;
  }
  notification.close();
  const url = safeUrl(isRecord(notification.data) ? notification.data.url : "/", deps.origin);
  await openApp(url, deps);
}

/** Allow or Deny without opening the app, then the outcome in place of the request. */
async function answer(
  payload: Extract<PushNotification, { type: "permission" }>,
  decision: "allow" | "deny",
  deps: SwDeps,
): Promise<void> {
  const body: PushActionRequest = { permissionId: payload.permissionId, decision, actionToken: payload.actionToken };
  let title: string;
  let answered = false;
  try {
    const res = await deps.fetch(ACTION_PATH, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    if (res.ok) {
      title = outcomeTitle(payload, decision);
      answered = true;
    } else {
      title = failureTitle(res.status, await codeOf(res));
    }
  } catch {
    title = "Could not reach Pocket Agent: open the app to answer";
  }
  const outcome: OutcomeData = {
    type: "outcome",
    url: safeUrl(payload.url, deps.origin),
    sessionId: payload.sessionId,
  };
  await Promise.all([
    deps.showNotification(title, {
      body: payload.title,
      tag: payload.tag,
      icon: ICON,
      badge: ICON,
      data: outcome,
      silent: true,
      renotify: false,
      ...(deps.now ? { timestamp: deps.now() } : {}),
    }),
    answered ? setBadge(deps, Math.max(0, payload.badge - 1)) : Promise.resolve(),
  ]);
}

async function codeOf(res: Response): Promise<string> {
  try {
    const body: unknown = await res.json();
    return isRecord(body) ? str(body.code) : "";
  } catch {
    return "";
  }
}

function failureTitle(status: number, code: string): string {
  if (code === "PERMISSION_NOT_PENDING" || code === "ACTION_TOKEN_USED") return "Already answered";
  if (code === "ACTION_TOKEN_EXPIRED") return "Too old to answer here: open the app";
  if (status === 401) return "This device is not paired: open the app";
  return "Could not answer: open the app";
}

async function openApp(url: string, deps: SwDeps): Promise<void> {
  const { sessionId } = readOpenParams(new URL(url, deps.origin).href);
  const open = (await deps.windows()).find((client) => client.url.startsWith(deps.origin));
  if (open) {
    // Told first: focusing can be refused (no user activation), and the window should switch anyway.
    if (sessionId) open.postMessage({ type: "pocket-agent:open-session", sessionId });
    await open.focus().catch(() => undefined);
    return;
  }
  await deps.openWindow(url);
}

async function setBadge(deps: SwDeps, count: number): Promise<void> {
  try {
    await deps.setBadge?.(count);
  } catch {
    // Not installed, or no permission for badges: nothing to show.
  }
}
