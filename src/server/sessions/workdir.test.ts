import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { parseWorkdirRoots, resolveWorkdir } from "./workdir.ts";

// base/
//   root/            allowed root 1
//     project/sub/
//     file.txt
//     link-in   -> root/project        (symlink staying inside)
//     link-out  -> base/outside        (symlink escaping)
//     dangling  -> base/missing
//   root2/           allowed root 2
//   root-sibling/    shares the prefix "root" but is not inside it
//   outside/
//   rootlink -> root                   (a root given through a symlink)
let base: string;
let root: string;
let root2: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "pocket-workdir-")));
  root = join(base, "root");
  root2 = join(base, "root2");
  mkdirSync(join(root, "project", "sub"), { recursive: true });
  mkdirSync(root2);
  mkdirSync(join(base, "root-sibling"));
  mkdirSync(join(base, "outside"));
  writeFileSync(join(root, "file.txt"), "x");
  symlinkSync(join(root, "project"), join(root, "link-in"));
  symlinkSync(join(base, "outside"), join(root, "link-out"));
  symlinkSync(join(base, "missing"), join(root, "dangling"));
  symlinkSync(root, join(base, "rootlink"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const ok = (path: string) => ({ ok: true as const, path });

describe("resolveWorkdir: allowed", () => {
  test("undefined (or blank) → the first root", () => {
    expect(resolveWorkdir(undefined, [root, root2])).toEqual(ok(root));
    expect(resolveWorkdir("  ", [root, root2])).toEqual(ok(root));
  });

  test("relative → resolved against the first root", () => {
    expect(resolveWorkdir("project/sub", [root])).toEqual(ok(join(root, "project", "sub")));
    expect(resolveWorkdir("project/sub/..", [root])).toEqual(ok(join(root, "project")));
    expect(resolveWorkdir(".", [root])).toEqual(ok(root));
  });

  test("absolute inside any root", () => {
    expect(resolveWorkdir(join(root, "project"), [root, root2])).toEqual(ok(join(root, "project")));
    expect(resolveWorkdir(root2, [root, root2])).toEqual(ok(root2));
    expect(resolveWorkdir(`${root2}/`, [root, root2])).toEqual(ok(root2));
  });

  test("a symlink that stays inside → its real path", () => {
    expect(resolveWorkdir("link-in", [root])).toEqual(ok(join(root, "project")));
  });

  test("a root configured through a symlink works with both spellings", () => {
    const viaLink = join(base, "rootlink");
    expect(resolveWorkdir(undefined, [viaLink])).toEqual(ok(root));
    expect(resolveWorkdir(join(viaLink, "project"), [viaLink])).toEqual(ok(join(root, "project")));
    expect(resolveWorkdir(join(root, "project"), [viaLink])).toEqual(ok(join(root, "project")));
  });
});

describe("resolveWorkdir: refused", () => {
  const refused = (requested: string | undefined, roots: string[], pattern: RegExp) => {
    const result = resolveWorkdir(requested, roots);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(pattern);
  };

  test("`..` escapes", () => {
    refused("..", [root], /outside/);
    refused("../outside", [root], /outside/);
    refused("project/../../outside", [root], /outside/);
    refused(`${root}/../outside`, [root], /outside/);
  });

  test("a symlink to outside (realpath)", () => {
    refused("link-out", [root], /leads outside/);
    refused(join(root, "link-out"), [root], /leads outside/);
  });

  test("absolute paths outside every root, including a sibling sharing the prefix", () => {
    refused("/", [root], /outside/);
    refused("/etc", [root, root2], /outside/);
    refused(join(base, "outside"), [root, root2], /outside/);
    refused(join(base, "root-sibling"), [root], /outside/);
  });

  test("outside paths are refused without revealing whether they exist", () => {
    const a = resolveWorkdir(join(base, "outside"), [root]);
    const b = resolveWorkdir(join(base, "does-not-exist"), [root]);
    expect(a.ok || b.ok).toBe(false);
    if (!a.ok && !b.ok) expect(a.message.replace(/".*"/, "")).toBe(b.message.replace(/".*"/, ""));
  });

  test("nonexistent (also a dangling symlink)", () => {
    refused("nope", [root], /does not exist/);
    refused("dangling", [root], /does not exist/);
  });

  test("a file, not a directory", () => {
    refused("file.txt", [root], /not a directory/);
  });

  test("no roots, NUL bytes, absurdly long paths", () => {
    refused(undefined, [], /No working directory roots/);
    refused("project\0/x", [root], /NUL/);
    refused("a/".repeat(3000), [root], /too long/);
  });
});

describe("parseWorkdirRoots", () => {
  test("splits on the OS path delimiter, drops empties, resolves; falls back when unset", () => {
    expect(parseWorkdirRoots(`${root}${delimiter}${delimiter}${root2}`, "/fallback")).toEqual([root, root2]);
    expect(parseWorkdirRoots(undefined, base)).toEqual([base]);
    expect(parseWorkdirRoots("", base)).toEqual([base]);
  });
});
