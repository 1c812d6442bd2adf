/**
 * The projects this device used, most recent first, kept in localStorage: the first one is where
 * new sessions start (remembered per device), and the list orders the picker.
 */
import type { Project } from "../../shared/messages.ts";
import type { KeyValueStore } from "../chat/types.ts";
import { relativeToRoot } from "./names.ts";

export const RECENT_PROJECTS_KEY = "pocket-agent:recent-projects";
const KEEP = 20;

function storage(store?: KeyValueStore | null): KeyValueStore | null {
  if (store !== undefined) return store;
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

/** Paths, most recently chosen first. */
export function readRecentProjects(store?: KeyValueStore | null): string[] {
  try {
    const parsed: unknown = JSON.parse(storage(store)?.getItem(RECENT_PROJECTS_KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string").slice(0, KEEP) : [];
  } catch {
    return [];
  }
}

/** The project new sessions start in on this device (null: the server's default, its first root). */
export function readChosenProject(store?: KeyValueStore | null): string | null {
  return readRecentProjects(store)[0] ?? null;
}

/** `path` becomes the chosen project, first in the recent list. Returns the new list. */
export function rememberProject(path: string, store?: KeyValueStore | null): string[] {
  const next = [path, ...readRecentProjects(store).filter((p) => p !== path)].slice(0, KEEP);
  try {
    storage(store)?.setItem(RECENT_PROJECTS_KEY, JSON.stringify(next));
  } catch {
    // best effort: private mode, full storage
  }
  return next;
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
