/**
 * The projects list, cached. A scan walks the roots (walk.ts), reads each git work tree's branch
 * from its files (git.ts) and asks the Agent SDK for every Claude Code session once, to know which
 * directories have history and how much. Uncommitted changes need a `git status` per repository:
 * those run in the background, a few at a time, and the list says `dirty` once it is known.
 *
 * A scan is served as it is for `freshMs`; after that the next request still gets it at once and
 * starts a new scan in the background (stale while revalidate). Only the very first request waits
 * for a scan. Pocket Agent's own sessions are counted at answer time, so a new session shows up
 * in the next list without a rescan.
 */
import { realpathSync } from "node:fs";
import { basename } from "node:path";
import type { Project, Session } from "../../shared/messages.ts";
import { createLogger } from "../logger.ts";
import type { ClaudeSessionInfo, ClaudeSessions } from "./claudeSessions.ts";
import { indexChangedAt, isDirty, readBranch } from "./git.ts";
import { canonicalRoots, walkRoots } from "./walk.ts";

const log = createLogger("projects");

export interface ProjectIndexOptions {
  roots: readonly string[];
  claude: ClaudeSessions;
  /** Pocket Agent's sessions, read at each answer. */
  sessions: () => Session[];
  /** How deep below a root a project may be (default 3). */
  maxDepth?: number;
  /** How long a scan is answered without starting another (default 10 s). */
  freshMs?: number;
  /** How long a repository's dirty state is trusted before `git status` runs again (default 30 s). */
  dirtyTtlMs?: number;
  /** `git status` processes at once (default 2). */
  gitConcurrency?: number;
  now?: () => number;
}

interface ScannedProject {
  path: string;
  root: string;
  isGit: boolean;
  branch: string | null;
  /** Latest change known from the scan (git index, Claude Code transcripts), ms. */
  activityMs: number | null;
  claudeSessionCount: number;
}

interface Scan {
  at: number;
  roots: string[];
  projects: Map<string, ScannedProject>;
}

/** `realpath`, remembered (Claude Code records each session's cwd as the user typed it). */
function canonicalizer(): (path: string) => string | null {
  const known = new Map<string, string | null>();
  return (path) => {
    let real = known.get(path);
    if (real === undefined) {
      try {
        real = realpathSync(path);
      } catch {
        real = null;
      }
      known.set(path, real);
    }
    return real;
  };
}

const inside = (root: string, path: string) => path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);

export class ProjectIndex {
  private scan: Scan | null = null;
  private scanning: Promise<Scan> | null = null;
  private readonly dirty = new Map<string, { dirty: boolean | null; at: number }>();
  private readonly dirtyQueue: string[] = [];
  private dirtyRunning = 0;
  private dirtyIdle: Promise<void> = Promise.resolve();
  private dirtyIdleResolve: (() => void) | null = null;
  private readonly now: () => number;

