/**
 * The projects this device used, most recent first, kept in localStorage per machine: the first
 * one is where new sessions on that machine start (remembered per device), and the list orders the
 * picker. A linked machine's folders are its own, so each machine has its own list.
 */
import { LOCAL_MACHINE_ID } from "../../shared/machines.ts";
import type { Project } from "../../shared/messages.ts";
import type { KeyValueStore } from "../chat/types.ts";
import { relativeToRoot } from "./names.ts";

export const RECENT_PROJECTS_KEY = "pocket-agent:recent-projects";
const KEEP = 20;

/** The key of a machine's list (this server's keeps the key it had before machines). */
export function recentProjectsKey(machineId: string = LOCAL_MACHINE_ID): string {
  return machineId === LOCAL_MACHINE_ID ? RECENT_PROJECTS_KEY : `${RECENT_PROJECTS_KEY}:${machineId}`;
}

function storage(store?: KeyValueStore | null): KeyValueStore | null {
  if (store !== undefined) return store;
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

/** Paths on `machineId`, most recently chosen first. */
export function readRecentProjects(store?: KeyValueStore | null, machineId?: string): string[] {
  try {
    const parsed: unknown = JSON.parse(storage(store)?.getItem(recentProjectsKey(machineId)) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string").slice(0, KEEP) : [];
  } catch {
    return [];
  }
}

/** The project new sessions on `machineId` start in (null: that server's default, its first root). */
export function readChosenProject(store?: KeyValueStore | null, machineId?: string): string | null {
  return readRecentProjects(store, machineId)[0] ?? null;
}

/** `path` becomes the chosen project on `machineId`, first in its recent list. Returns the new list. */
export function rememberProject(path: string, store?: KeyValueStore | null, machineId?: string): string[] {
  const next = [path, ...readRecentProjects(store, machineId).filter((p) => p !== path)].slice(0, KEEP);
  try {
    storage(store)?.setItem(recentProjectsKey(machineId), JSON.stringify(next));
  } catch {
    // best effort: private mode, full storage
  }
  return next;
}

/** Forgets the recent projects of a machine that was unlinked: its paths are of no more use here. */
export function forgetMachineProjects(machineId: string, store?: KeyValueStore | null): void {
  if (machineId === LOCAL_MACHINE_ID) return;
  try {
    storage(store)?.removeItem(recentProjectsKey(machineId));
  } catch {
    // best effort
  }
}

/**
 * Forgets the recent projects of every machine not in `linked` (the server's whole list): a device
 * that was away when one was unlinked does not keep its paths for ever.
 */
export function forgetUnlinkedMachines(linked: readonly string[], store?: KeyValueStore | null): void {
  const target = storage(store);
  if (!target?.key || target.length === undefined) return;
  const prefix = `${RECENT_PROJECTS_KEY}:`;
  try {
    const stale: string[] = [];
    for (let i = 0; i < target.length; i++) {
      const key = target.key(i);
      if (key?.startsWith(prefix) && !linked.includes(key.slice(prefix.length))) stale.push(key);
    }
    for (const key of stale) target.removeItem(key);
  } catch {
    // best effort
  }
}

/** True when every word of `query` is in the project's name or its path under the root. */
export function matchesQuery(project: Project, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack =
    `${project.name} ${relativeToRoot(project.path, project.root)} ${project.branch ?? ""}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/**
 * The projects to show for `query`: the ones this device used, most recent first, then the
 * others in the server's order (most recently active first).
 */
export function orderProjects(projects: readonly Project[], recent: readonly string[], query = ""): Project[] {
  const rank = new Map(recent.map((path, index) => [path, index]));
  return projects
    .map((project, index) => ({ project, index }))
    .filter(({ project }) => matchesQuery(project, query))
    .sort((a, b) => {
      const ra = rank.get(a.project.path) ?? Number.POSITIVE_INFINITY;
      const rb = rank.get(b.project.path) ?? Number.POSITIVE_INFINITY;
      return ra !== rb ? ra - rb : a.index - b.index;
    })
    .map(({ project }) => project);
}
