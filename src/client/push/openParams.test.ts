import { describe, expect, test } from "bun:test";
import { followNotificationTaps, isOpenSessionMessage, readOpenParams } from "./openParams.ts";

const id = "3f1d2c3b-1111-4222-8333-444455556666";
const pid = "7b1d2c3b-1111-4222-8333-444455556666";

describe("opening the app from a notification", () => {
  test("?session= and &permission= are read once and dropped from the address", () => {
    expect(readOpenParams(`https://box.local:3000/?session=${id}&permission=${pid}&x=1#h`)).toEqual({
      sessionId: id,
      permissionId: pid,
      cleanUrl: "/?x=1#h",
    });
    expect(readOpenParams("https://box.local:3000/")).toEqual({ sessionId: null, permissionId: null, cleanUrl: null });
  });

  test("anything but a session id is ignored (and still dropped)", () => {
    expect(readOpenParams("https://box.local/?session=../../etc")).toEqual({
      sessionId: null,
      permissionId: null,
      cleanUrl: "/",
    });
  });

  test("an open window switches to the session the service worker names", () => {
    const container = new EventTarget();
    const sent: unknown[] = [];
    const stop = followNotificationTaps({ send: (event) => sent.push(event) }, container as ServiceWorkerContainer);
    container.dispatchEvent(
      new MessageEvent("message", { data: { type: "pocket-agent:open-session", sessionId: id } }),
    );
    container.dispatchEvent(
      new MessageEvent("message", { data: { type: "pocket-agent:open-session", sessionId: "x" } }),
    );
    container.dispatchEvent(new MessageEvent("message", { data: "SKIP_WAITING" }));
    stop();
    container.dispatchEvent(
      new MessageEvent("message", { data: { type: "pocket-agent:open-session", sessionId: id } }),
    );
    expect(sent).toEqual([{ type: "SWITCH_SESSION", sessionId: id }]);
    expect(isOpenSessionMessage({ type: "pocket-agent:open-session", sessionId: id })).toBe(true);
  });
});
