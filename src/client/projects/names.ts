/** How a project is named on screen: pure string work, small enough for the first screen (the title bar). */

/** The last part of a path: `/home/me/code/shop` → `shop`. */
export function projectName(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || trimmed || "/";
}

/** Where the project is under its root: `clients/acme/portal`, or `.` for the root itself. */
export function relativeToRoot(path: string, root: string): string {
  const base = root.endsWith("/") ? root : `${root}/`;
  if (path === root || `${path}/` === base) return ".";
  return path.startsWith(base) ? path.slice(base.length) : path;
}

/** A long path cut at the front, where it says least: `…/code/clients/acme/portal`. */
export function tailOfPath(path: string, max = 40): string {
  if (path.length <= max) return path;
  const parts = path.split("/");
  let tail = parts.pop() ?? "";
  while (parts.length > 0 && tail.length + (parts.at(-1)?.length ?? 0) + 3 <= max) tail = `${parts.pop()}/${tail}`;
  return `…/${tail}`;
}
