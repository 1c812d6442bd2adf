import { describe, expect, test } from "bun:test";
import type { PushNotification } from "../../shared/messages.ts";
import {
  onNotificationClick,
  onPush,
  outcomeTitle,
  type ShownOptions,
  type SwDeps,
  safeUrl,
  type WindowLike,
} from "./swNotifications.ts";

/** The service worker's push and click handling with recorded stand-ins for the browser. */
const ORIGIN = "https://box.local:3000";
const sessionId = "3f1d2c3b-1111-4222-8333-444455556666";
const permissionId = "7b1d2c3b-1111-4222-8333-444455556666";

const permission: PushNotification = {
  type: "permission",
  sessionId,
  title: "Approve Bash? · Fix the tests",
  body: "npm test",
  url: `/?session=${sessionId}&permission=${permissionId}`,
  tag: `session-${sessionId}`,
  badge: 2,
  permissionId,
  toolName: "Bash",
  summary: "npm test",
  actions: [
    { action: "allow", title: "Allow" },
    { action: "deny", title: "Deny" },
  ],
  actionToken: "tok",
};

function browser(respond: (init: RequestInit) => Response | Promise<Response> = () => Response.json({})) {
  const shown: { title: string; options: ShownOptions }[] = [];
  const requests: { url: string; init: RequestInit }[] = [];
  const badges: number[] = [];
  const opened: string[] = [];
  const windows: (WindowLike & { focused: number; messages: unknown[] })[] = [];
  const deps: SwDeps = {
    origin: ORIGIN,
    fetch: async (url, init) => {
      requests.push({ url, init });
      return respond(init);
    },
    showNotification: async (title, options) => void shown.push({ title, options }),
    windows: async () => windows,
    openWindow: async (url) => void opened.push(url),
    setBadge: async (count) => void badges.push(count),
    now: () => 1_000,
  };
  const addWindow = (url: string) => {
    const win = {
      url,
      focused: 0,
      messages: [] as unknown[],
      focus: async () => {
        win.focused++;
      },
      postMessage: (message: unknown) => void win.messages.push(message),
    };
    windows.push(win);
    return win;
  };
  return { deps, shown, requests, badges, opened, addWindow };
}

const tapped = (data: unknown) => {
  const state = { closed: false };
  const close = () => {
    state.closed = true;
  };
  return { data, close, state };
};

describe("a push arrives", () => {
  test("a permission: its title and body, Allow and Deny, one tag per session, the badge", async () => {
    const b = browser();
    await onPush(permission, b.deps);
    expect(b.shown).toEqual([
      {
        title: "Approve Bash? · Fix the tests",
        options: expect.objectContaining({
          body: "npm test",
          tag: `session-${sessionId}`,
          renotify: true,
          requireInteraction: true,
          actions: [
            { action: "allow", title: "Allow" },
            { action: "deny", title: "Deny" },
          ],
          data: permission,
        }),
      },
    ]);
    expect(b.badges).toEqual([2]);
  });

  test("done: no actions, no need to stay on screen", async () => {
    const b = browser();
    await onPush(
      { ...permission, type: "done", title: "Done · x", body: "All green.", badge: 0 } as PushNotification,
      b.deps,
    );
    expect(b.shown[0]?.options.actions).toBeUndefined();
    expect(b.shown[0]?.options.requireInteraction).toBe(false);
    expect(b.badges).toEqual([0]);
  });

  test("a payload it cannot read still shows a notification (the browser requires one)", async () => {
    const b = browser();
    await onPush({ hello: 1 }, b.deps);
    await onPush(null, b.deps);
    expect(b.shown.map((s) => s.title)).toEqual(["Pocket Agent", "Pocket Agent"]);
  });
});

