import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git, makeRepo } from "../../../tests/fixtures/gitRepos.ts";
import { branchAt, gitDirOf, indexChangedAt, isDirty, readBranch, workTreeOf } from "./git.ts";

let base: string;
beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "pocket-git-")));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("readBranch (from git's own files)", () => {
  test("the checked-out branch, with slashes; a short id when detached", () => {
    const repo = makeRepo(join(base, "repo"), { branch: "feature/login" });
    expect(readBranch(repo)).toBe("feature/login");
    const head = git(repo, "rev-parse", "HEAD").trim();
    git(repo, "checkout", "-q", "--detach");
    expect(readBranch(repo)).toBe(head.slice(0, 7));
  });

  test("a linked worktree has its own branch, read through its .git file", () => {
    const repo = makeRepo(join(base, "repo"));
    const tree = join(base, "tree");
    git(repo, "worktree", "add", "-q", "-b", "hotfix", tree);
    expect(gitDirOf(tree)).toBe(join(repo, ".git", "worktrees", "tree"));
    expect(readBranch(tree)).toBe("hotfix");
    expect(readBranch(repo)).toBe("main");
  });

  test("null for a directory that is not a work tree, and for a broken .git", () => {
    mkdirSync(join(base, "plain"));
    expect(readBranch(join(base, "plain"))).toBeNull();
    mkdirSync(join(base, "broken"));
    writeFileSync(join(base, "broken", ".git"), "nonsense");
    expect(readBranch(join(base, "broken"))).toBeNull();
    expect(indexChangedAt(join(base, "plain"))).toBeNull();
  });

  test("a folder below a repository's top is in its work tree, and on its branch", () => {
    const repo = makeRepo(join(base, "repo"), { branch: "release/2.4" });
    const deep = join(repo, "packages", "api");
    mkdirSync(deep, { recursive: true });
    expect(workTreeOf(deep)).toBe(repo);
    expect(branchAt(deep)).toBe("release/2.4");
    mkdirSync(join(base, "plain"));
    expect(workTreeOf(join(base, "plain"))).toBeNull();
    expect(branchAt(join(base, "plain"))).toBeNull();
  });

  test("the index's time moves with a commit", async () => {
    const repo = makeRepo(join(base, "repo"));
    const before = indexChangedAt(repo);
    expect(before).toBeNumber();
    writeFileSync(join(repo, "a.txt"), "a");
    git(repo, "add", "a.txt");
    expect(indexChangedAt(repo)).toBeGreaterThanOrEqual(before ?? 0);
  });
});

describe("isDirty (git status)", () => {
  test("clean after a commit; dirty with an untracked, a modified or a staged file", async () => {
    const repo = makeRepo(join(base, "repo"));
    expect(await isDirty(repo)).toBe(false);
    writeFileSync(join(repo, "new.txt"), "x");
    expect(await isDirty(repo)).toBe(true);
    git(repo, "add", "new.txt");
    expect(await isDirty(repo)).toBe(true);
    git(repo, "commit", "-qm", "new");
    expect(await isDirty(repo)).toBe(false);
    writeFileSync(join(repo, "new.txt"), "changed");
    expect(await isDirty(repo)).toBe(true);
  });

  test("null when it cannot tell: not a repository, no git", async () => {
    mkdirSync(join(base, "plain"));
    expect(await isDirty(join(base, "plain"))).toBeNull();
    const repo = makeRepo(join(base, "repo"));
    expect(await isDirty(repo, { git: join(base, "no-such-git") })).toBeNull();
  });
});
