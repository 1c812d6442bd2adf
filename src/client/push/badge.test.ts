import { describe, expect, test } from "bun:test";
import { type BadgeSource, followApprovalBadge } from "./badge.ts";

function source(initial: number[], known = true) {
  let sessions = initial.map((pendingPermissions) => ({ pendingPermissions }));
  let sessionsKnown = known;
  const listeners = new Set<() => void>();
  const chat: BadgeSource = {
    getSnapshot: () => ({ context: { sessions, sessionsKnown } }),
    subscribe(listener) {
      listeners.add(listener);
      return { unsubscribe: () => listeners.delete(listener) };
    },
  };
  const set = (counts: number[]) => {
    sessions = counts.map((pendingPermissions) => ({ pendingPermissions }));
    sessionsKnown = true;
    for (const listener of listeners) listener();
  };
  return { chat, set };
}

describe("the app badge", () => {
  test("shows the approvals waiting across sessions, cleared at zero, set only when it changes", () => {
    const calls: string[] = [];
    const api = {
      setAppBadge: async (n?: number) => void calls.push(`set ${n}`),
      clearAppBadge: async () => void calls.push("clear"),
    };
    const { chat, set } = source([], false);
    const stop = followApprovalBadge(chat, api);
    expect(calls).toEqual([]); // the sessions are not known yet
    set([1, 0, 2]);
    set([2, 1, 0]);
    set([0, 1, 0]);
    set([0, 0]);
    stop();
    set([5]);
    expect(calls).toEqual(["set 3", "set 1", "clear"]);
  });

  test("a browser without badges: nothing happens, nothing throws", () => {
    const { chat, set } = source([1]);
    followApprovalBadge(chat, {});
    set([2]);
  });
});