describe("Allow and Deny on the notification", () => {
  test("Allow posts the token, then the notification says what was allowed, silently", async () => {
    const b = browser(() => Response.json({ permissionId, sessionId, decision: "allow" }));
    const n = tapped(permission);
    await onNotificationClick(n, "allow", b.deps);
    expect(b.requests).toHaveLength(1);
    expect(b.requests[0]?.url).toBe("/api/push/action");
    expect(b.requests[0]?.init.method).toBe("POST");
    expect(b.requests[0]?.init.credentials).toBe("same-origin");
    expect(JSON.parse(String(b.requests[0]?.init.body))).toEqual({
      permissionId,
      decision: "allow",
      actionToken: "tok",
    });
    expect(b.shown).toEqual([
      {
        title: "Allowed: Bash `npm test`",
        options: expect.objectContaining({ tag: `session-${sessionId}`, silent: true, body: permission.title }),
      },
    ]);
    expect(b.shown[0]?.options.actions).toBeUndefined();
    expect(b.opened).toEqual([]);
    expect(b.badges).toEqual([1]);
  });

  test("Deny", async () => {
    const b = browser(() => Response.json({ permissionId, sessionId, decision: "deny" }));
    await onNotificationClick(tapped(permission), "deny", b.deps);
    expect(JSON.parse(String(b.requests[0]?.init.body)).decision).toBe("deny");
    expect(b.shown[0]?.title).toBe("Denied: Bash `npm test`");
  });

  test.each([
    [409, "PERMISSION_NOT_PENDING", "Already answered"],
    [409, "ACTION_TOKEN_USED", "Already answered"],
    [410, "ACTION_TOKEN_EXPIRED", "Too old to answer here: open the app"],
    [401, "UNAUTHORIZED", "This device is not paired: open the app"],
    [500, "INTERNAL_ERROR", "Could not answer: open the app"],
  ])("%i %s: “%s”, and the badge is left alone", async (status, code, title) => {
    const b = browser(() => Response.json({ error: "x", code }, { status }));
    await onNotificationClick(tapped(permission), "allow", b.deps);
    expect(b.shown[0]?.title).toBe(title);
    expect(b.badges).toEqual([]);
  });

  test("the server out of reach: say so; a tap then opens the app on the session", async () => {
    const b = browser(() => {
      throw new TypeError("Failed to fetch");
    });
    await onNotificationClick(tapped(permission), "allow", b.deps);
    expect(b.shown[0]?.title).toBe("Could not reach Pocket Agent: open the app to answer");
    await onNotificationClick(tapped(b.shown[0]?.options.data), "", b.deps);
    expect(b.opened).toEqual([`/?session=${sessionId}&permission=${permissionId}`]);
  });

  test("the outcome title without a summary", () => {
    expect(
      outcomeTitle({ ...permission, summary: "" } as Extract<PushNotification, { type: "permission" }>, "allow"),
    ).toBe("Allowed: Bash");
  });
});

describe("a tap on the notification", () => {
  test("an open window is focused and told which session to show", async () => {
    const b = browser();
    const win = b.addWindow(`${ORIGIN}/`);
    const n = tapped(permission);
    await onNotificationClick(n, "", b.deps);
    expect(n.state.closed).toBe(true);
    expect(win.focused).toBe(1);
    expect(win.messages).toEqual([{ type: "pocket-agent:open-session", sessionId }]);
    expect(b.opened).toEqual([]);
    expect(b.requests).toEqual([]);
  });

  test("no window: the app opens on the session", async () => {
    const b = browser();
    await onNotificationClick(tapped(permission), "", b.deps);
    expect(b.opened).toEqual([permission.url]);
  });

  test("only this origin's pages are ever opened", () => {
    expect(safeUrl("https://evil.example/phish", ORIGIN)).toBe("/");
    expect(safeUrl("//evil.example/x", ORIGIN)).toBe("/");
    expect(safeUrl("javascript:alert(1)", ORIGIN)).toBe("/");
    expect(safeUrl(`/?session=${sessionId}`, ORIGIN)).toBe(`/?session=${sessionId}`);
  });
});
