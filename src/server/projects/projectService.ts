/**
 * Projects (issue 18): where the agent can work, and Claude Code's own sessions there, which the
 * phone can continue.
 *
 * - `list()`: the cached projects list (projectIndex.ts).
 * - `claudeSessions(path)`: Claude Code's interactive sessions started in a project, newest first,
 *   with the Pocket Agent session that continues each one, if any.
 * - `importClaudeSession()`: continues one as a Pocket Agent session. Its conversation becomes the
 *   session's history and its next message resumes it, so the agent remembers. A session still in
 *   use at the desk (transcript changed in the last 2 minutes, or held by a live `claude` process)
 *   is continued as a fork, so two processes never write one transcript (decision 031).
 */
import { realpathSync } from "node:fs";
import type { SessionStore as SdkSessionStore } from "@anthropic-ai/claude-agent-sdk";
import { type ClaudeSession, LIMITS, type Project, type Session } from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import type { SessionService } from "../sessions/sessionService.ts";
import { resolveWorkdir } from "../sessions/workdir.ts";
import type { ClaudeSessionInfo, ClaudeSessions } from "./claudeSessions.ts";
import { turnsFromTranscript } from "./history.ts";
import { ProjectIndex, type ProjectIndexOptions } from "./projectIndex.ts";

const log = createLogger("projects");

/** A desk session whose transcript changed this recently is taken to be in use. */
export const IN_USE_WINDOW_MS = 2 * 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ProjectServiceOptions
  extends Pick<ProjectIndexOptions, "maxDepth" | "freshMs" | "dirtyTtlMs" | "gitConcurrency"> {
  roots: readonly string[];
  sessions: SessionService;
  claude: ClaudeSessions;
  /** Where an imported conversation is also copied (the transcript mirror, decision 019). */
  mirror?: SdkSessionStore;
  /** How recently changed a transcript counts as in use (default 2 minutes). */
  inUseWindowMs?: number;
  now?: () => number;
}

export interface ClaudeSessionPage {
  path: string;
  sessions: ClaudeSession[];
  hasMore: boolean;
}

export class ProjectService {
  readonly index: ProjectIndex;
  /** Imports under way, by desk session id: a second request for one joins the first. */
  private readonly importing = new Map<string, Promise<Session>>();
  private readonly now: () => number;

  constructor(private readonly options: ProjectServiceOptions) {
    this.now = options.now ?? Date.now;
    this.index = new ProjectIndex({
      roots: options.roots,
      claude: options.claude,
      sessions: () => options.sessions.list(),
      maxDepth: options.maxDepth,
      freshMs: options.freshMs,
      dirtyTtlMs: options.dirtyTtlMs,
      gitConcurrency: options.gitConcurrency,
      now: this.now,
    });
  }

  list(): Promise<Project[]> {
    return this.index.list();
  }

  /** Claude Code's sessions started in `path`, newest first, `limit` from `offset`. */
  async claudeSessions(path: string, page: { limit?: number; offset?: number } = {}): Promise<ClaudeSessionPage> {
    const dir = this.projectDir(path);
    const all = await this.sessionsIn(dir);
    const offset = page.offset ?? 0;
    const limit = page.limit ?? LIMITS.projectSessionsPage;
    const held = this.options.claude.heldByLiveProcess();
    const sessions = all.slice(offset, offset + limit).map((info): ClaudeSession => {
      const importedAs = this.options.sessions.continuing(info.sessionId)?.id;
      return {
        claudeSessionId: info.sessionId,
        summary: titleOf(info),
        ...(info.firstPrompt ? { firstPrompt: info.firstPrompt } : {}),
        lastModified: new Date(info.lastModified).toISOString(),
        ...(info.gitBranch ? { gitBranch: info.gitBranch } : {}),
        ...(importedAs ? { importedAs } : {}),
        inUse: this.inUse(info, held),
      };
    });
    return { path: dir, sessions, hasMore: offset + limit < all.length };
  }

  /**
   * A Pocket Agent session continuing Claude Code session `claudeSessionId` of project `path`.
   * The same one every time: a second import returns the session the first made.
   */
  importClaudeSession(input: { claudeSessionId: string; path: string }): Promise<Session> {
    const dir = this.projectDir(input.path);
    const existing = this.options.sessions.continuing(input.claudeSessionId);
    if (existing) return Promise.resolve(existing);
    let pending = this.importing.get(input.claudeSessionId);
    if (!pending) {
      pending = this.runImport(input.claudeSessionId, dir).finally(() => this.importing.delete(input.claudeSessionId));
      this.importing.set(input.claudeSessionId, pending);
    }
    return pending;
  }

  // -------------------------------------------------------------------------

  private async runImport(claudeSessionId: string, dir: string): Promise<Session> {
    const info = (await this.sessionsIn(dir)).find((s) => s.sessionId === claudeSessionId);
    if (!info) {
      throw new PocketError("SESSION_NOT_FOUND", `No Claude Code session ${claudeSessionId} in ${dir}.`);
    }
    const { claude } = this.options;
    const forked = this.inUse(info, claude.heldByLiveProcess());
    const messages = await claude.messages(claudeSessionId, dir);
    const resumeId = forked ? await claude.fork(claudeSessionId, dir) : claudeSessionId;
    if (this.options.mirror && claude.copyToStore) {
      // The mirror keeps the conversation if Claude Code's cleanup deletes the file (decision 019).
      await claude.copyToStore(resumeId, dir, this.options.mirror).catch((error: unknown) => {
        log.warn("could not mirror an imported transcript", { claudeSessionId: resumeId, error: String(error) });
      });
    }
    log.info("continuing a Claude Code session", { claudeSessionId, forked, resumeId, dir });
    return this.options.sessions.importSession({
      cwd: dir,
      title: titleOf(info),
      claudeSessionId: resumeId,
      importedFrom: claudeSessionId,
      forked,
      turns: turnsFromTranscript(messages),
    });
  }

  /** A project path from a request: canonical, inside a root, an existing directory. */
  private projectDir(path: string): string {
    const workdir = resolveWorkdir(path, [...this.options.roots]);
    if (!workdir.ok) throw new PocketError("INVALID_WORKDIR", workdir.message);
    return workdir.path;
  }

  /** The project's sessions (started in `dir` itself), newest first. */
  private async sessionsIn(dir: string): Promise<ClaudeSessionInfo[]> {
    const listed = await this.options.claude.listIn(dir);
    return listed
      .filter((info) => UUID.test(info.sessionId) && (!info.cwd || canonicalOrSelf(info.cwd) === dir))
      .sort((a, b) => b.lastModified - a.lastModified);
  }

  private inUse(info: ClaudeSessionInfo, held: Set<string>): boolean {
    return (
      held.has(info.sessionId) || this.now() - info.lastModified < (this.options.inUseWindowMs ?? IN_USE_WINDOW_MS)
    );
  }
}

/** The title Claude Code shows for a session, on one line, within the protocol's limit. */
function titleOf(info: ClaudeSessionInfo): string {
  const title = (info.customTitle || info.summary || info.firstPrompt || "Claude Code session").trim();
  const line = title.split("\n")[0]?.trim() || "Claude Code session";
  return line.length > LIMITS.titleChars ? `${line.slice(0, LIMITS.titleChars - 1)}…` : line;
}

function canonicalOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
