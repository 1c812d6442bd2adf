import { expect, test } from "bun:test";
import type { Session } from "../../shared/messages.ts";
import { groupByProject } from "./groups.ts";

const session = (title: string, project: string, updatedAt: string): Session => ({
  id: crypto.randomUUID(),
  title,
  model: "haiku",
  cwd: project,
  project,
  permissionMode: "default",
  pinned: false,
  archived: false,
  status: "idle",
  queued: 0,
  pendingPermissions: 0,
  lastSeq: 0,
  createdAt: updatedAt,
  updatedAt,
});

test("sessions by project: the most recently active project first, its newest session first", () => {
  const groups = groupByProject([
    session("old shop", "/code/shop", "2026-12-01T10:00:00.000Z"),
    session("billing", "/code/billing", "2026-12-02T10:00:00.000Z"),
    session("new shop", "/code/shop", "2026-12-03T10:00:00.000Z"),
  ]);
  expect(groups.map((g) => [g.project, g.sessions.map((s) => s.title)])).toEqual([
    ["/code/shop", ["new shop", "old shop"]],
    ["/code/billing", ["billing"]],
  ]);
  expect(groupByProject([])).toEqual([]);
});
