import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalRoots, walkRoots } from "./walk.ts";

let base: string;
let root: string;

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "pocket-walk-")));
  root = join(base, "root");
  mkdirSync(root);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const dirs = (...paths: string[]) => {
  for (const path of paths) mkdirSync(join(root, path), { recursive: true });
};
const walked = (options?: Parameters<typeof walkRoots>[1], roots = [root]) =>
  walkRoots(roots, options).map((d) => d.path.slice(root.length) || "/");

describe("walkRoots", () => {
  test("every directory up to depth 3, breadth first, the root first", () => {
    dirs("a/b/c/d", "x");
    expect(walked()).toEqual(["/", "/a", "/x", "/a/b", "/a/b/c"]);
    expect(walkRoots([root]).map((d) => d.depth)).toEqual([0, 1, 1, 2, 3]);
    expect(walked({ maxDepth: 1 })).toEqual(["/", "/a", "/x"]);
  });

  test("skips hidden directories and node_modules, and files", () => {
    dirs(".git/objects", ".cache/x", "node_modules/pkg", "src/node_modules/y", "src/lib");
    writeFileSync(join(root, "file.txt"), "");
    expect(walked()).toEqual(["/", "/src", "/src/lib"]);
  });

  test("marks work trees: a .git directory, or a worktree's .git file", () => {
    dirs("repo/.git", "linked", "plain");
    writeFileSync(join(root, "linked", ".git"), "gitdir: ../repo/.git/worktrees/linked\n");
    const byName = Object.fromEntries(walkRoots([root]).map((d) => [d.path.slice(root.length), d.isGit]));
    expect(byName).toEqual({ "": false, "/repo": true, "/linked": true, "/plain": false });
  });

  test("never follows a symlink: one out of the root, one that loops, one to a sibling", () => {
    const outside = join(base, "outside");
    mkdirSync(join(outside, "secret"), { recursive: true });
    dirs("real/inner");
    symlinkSync(outside, join(root, "escape"));
    symlinkSync(root, join(root, "real", "loop"));
    symlinkSync(join(root, "real"), join(root, "alias"));
    expect(walked()).toEqual(["/", "/real", "/real/inner"]);
  });

  test("a root given through a symlink is walked where it really is; missing and duplicate roots are dropped", () => {
    dirs("a");
    const link = join(base, "link");
    symlinkSync(root, link);
    expect(canonicalRoots([link, root, join(base, "missing")])).toEqual([root]);
    expect(walkRoots([link]).map((d) => d.path)).toEqual([root, join(root, "a")]);
  });

  test("a root inside another root is walked once, as its own root", () => {
    dirs("inner/x", "other");
    const inner = join(root, "inner");
    const result = walkRoots([root, inner]);
    expect(result.filter((d) => d.path === inner)).toEqual([{ path: inner, root: inner, depth: 0, isGit: false }]);
    expect(result.find((d) => d.path === join(inner, "x"))?.root).toBe(inner);
  });

  test("a root that does not exist is left out, the walk goes on", () => {
    dirs("a", "b");
    const result = walkRoots([root, join(base, "nope")]);
    expect(result.map((d) => d.path)).toEqual([root, join(root, "a"), join(root, "b")]);
  });

  test("stops after maxDirs directories", () => {
    dirs("a/1", "b/2", "c/3");
    expect(walkRoots([root], { maxDirs: 3 })).toHaveLength(3);
  });
});
