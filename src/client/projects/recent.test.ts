import { describe, expect, test } from "bun:test";
import type { Project } from "../../shared/messages.ts";
import type { KeyValueStore } from "../chat/types.ts";
import { projectName, relativeToRoot, tailOfPath } from "./names.ts";
import {
  matchesQuery,
  orderProjects,
  RECENT_PROJECTS_KEY,
  readChosenProject,
  readRecentProjects,
  rememberProject,
} from "./recent.ts";

class Memory implements KeyValueStore {
  readonly data = new Map<string, string>();
  getItem = (key: string) => this.data.get(key) ?? null;
  setItem = (key: string, value: string) => void this.data.set(key, value);
  removeItem = (key: string) => void this.data.delete(key);
}

const project = (path: string, extra: Partial<Project> = {}): Project => ({
  path,
  name: projectName(path),
  root: "/code",
  isGit: true,
  sessionCount: 0,
  claudeSessionCount: 0,
  ...extra,
});

describe("recent projects (per device)", () => {
  test("each machine has its own list; this server's keeps its key", () => {
    const store = new Memory();
    rememberProject("/code/here", store);
    rememberProject("/srv/there", store, "5b0c1f0e-8f2a-4a47-9d0e-3c2b1a0f9e8d");
    expect(readChosenProject(store)).toBe("/code/here");
    expect(readChosenProject(store, "local")).toBe("/code/here");
    expect(readChosenProject(store, "5b0c1f0e-8f2a-4a47-9d0e-3c2b1a0f9e8d")).toBe("/srv/there");
    expect(readChosenProject(store, "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a")).toBeNull();
    expect(JSON.parse(store.getItem(RECENT_PROJECTS_KEY) ?? "")).toEqual(["/code/here"]);
  });

  test("the last chosen comes first, without duplicates; nothing chosen: null", () => {
    const store = new Memory();
    expect(readChosenProject(store)).toBeNull();
    rememberProject("/code/a", store);
    rememberProject("/code/b", store);
    expect(rememberProject("/code/a", store)).toEqual(["/code/a", "/code/b"]);
    expect(readChosenProject(store)).toBe("/code/a");
  });

  test("keeps 20; a damaged entry reads as none; a store that throws is survived", () => {
    const store = new Memory();
    for (let i = 0; i < 25; i++) rememberProject(`/code/p${i}`, store);
    expect(readRecentProjects(store)).toHaveLength(20);
    expect(readRecentProjects(store)[0]).toBe("/code/p24");
    store.setItem(RECENT_PROJECTS_KEY, "{not json");
    expect(readRecentProjects(store)).toEqual([]);
    store.setItem(RECENT_PROJECTS_KEY, JSON.stringify(["/ok", 3, null]));
    expect(readRecentProjects(store)).toEqual(["/ok"]);
    const broken: KeyValueStore = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("full");
      },
      removeItem: () => undefined,
    };
    expect(readRecentProjects(broken)).toEqual([]);
    expect(rememberProject("/code/x", broken)).toEqual(["/code/x"]);
  });
});

describe("ordering and searching", () => {
  const projects = [
    project("/code/web", { lastActivityAt: "2026-12-03T12:00:00.000Z" }),
    project("/code/clients/acme/portal", { branch: "feature/login" }),
    project("/code/api"),
    project("/code", { isGit: false }),
  ];

  test("this device's recent ones first (most recent first), then the server's order", () => {
    const order = orderProjects(projects, ["/code/api", "/code/clients/acme/portal"]).map((p) => p.name);
    expect(order).toEqual(["api", "portal", "web", "code"]);
    expect(orderProjects(projects, ["/gone"]).map((p) => p.name)).toEqual(["web", "portal", "api", "code"]);
  });

  test("every word must match the name, the path under the root or the branch, in any case", () => {
    expect(orderProjects(projects, [], "ACME").map((p) => p.name)).toEqual(["portal"]);
    expect(orderProjects(projects, [], "clients login").map((p) => p.name)).toEqual(["portal"]);
    expect(orderProjects(projects, [], "  ").map((p) => p.name)).toHaveLength(4);
    expect(matchesQuery(projects[0] as Project, "web nope")).toBe(false);
  });
});

describe("names", () => {
  test("a project's name, its place under the root, a long path's tail", () => {
    expect(projectName("/home/me/code/shop/")).toBe("shop");
    expect(projectName("/")).toBe("/");
    expect(relativeToRoot("/code/clients/acme", "/code")).toBe("clients/acme");
    expect(relativeToRoot("/code", "/code")).toBe(".");
    expect(relativeToRoot("/codebase/x", "/code")).toBe("/codebase/x");
    expect(tailOfPath("/short/path")).toBe("/short/path");
    expect(tailOfPath("/tmp/pocket-e2e-isolated-abcdef/some/deeper/folder/work", 30)).toBe("…/some/deeper/folder/work");
  });
});