  constructor(private readonly options: ProjectIndexOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The projects, most recently active first. */
  async list(): Promise<Project[]> {
    const scan = await this.current();
    return this.assemble(scan);
  }

  /** A new scan now (the next list answers from it). */
  async rescan(): Promise<void> {
    await this.startScan();
  }

  /** Settles when no scan and no `git status` is in flight (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.scanning || this.dirtyRunning > 0 || this.dirtyQueue.length > 0) {
      await this.scanning;
      await this.dirtyIdle;
    }
  }

  // -------------------------------------------------------------------------

  private async current(): Promise<Scan> {
    const scan = this.scan;
    if (!scan) return this.startScan();
    if (this.now() - scan.at > (this.options.freshMs ?? 10_000)) {
      this.startScan().catch((error: unknown) => log.warn("project scan failed", { error: String(error) }));
    }
    return scan;
  }

  private startScan(): Promise<Scan> {
    this.scanning ??= this.runScan().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async runScan(): Promise<Scan> {
    const started = performance.now();
    // The SDK reads the transcripts asynchronously while the walk reads directories.
    const claudeAll = this.options.claude.listAll().catch((error: unknown) => {
      log.warn("could not list Claude Code sessions", { error: String(error) });
      return [] as ClaudeSessionInfo[];
    });
    const roots = canonicalRoots(this.options.roots);
    const walked = walkRoots(roots, { maxDepth: this.options.maxDepth ?? 3 });
    const canonical = canonicalizer();
    const history = new Map<string, { count: number; lastModified: number }>();
    for (const info of await claudeAll) {
      const cwd = info.cwd ? canonical(info.cwd) : null;
      if (!cwd || !roots.some((root) => inside(root, cwd))) continue;
      const seen = history.get(cwd);
      history.set(cwd, {
        count: (seen?.count ?? 0) + 1,
        lastModified: Math.max(seen?.lastModified ?? 0, info.lastModified),
      });
    }
    const projects = new Map<string, ScannedProject>();
    for (const dir of walked) {
      const claude = history.get(dir.path);
      if (dir.depth > 0 && !dir.isGit && !claude) continue;
      const indexAt = dir.isGit ? indexChangedAt(dir.path) : null;
      const activity = Math.max(indexAt ?? 0, claude?.lastModified ?? 0);
      projects.set(dir.path, {
        path: dir.path,
        root: dir.root,
        isGit: dir.isGit,
        branch: dir.isGit ? readBranch(dir.path) : null,
        activityMs: activity > 0 ? activity : null,
        claudeSessionCount: claude?.count ?? 0,
      });
    }
    const scan: Scan = { at: this.now(), roots, projects };
    this.scan = scan;
    this.queueDirtyChecks([...projects.values()].filter((p) => p.isGit).map((p) => p.path));
    log.debug("projects scanned", {
      dirs: walked.length,
      projects: projects.size,
      ms: Math.round(performance.now() - started),
    });
    return scan;
  }

  private assemble(scan: Scan): Project[] {
    const byProject = new Map<string, { count: number; latest: string }>();
    for (const session of this.options.sessions()) {
      const seen = byProject.get(session.project);
      byProject.set(session.project, {
        count: (seen?.count ?? 0) + 1,
        latest: seen && seen.latest > session.updatedAt ? seen.latest : session.updatedAt,
      });
    }
    const out: Project[] = [];
    const add = (scanned: ScannedProject, pocket: { count: number; latest: string } | undefined) => {
      const dirty = this.dirty.get(scanned.path)?.dirty;
      const activity = Math.max(scanned.activityMs ?? 0, pocket ? Date.parse(pocket.latest) : 0);
      out.push({
        path: scanned.path,
        name: basename(scanned.path) || scanned.path,
        root: scanned.root,
        isGit: scanned.isGit,
        ...(scanned.branch ? { branch: scanned.branch } : {}),
        ...(typeof dirty === "boolean" ? { dirty } : {}),
        ...(activity > 0 ? { lastActivityAt: new Date(activity).toISOString() } : {}),
        sessionCount: pocket?.count ?? 0,
        claudeSessionCount: scanned.claudeSessionCount,
      });
    };
    for (const scanned of scan.projects.values()) add(scanned, byProject.get(scanned.path));
    // The directories of Pocket Agent's sessions are projects too, wherever they are in a root.
    for (const [path, pocket] of byProject) {
      if (scan.projects.has(path)) continue;
      const root = scan.roots.find((r) => inside(r, path));
      if (!root || realpathOrNull(path) !== path) continue; // outside the roots now, or gone
      add({ path, root, isGit: false, branch: null, activityMs: null, claudeSessionCount: 0 }, pocket);
    }
    return out.sort(
      (a, b) =>
        (b.lastActivityAt ?? "").localeCompare(a.lastActivityAt ?? "") ||
        a.name.localeCompare(b.name) ||
        a.path.localeCompare(b.path),
    );
  }

  private queueDirtyChecks(paths: string[]): void {
    const ttl = this.options.dirtyTtlMs ?? 30_000;
    for (const path of paths) {
      const known = this.dirty.get(path);
      if (known && this.now() - known.at < ttl) continue;
      if (!this.dirtyQueue.includes(path)) this.dirtyQueue.push(path);
    }
    this.pumpDirty();
  }

  private pumpDirty(): void {
    const limit = this.options.gitConcurrency ?? 2;
    if (this.dirtyRunning === 0 && this.dirtyQueue.length > 0 && !this.dirtyIdleResolve) {
      this.dirtyIdle = new Promise((resolve) => {
        this.dirtyIdleResolve = resolve;
      });
    }
    while (this.dirtyRunning < limit && this.dirtyQueue.length > 0) {
      const path = this.dirtyQueue.shift() as string;
      this.dirtyRunning++;
      void isDirty(path).then((dirty) => {
        this.dirty.set(path, { dirty, at: this.now() });
        this.dirtyRunning--;
        this.pumpDirty();
      });
    }
    if (this.dirtyRunning === 0 && this.dirtyQueue.length === 0 && this.dirtyIdleResolve) {
      const resolve = this.dirtyIdleResolve;
      this.dirtyIdleResolve = null;
      resolve();
    }
  }
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}
