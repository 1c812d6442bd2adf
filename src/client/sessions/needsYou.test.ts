import { expect, test } from "bun:test";
import type { Session } from "../../shared/messages.ts";
import { newlyWaiting } from "./needsYou.ts";

const session = (id: string, pendingPermissions: number): Session => ({
  id,
  title: `Session ${id}`,
  model: "sonnet",
  cwd: "/work",
  project: "/work",
  permissionMode: "default",
  pinned: false,
  archived: false,
  status: pendingPermissions ? "running" : "idle",
  queued: 0,
  pendingPermissions,
  lastSeq: 0,
  createdAt: "2026-12-03T10:00:00.000Z",
  updatedAt: "2026-12-03T10:00:00.000Z",
});

test("another session that starts waiting is news; the one on screen, or one already waiting, is not", () => {
  const before = [session("a", 0), session("b", 1), session("c", 0)];
  const after = [session("a", 1), session("b", 1), session("c", 1), session("d", 2)];
  expect(newlyWaiting(before, after, "c").map((s) => s.id)).toEqual(["a", "d"]);
});

test("a second approval in a session that was already waiting is news again", () => {
  expect(newlyWaiting([session("a", 1)], [session("a", 2)], null).map((s) => s.id)).toEqual(["a"]);
  expect(newlyWaiting([session("a", 2)], [session("a", 1)], null)).toEqual([]);
});
