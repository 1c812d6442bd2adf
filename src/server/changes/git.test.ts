import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git, makeRepo } from "../../../tests/fixtures/gitRepos.ts";
import { gitStatus, parseNumstat, parsePorcelainV2, statusOf } from "./git.ts";

let base: string;
beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "pocket-changes-git-")));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("parsePorcelainV2", () => {
  test("ordinary, renamed, unmerged and untracked entries; branch and head", () => {
    const output = [
      "# branch.oid 1234567890abcdef1234567890abcdef12345678",
      "# branch.head main",
      "1 .M N... 100644 100644 100644 aaa aaa src/a file.ts",
      "2 R. N... 100644 100644 100644 bbb bbb R100 new name.ts",
      "old name.ts",
      "u UU N... 100644 100644 100644 100644 c1 c2 c3 conflict.ts",
      "? untracked dir/x.txt",
      "",
    ].join("\0");
    const parsed = parsePorcelainV2(output);
    expect(parsed.branch).toBe("main");
    expect(parsed.hasHead).toBe(true);
    expect(parsed.entries.map((e) => [e.path, e.origPath, statusOf(e)])).toEqual([
      ["src/a file.ts", undefined, "modified"],
      ["new name.ts", "old name.ts", "renamed"],
      ["conflict.ts", undefined, "modified"],
      ["untracked dir/x.txt", undefined, "untracked"],
    ]);
  });

  test("a repository with no commit yet, and a detached head", () => {
    expect(parsePorcelainV2("# branch.oid (initial)\0# branch.head main\0")).toEqual({
      hasHead: false,
      entries: [],
      branch: "main",
    });
    expect(parsePorcelainV2("# branch.oid abcdef1234\0# branch.head (detached)\0").branch).toBe("abcdef1");
  });

  test("statusOf: staged adds, deletions in the index or the work tree", () => {
    const entry = (xy: string) => ({ xy, path: "p", signature: xy });
    expect(statusOf(entry("A."))).toBe("added");
    expect(statusOf(entry("AM"))).toBe("added");
    expect(statusOf(entry(".D"))).toBe("deleted");
    expect(statusOf(entry("D."))).toBe("deleted");
    expect(statusOf(entry("MM"))).toBe("modified");
  });
});

describe("parseNumstat", () => {
  test("counts, binary files and renames", () => {
    expect(parseNumstat("3\t1\ta.txt\0-\t-\tlogo.png\x002\t0\t\0old.ts\0new.ts\0")).toEqual([
      { additions: 3, deletions: 1, path: "a.txt" },
      { additions: null, deletions: null, path: "logo.png" },
      { additions: 2, deletions: 0, origPath: "old.ts", path: "new.ts" },
    ]);
  });
});

describe("gitStatus (the real git)", () => {
  test("limited to the session's folder, paths from the repository root; null outside git", async () => {
    const repo = makeRepo(join(base, "repo"));
    git(repo, "checkout", "-q", "-b", "feature");
    writeFileSync(join(repo, "top.txt"), "top\n");
    const sub = join(repo, "sub");
    mkdirSync(sub);
    writeFileSync(join(sub, "inner.txt"), "inner\n");
    const status = await gitStatus(sub);
    expect(status?.root).toBe(repo);
    expect(status?.branch).toBe("feature");
    expect(status?.entries.map((e) => e.path)).toEqual(["sub/inner.txt"]);
    expect(await gitStatus(base)).toBeNull();
  });
});
