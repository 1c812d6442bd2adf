import { type AllowScope, scopeOptions } from "../../shared/allowRules.ts";
import {
  type AllowRule,
  type AttachmentInfo,
  type ChatAttachment,
  LIMITS,
  type PermissionDecision,
  type PermissionMode,
  type Session,
  type SessionEvent,
  type SlashCommand,
  type TurnChangedFile,
} from "../../shared/messages.ts";
import type {
  AgentImage,
  AgentProcess,
  AgentRunner,
  AgentTurnEvent,
  PermissionAnswer,
  PermissionAsk,
} from "../agent/types.ts";
import { checkImages } from "../attachments/images.ts";
import type { AttachmentStore } from "../attachments/store.ts";
import type { Bus } from "../bus.ts";
import { PocketError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { AllowRules } from "../permissions/allowRules.ts";
import { branchAt } from "../projects/git.ts";
import type { ImportedTurn } from "../projects/history.ts";
import { activityOf } from "./activity.ts";
import { firstProseLine, plainLine } from "./plainText.ts";
import type { SearchHit, SessionRecord, SessionStore, UnnumberedPayload } from "./store.ts";
import { resolveWorkdir } from "./workdir.ts";

const log = createLogger("sessions");

export interface SessionServiceOptions {
  store: SessionStore;
  /** "Always allow" rules; by default kept in the store's database. */
  allowRules?: AllowRules;
  /** Where the images sent with messages are kept; without it a message with images is refused. */
  attachments?: AttachmentStore;
  runner: AgentRunner;
  bus: Bus;
  defaultModel: string;
  workdirRoots: string[];
  /** Close a session's warm agent process after this long without a turn. */
  idleTimeoutMs: number;
  /** Whether `bypassPermissions` may be chosen (Claude Code refuses it as root without IS_SANDBOX=1). */
  bypassAllowed?: boolean;
  /** At most this many agent processes at once (each Claude Code CLI holds ~200 MB); unbounded when omitted. */
  maxAgents?: number;
  /** Follows what each turn changes on disk (src/server/changes/); no `turn:changes` events without it. */
  trackChanges?: (cwd: string) => TurnChangeObserver;
}

/** What a turn changed on disk, worked out from its agent messages and the folder before and after. */
export interface TurnChangeObserver {
  observe(message: Record<string, unknown>): void;
  finish(): Promise<TurnChangedFile[]>;
}

export interface UpdateSessionInput {
  sessionId: string;
  title?: string;
  model?: string;
  permissionMode?: PermissionMode;
  pinned?: boolean;
  archived?: boolean;
}

interface PendingPermission {
  requestId: string;
  ask: PermissionAsk;
  resolve: (answer: PermissionAnswer) => void;
}

export interface CreateSessionInput {
  model?: string;
  title?: string;
  cwd?: string;
  permissionMode?: PermissionMode;
}

/** A Claude Code session from the desk, continued here (src/server/projects/). */
export interface ImportSessionInput {
  /** Canonical, already checked to be inside the roots. */
  cwd: string;
  title: string;
  /** The Claude Code session the agent resumes: the desk's own, or a fork of it. */
  claudeSessionId: string;
  /** The desk's session. */
  importedFrom: string;
  forked: boolean;
  /** Its earlier conversation, shown as history. */
  turns: ImportedTurn[];
}

interface RunningTurn {
  requestId: string;
  cancelRequested: boolean;
}

/** What lives only in memory for a session: its warm agent process and its turn queue. */
interface Runtime {
  process: AgentProcess | null;
  queue: { requestId: string; message: string }[];
  running: RunningTurn | null;
  idleTimer: ReturnType<typeof setTimeout> | null;
  /** Tool uses waiting for the user, by permissionId. */
  pending: Map<string, PendingPermission>;
  /** Model or mode changed: the process restarts (resuming) before the next turn. */
  stale: boolean;
  /** When its last turn ended (or it was created): the least recently used idle process is closed first. */
  lastActive: number;
  /** What the running turn's agent is doing now (its latest tool use), for the sessions list. */
  activity: string | null;
}

const DEFAULT_TITLE = "New session";

/**
 * Owns sessions and their turns. A turn belongs to the server, not to the
 * socket that sent it: it runs to the end whoever is listening, and every
 * step is stored as a numbered event before it is published on the bus.
 * Turns in one session run one at a time in arrival order; sessions run in
 * parallel.
 */
export class SessionService {
  private readonly runtimes = new Map<string, Runtime>();
  private readonly store: SessionStore;
  private readonly allowRules: AllowRules;
  /**
   * Each session's git branch, read from git's own HEAD file (no process): when the session is
   * first shown, and again after each of its turns (the agent may have switched branches).
   */
  private readonly branches = new Map<string, string | null>();
  /** Sessions whose next turn waits for an agent process to be free, first come first served. */
  private readonly waitingForAgent: string[] = [];
  /** Agent processes closed but not exited yet: they still hold their memory, so they count against the limit. */
  private exitingAgents = 0;
  private stopping = false;

  constructor(private readonly options: SessionServiceOptions) {
    this.store = options.store;
    this.allowRules = options.allowRules ?? new AllowRules(options.store.db);
  }

  list(): Session[] {
    return this.store.listSessions().map((r) => this.toWire(r));
  }

  /** Sessions whose title or messages contain `query`: title matches first, then the most recent. */
  search(query: string): SearchHit[] {
    return this.store.search(query);
  }

  get(sessionId: string): Session {
    return this.toWire(this.record(sessionId));
  }

  create(input: CreateSessionInput): Session {
    const workdir = resolveWorkdir(input.cwd, this.options.workdirRoots);
    if (!workdir.ok) throw new PocketError("INVALID_WORKDIR", workdir.message);
    const record = this.store.createSession({
      id: crypto.randomUUID(),
      title: input.title || DEFAULT_TITLE,
      model: input.model ?? this.options.defaultModel,
      cwd: workdir.path,
      permissionMode: input.permissionMode ?? "default",
      createdAt: new Date().toISOString(),
    });
    log.info("session created", { sessionId: record.id, model: record.model });
    const session = this.toWire(record);
    this.options.bus.emit("sessionChanged", session);
    return session;
  }

  /** The session that already continues this Claude Code session, if one does. */
  continuing(claudeSessionId: string): Session | null {
    const record = this.store.sessionContinuing(claudeSessionId);
    return record ? this.toWire(record) : null;
  }

  /**
   * Creates a session that continues a Claude Code session: its earlier turns are stored as
   * finished turns (so they replay like any others), and its first message resumes
   * `claudeSessionId`. Returns the existing session if one already continues `importedFrom`.
   */
  importSession(input: ImportSessionInput): Session {
    const existing = this.store.sessionContinuing(input.importedFrom);
    if (existing) return this.toWire(existing);
    const createdAt = new Date().toISOString();
    const record = this.store.transaction(() => {
      const created = this.store.createSession({
        id: crypto.randomUUID(),
        title: input.title || DEFAULT_TITLE,
        model: this.options.defaultModel,
        cwd: input.cwd,
        permissionMode: "default",
        createdAt,
        claudeSessionId: input.claudeSessionId,
        importedFrom: input.importedFrom,
        forked: input.forked,
      });
      for (const turn of input.turns) {
        const requestId = crypto.randomUUID();
        this.store.insertEndedTurn({ requestId, sessionId: created.id, message: turn.message, createdAt: turn.at });
        this.store.appendEvent(created.id, "chat:queued", { requestId, message: turn.message, at: turn.at });
        this.store.appendEvent(created.id, "chat:started", { requestId, at: turn.at });
        for (const data of turn.logs) this.store.appendEvent(created.id, "log", { requestId, data });
        this.store.appendEvent(created.id, "chat:response", {
          requestId,
          response: turn.response,
          logs: turn.logs,
          durationMs: turn.durationMs,
        });
      }
      const last = input.turns.at(-1);
      if (last) this.store.setLastMessage(created.id, last.response ? "agent" : "you", last.response || last.message);
      return this.store.getSession(created.id) ?? created;
    });
    log.info("session imported", {
      sessionId: record.id,
      claudeSessionId: input.claudeSessionId,
      forked: input.forked,
      turns: input.turns.length,
    });
    const session = this.toWire(record);
    this.options.bus.emit("sessionChanged", session);
    return session;
  }

  /**
   * Queues a user message. Idempotent on `requestId`: a retry of a message
   * already accepted runs nothing and returns that turn's stored events.
   */
  send(input: { sessionId: string; requestId: string; message: string; attachments?: readonly ChatAttachment[] }): {
    duplicate: boolean;
    events: SessionEvent[];
  } {
    const record = this.record(input.sessionId);
    const existing = this.store.getTurn(input.requestId);
    if (existing) {
      if (existing.sessionId !== input.sessionId) {
        throw new PocketError("INVALID_PAYLOAD", "requestId was already used for a message in another session");
      }
      return { duplicate: true, events: this.store.turnEvents(input.sessionId, input.requestId) };
    }
    const images = input.attachments?.length ? checkImages(input.attachments) : [];
    const attachmentStore = this.options.attachments;
    if (images.length > 0 && !attachmentStore) {
      throw new PocketError("INVALID_ATTACHMENT", "This server does not keep images.");
    }
    const at = new Date().toISOString();
    const waitingFor = this.waitReason(input.sessionId);
    const queued = this.store.transaction(() => {
      this.store.insertTurn({
        requestId: input.requestId,
        sessionId: input.sessionId,
        message: input.message,
        createdAt: at,
      });
      if (record.title === DEFAULT_TITLE && record.lastSeq === 0) {
        this.store.setTitle(input.sessionId, titleFrom(input.message || images[0]?.name || ""));
      }
      let stored: AttachmentInfo[] = [];
      if (images.length > 0 && attachmentStore) {
        stored = attachmentStore.insert(input.sessionId, input.requestId, images, at);
      }
      this.store.setLastMessage(
        input.sessionId,
        "you",
        input.message || `${stored.length} ${stored.length === 1 ? "image" : "images"}`,
      );
      return this.store.appendEvent(input.sessionId, "chat:queued", {
        requestId: input.requestId,
        message: input.message,
        ...(stored.length ? { attachments: stored } : {}),
        at,
        ...(waitingFor ? { waitingFor } : {}),
      });
    });
    this.options.bus.emit("sessionEvent", queued);
    this.runtime(input.sessionId).queue.push({ requestId: input.requestId, message: input.message });
    if (!this.pump(input.sessionId)) this.announce(input.sessionId);
    return { duplicate: false, events: [queued] };
  }

  /** Stops the running turn (it ends with CANCELLED) or drops a queued one. */
  async cancel(input: { sessionId: string; targetRequestId: string }): Promise<void> {
    this.record(input.sessionId);
    const runtime = this.runtime(input.sessionId);
    if (runtime.running?.requestId === input.targetRequestId) {
      runtime.running.cancelRequested = true;
      for (const permissionId of [...runtime.pending.keys()]) {
        this.resolvePermission(input.sessionId, permissionId, "cancelled", "The message was stopped.");
      }
      await runtime.process?.interrupt();
      return;
    }
    const index = runtime.queue.findIndex((t) => t.requestId === input.targetRequestId);
    if (index === -1) throw new PocketError("TURN_NOT_FOUND");
    runtime.queue.splice(index, 1);
    if (runtime.queue.length === 0) this.stopWaiting(input.sessionId);
    this.store.endTurn(input.targetRequestId, "cancelled");
    this.publish(input.sessionId, "chat:error", {
      requestId: input.targetRequestId,
      code: "CANCELLED",
      message: "Removed from the queue before it started.",
    });
    this.announce(input.sessionId);
  }

  /**
   * The stored events a subscriber has not seen. Without `afterSeq`, only the
   * last few turns, so a phone never downloads a whole long history at once.
   */
  replay(sessionId: string, afterSeq?: number): { events: SessionEvent[]; fromSeq: number; lastSeq: number } {
    const record = this.record(sessionId);
    const from = afterSeq ?? this.tailStart(record);
    const events = this.store.eventsAfter(sessionId, from);
    return { events, fromSeq: from + 1, lastSeq: events.at(-1)?.payload.seq ?? record.lastSeq };
  }

  history(sessionId: string, beforeSeq: number, limit: number): { events: SessionEvent[]; hasMore: boolean } {
    this.record(sessionId);
    return this.store.eventsBefore(sessionId, beforeSeq, limit);
  }

  /** After a restart: turns that were running or waiting did not finish; say so in their sessions. */
  recover(): void {
    for (const turn of this.store.unfinishedTurns()) {
      const wasRunning = turn.status === "running";
      this.store.endTurn(turn.requestId, "interrupted");
      for (const permissionId of unansweredPermissions(this.store.turnEvents(turn.sessionId, turn.requestId))) {
        this.publish(turn.sessionId, "permission:resolved", {
          requestId: turn.requestId,
          permissionId,
          decision: "cancelled",
          message: "The server restarted before this was answered.",
        });
      }
      this.store.compactTurnText(turn.sessionId, turn.requestId, false);
      this.publish(turn.sessionId, "chat:error", {
        requestId: turn.requestId,
        code: "INTERRUPTED",
        message: wasRunning
          ? "The server stopped while this was running. Send it again to continue."
          : "The server stopped before this started. Send it again to run it.",
      });
      log.warn("turn interrupted by restart", { sessionId: turn.sessionId, requestId: turn.requestId });
    }
  }

  /** Answers a pending tool-permission request. A second answer is PERMISSION_NOT_PENDING. */
  respondToPermission(input: {
    sessionId: string;
    permissionId: string;
    decision: PermissionDecision;
    message?: string;
    answers?: Record<string, string>;
    scope?: AllowScope;
  }): void {
    const record = this.record(input.sessionId);
    const runtime = this.runtimes.get(input.sessionId);
    const pending = runtime?.pending.get(input.permissionId);
    if (!runtime || !pending) throw new PocketError("PERMISSION_NOT_PENDING");
    // `answers` become the tool's input: for any other tool they could rewrite it (a Bash command).
    if (input.answers && pending.ask.toolName !== "AskUserQuestion") {
      throw new PocketError("INVALID_PAYLOAD", "answers are only accepted for AskUserQuestion.");
    }
    let rule: AllowRule | undefined;
    if (input.decision === "allow_always") {
      const { toolName, input: toolInput } = pending.ask;
      const scope = input.scope ?? scopeOptions(toolName, toolInput, record.cwd)[0]?.scope;
      if (!scope)
        throw new PocketError("INVALID_PAYLOAD", `Nothing can be always allowed for ${toolName}: answer Allow.`);
      rule = this.allowRules.add(input.sessionId, pending.ask, record.cwd, scope);
    }
    // No updatedPermissions for the CLI: the server keeps the rule (decision 034), so a revoke holds.
    const answer: PermissionAnswer =
      input.decision === "deny"
        ? { behavior: "deny", message: input.message?.trim() || "The user denied this." }
        : {
            behavior: "allow",
            ...(input.answers ? { updatedInput: { ...pending.ask.input, answers: input.answers } } : {}),
          };
    // The answers reach the agent only with an allow, so only then do they go to the other devices.
    const answers = input.decision === "deny" ? undefined : input.answers;
    this.resolvePermission(input.sessionId, input.permissionId, input.decision, input.message, answer, answers, rule);
    if (rule) {
      // Other requests of this session that the new rule covers (parallel tool calls) need no answer either.
      for (const [permissionId, other] of runtime.pending) {
        if (
          this.allowRules.allowing(input.sessionId, other.ask.toolName, other.ask.input, record.cwd)?.id === rule.id
        ) {
          this.resolvePermission(input.sessionId, permissionId, "allow", "Allowed by a rule.", { behavior: "allow" });
        }
      }
    }
  }

  /** The session's "Always allow" rules, oldest first. */
  allowRulesOf(sessionId: string): AllowRule[] {
    this.record(sessionId);
    return this.allowRules.list(sessionId);
  }

  /** Forgets a rule: the next matching request asks the user again. */
  revokeAllowRule(sessionId: string, ruleId: string): void {
    this.record(sessionId);
    this.allowRules.revoke(sessionId, ruleId);
    log.info("rule revoked", { sessionId, ruleId });
  }

  /**
   * The slash commands the agent offers in this session (built-in, the project's
   * `.claude/commands`, skills, plugins). Asks the session's warm agent process, starting it (as a
   * turn would) when there is none and a process can be had.
   */
  async commands(sessionId: string): Promise<SlashCommand[]> {
    const record = this.record(sessionId);
    const runtime = this.runtime(sessionId);
    if (!runtime.process) {
      if (this.stopping || this.waitingForAgent.length > 0 || !this.agentSlotAvailable()) {
        throw new PocketError(
          "COMMANDS_UNAVAILABLE",
          "Every agent process is busy; the commands can be listed once one is free.",
        );
      }
      if (!this.hasFreeAgentSlot()) this.closeLeastRecentlyUsedIdle();
      runtime.process = this.startAgent(sessionId, record, record.claudeSessionId);
      runtime.lastActive = Date.now();
    }
    const process = runtime.process;
    if (!process.supportedCommands) throw new PocketError("COMMANDS_UNAVAILABLE", "This agent lists no commands.");
    try {
      const commands = await process.supportedCommands();
      return sortCommands(commands).slice(0, LIMITS.commands);
    } catch (error) {
      log.warn("listing commands failed", { sessionId, error: String(error) });
      throw new PocketError("COMMANDS_UNAVAILABLE");
    } finally {
      if (!runtime.running && runtime.queue.length === 0) this.scheduleIdleClose(runtime);
    }
  }

  update(input: UpdateSessionInput, requestId?: string): Session {
    const record = this.record(input.sessionId);
    if (input.permissionMode === "bypassPermissions" && !this.options.bypassAllowed) {
      throw new PocketError(
        "BYPASS_NOT_ALLOWED",
        "Claude Code refuses to skip permission checks when run as root unless IS_SANDBOX=1 is set on the server.",
      );
    }
    if (input.title !== undefined) this.store.setTitle(record.id, input.title);
    if (input.pinned !== undefined || input.archived !== undefined) {
      this.store.setFlags(record.id, { pinned: input.pinned, archived: input.archived });
    }
    const model = input.model ?? record.model;
    const permissionMode = input.permissionMode ?? record.permissionMode;
    if (model !== record.model || permissionMode !== record.permissionMode) {
      this.store.setSettings(record.id, { model, permissionMode });
      const runtime = this.runtime(record.id);
      // The warm process runs with the old settings: replace it (resuming) before the next turn.
      if (runtime.running) runtime.stale = true;
      else this.closeProcess(runtime);
      log.info("session settings changed", { sessionId: record.id, model, permissionMode });
    }
    const session = this.get(record.id);
    this.options.bus.emit("sessionChanged", session, requestId);
    return session;
  }

  /** Stops the session's agent, drops its queue and removes it with all its data. */
  async delete(sessionId: string, requestId?: string): Promise<void> {
    const { claudeSessionId } = this.record(sessionId);
    const runtime = this.runtimes.get(sessionId);
    this.runtimes.delete(sessionId);
    this.branches.delete(sessionId);
    this.stopWaiting(sessionId);
    this.store.deleteSession(sessionId);
    if (claudeSessionId) this.options.runner.forgetConversation?.(claudeSessionId);
    if (runtime) {
      runtime.queue = [];
      for (const pending of runtime.pending.values())
        pending.resolve({ behavior: "deny", message: "Session deleted." });
      runtime.pending.clear();
      if (runtime.idleTimer) clearTimeout(runtime.idleTimer);
      const process = runtime.process;
      runtime.process = null;
      if (process) {
        if (runtime.running) await process.interrupt();
        await this.retire(process);
      }
    }
    log.info("session deleted", { sessionId });
    this.options.bus.emit("sessionDeleted", sessionId, requestId);
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    const closing: Promise<void>[] = [];
    for (const runtime of this.runtimes.values()) {
      if (runtime.idleTimer) clearTimeout(runtime.idleTimer);
      if (runtime.process) closing.push(this.retire(runtime.process));
      runtime.process = null;
    }
    await Promise.allSettled(closing);
  }

  // -------------------------------------------------------------------------

  /** Replay starts just before the last few turns: a whole recent conversation, however many events they hold. */
  private tailStart(record: SessionRecord): number {
    const turnStart = this.store.nthLastTurnStart(record.id, LIMITS.tailTurns);
    return turnStart === null ? 0 : turnStart - 1;
  }

  private record(sessionId: string): SessionRecord {
    const record = this.store.getSession(sessionId);
    if (!record) throw new PocketError("SESSION_NOT_FOUND", `No session ${sessionId}.`);
    return record;
  }

  private runtime(sessionId: string): Runtime {
    let runtime = this.runtimes.get(sessionId);
    if (!runtime) {
      runtime = {
        process: null,
        queue: [],
        running: null,
        idleTimer: null,
        pending: new Map(),
        stale: false,
        lastActive: Date.now(),
        activity: null,
      };
      this.runtimes.set(sessionId, runtime);
    }
    return runtime;
  }

  private toWire(record: SessionRecord): Session {
    const runtime = this.runtimes.get(record.id);
    return {
      id: record.id,
      title: record.title,
      model: record.model,
      cwd: record.cwd,
      permissionMode: record.permissionMode,
      status: runtime?.running ? "running" : "idle",
      queued: runtime?.queue.length ?? 0,
      pendingPermissions: runtime?.pending.size ?? 0,
      lastSeq: record.lastSeq,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      project: record.project,
      ...this.branchOf(record),
      ...(record.claudeSessionId ? { claudeSessionId: record.claudeSessionId } : {}),
      ...(record.forked && record.importedFrom ? { forkedFrom: record.importedFrom } : {}),
      pinned: record.pinned,
      archived: record.archived,
      ...(record.lastMessage ? { lastMessage: record.lastMessage } : {}),
      ...(record.lastOutcome ? { lastOutcome: record.lastOutcome } : {}),
      ...(runtime?.running && runtime.activity ? { activity: runtime.activity } : {}),
      machineId: "local",
      ...(record.totals.turns > 0 ? { totals: record.totals } : {}),
    };
  }

  private branchOf(record: SessionRecord): { branch?: string } {
    let branch = this.branches.get(record.id);
    if (branch === undefined) {
      branch = branchAt(record.cwd);
      this.branches.set(record.id, branch);
    }
    return branch ? { branch } : {};
  }

  private announce(sessionId: string): void {
    const record = this.store.getSession(sessionId);
    if (record) this.options.bus.emit("sessionChanged", this.toWire(record));
  }

  private publish<T extends SessionEvent["type"]>(sessionId: string, type: T, payload: UnnumberedPayload<T>): void {
    // A turn that was running when its session was deleted has nowhere to write.
    if (!this.store.getSession(sessionId)) return;
    this.options.bus.emit("sessionEvent", this.store.appendEvent(sessionId, type, payload));
  }

  private askPermission(sessionId: string, ask: PermissionAsk): Promise<PermissionAnswer> {
    const runtime = this.runtime(sessionId);
    const requestId = runtime.running?.requestId;
    if (!requestId || ask.signal.aborted)
      return Promise.resolve({ behavior: "deny", message: "No message is running." });
    const cwd = this.store.getSession(sessionId)?.cwd;
    const rule = cwd ? this.allowRules.allowing(sessionId, ask.toolName, ask.input, cwd) : null;
    if (rule) {
      log.info("allowed by a rule", { sessionId, requestId, toolName: ask.toolName, ruleId: rule.id });
      return Promise.resolve({ behavior: "allow" });
    }
    const permissionId = crypto.randomUUID();
    return new Promise((resolve) => {
      runtime.pending.set(permissionId, { requestId, ask, resolve });
      this.publish(sessionId, "permission:request", {
        requestId,
        permissionId,
        toolName: ask.toolName,
        input: ask.input,
        ...(ask.toolUseId ? { toolUseId: ask.toolUseId } : {}),
        ...(ask.title ? { title: ask.title } : {}),
        ...(ask.description ? { description: ask.description } : {}),
        ...(ask.decisionReason ? { decisionReason: ask.decisionReason } : {}),
        ...(ask.blockedPath ? { blockedPath: ask.blockedPath } : {}),
        suggestions: ask.suggestions,
      });
      this.announce(sessionId);
      ask.signal.addEventListener(
        "abort",
        () => this.resolvePermission(sessionId, permissionId, "cancelled", "The message was stopped."),
        { once: true },
      );
    });
  }

  private resolvePermission(
    sessionId: string,
    permissionId: string,
    decision: PermissionDecision | "cancelled",
    message?: string,
    answer?: PermissionAnswer,
    answers?: Record<string, string>,
    rule?: AllowRule,
  ): void {
    const runtime = this.runtimes.get(sessionId);
    const pending = runtime?.pending.get(permissionId);
    if (!runtime || !pending) return;
    runtime.pending.delete(permissionId);
    this.publish(sessionId, "permission:resolved", {
      requestId: pending.requestId,
      permissionId,
      decision,
      ...(message ? { message } : {}),
      ...(answers ? { answers } : {}),
      ...(rule ? { rule } : {}),
    });
    pending.resolve(answer ?? { behavior: "deny", message: message ?? "Cancelled." });
    this.announce(sessionId);
  }

  private closeProcess(runtime: Runtime): void {
    const process = runtime.process;
    runtime.process = null;
    runtime.stale = false;
    if (process) void this.retire(process);
  }

  /** Closes an agent process. It counts against the limit until it has exited; then waiting turns may start. */
  private async retire(process: AgentProcess): Promise<void> {
    this.exitingAgents++;
    try {
      await process.close();
    } finally {
      this.exitingAgents--;
      this.admitWaiting();
    }
  }

  /**
   * Starts the next queued turn if none is running and an agent process can be had; true when
   * one started (and was announced). A turn that needs a process while every one is busy waits
   * in `waitingForAgent` until `admitWaiting` starts it.
   */
  private pump(sessionId: string): boolean {
    const runtime = this.runtime(sessionId);
    if (this.stopping || runtime.running || runtime.queue.length === 0) return false;
    if (!runtime.process && !this.hasFreeAgentSlot()) {
      if (!this.waitingForAgent.includes(sessionId)) {
        this.waitingForAgent.push(sessionId);
        log.info("turn waits for a free agent", { sessionId, maxAgents: this.options.maxAgents });
      }
      // One idle process closed per waiting turn; the turn starts once it has exited (see `retire`).
      if (this.exitingAgents < this.waitingForAgent.length) this.closeLeastRecentlyUsedIdle();
      return false;
    }
    this.stopWaiting(sessionId);
    const next = runtime.queue.shift();
    if (!next) return false;
    if (runtime.idleTimer) {
      clearTimeout(runtime.idleTimer);
      runtime.idleTimer = null;
    }
    runtime.running = { requestId: next.requestId, cancelRequested: false };
    this.store.markTurnRunning(next.requestId);
    this.publish(sessionId, "chat:started", { requestId: next.requestId, at: new Date().toISOString() });
    this.announce(sessionId);
    void this.runTurn(sessionId, runtime, next).finally(() => {
      runtime.running = null;
      runtime.activity = null;
      this.branches.delete(sessionId);
      runtime.lastActive = Date.now();
      if (runtime.stale) this.closeProcess(runtime);
      this.announce(sessionId);
      if (runtime.queue.length > 0) this.pump(sessionId);
      else this.scheduleIdleClose(runtime);
      this.admitWaiting();
    });
    return true;
  }

  /** Why a turn sent now would not start at once: another turn of the session, or no free agent. */
  private waitReason(sessionId: string): "turn" | "agent" | undefined {
    const runtime = this.runtime(sessionId);
    if (runtime.running || runtime.queue.length > 0) return "turn";
    if (!runtime.process && !this.agentSlotAvailable()) return "agent";
    return undefined;
  }

  private liveAgents(): number {
    let count = this.exitingAgents;
    for (const runtime of this.runtimes.values()) if (runtime.process) count++;
    return count;
  }

  /** An idle process (no turn running or queued), the least recently used: the one to close for a new one. */
  private evictableRuntime(): Runtime | undefined {
    let oldest: Runtime | undefined;
    for (const runtime of this.runtimes.values()) {
      if (!runtime.process || runtime.running || runtime.queue.length > 0) continue;
      if (!oldest || runtime.lastActive < oldest.lastActive) oldest = runtime;
    }
    return oldest;
  }

  private agentSlotAvailable(): boolean {
    const max = this.options.maxAgents ?? Number.POSITIVE_INFINITY;
    return this.liveAgents() < max || this.evictableRuntime() !== undefined;
  }

  private hasFreeAgentSlot(): boolean {
    return this.liveAgents() < (this.options.maxAgents ?? Number.POSITIVE_INFINITY);
  }

  private closeLeastRecentlyUsedIdle(): void {
    const idle = this.evictableRuntime();
    if (!idle) return;
    if (idle.idleTimer) clearTimeout(idle.idleTimer);
    idle.idleTimer = null;
    log.info("closing the least recently used idle agent for a waiting turn", { maxAgents: this.options.maxAgents });
    this.closeProcess(idle);
  }

  /** Starts waiting turns, oldest first, while agent processes can be had. */
  private admitWaiting(): void {
    while (this.waitingForAgent.length > 0) {
      const sessionId = this.waitingForAgent[0] as string;
      const runtime = this.runtimes.get(sessionId);
      if (!runtime || runtime.running || runtime.queue.length === 0) {
        this.waitingForAgent.shift();
        continue;
      }
      if (!this.pump(sessionId)) return;
    }
  }

  private stopWaiting(sessionId: string): void {
    const index = this.waitingForAgent.indexOf(sessionId);
    if (index >= 0) this.waitingForAgent.splice(index, 1);
  }

  private async runTurn(sessionId: string, runtime: Runtime, turn: { requestId: string; message: string }) {
    const { requestId } = turn;
    const started = performance.now();
    const logs: string[] = [];
    /** What a local slash command (/compact, /cost…) printed: the turn's answer when the model gave none. */
    let commandOutput = "";
    let record = this.record(sessionId);
    // Started with the turn, not awaited: the agent starts at once (decision 045).
    const changes = this.beginTracking(record.cwd);
    const onEvent = (event: AgentTurnEvent) => {
      if (event.kind === "delta") {
        this.publish(sessionId, "chat:delta", { requestId, text: event.text });
        if (runtime.activity) {
          // Writing again after a tool: the list goes back to "Working…".
          runtime.activity = null;
          this.announce(sessionId);
        }
        return;
      }
      const activity = activityOf(event.message);
      if (activity && activity !== runtime.activity) {
        runtime.activity = activity;
        this.announce(sessionId);
      }
      const claudeSessionId = event.message.session_id;
      if (typeof claudeSessionId === "string" && claudeSessionId !== record.claudeSessionId) {
        // Stored as soon as it is known, so a crash mid-turn can still resume the conversation.
        this.store.setClaudeSessionId(sessionId, claudeSessionId);
        record = { ...record, claudeSessionId };
      }
      changes?.observe(event.message);
      // When it arrived, under the key Claude Code's own transcript lines use (a step's duration
      // on the phone is the time between its tool_use and its tool_result); the message's own wins.
      const data = JSON.stringify({ timestamp: new Date().toISOString(), ...event.message });
      logs.push(data);
      this.publish(sessionId, "log", { requestId, data });

      const notice = noticeFor(event.message);
      if (notice) this.publish(sessionId, "chat:notice", { requestId, ...notice });
      const output = localCommandOutput(event.message);
      if (output) commandOutput = commandOutput ? `${commandOutput}\n${output}` : output;
    };
    const images: AgentImage[] = (this.options.attachments?.forTurn(requestId) ?? []).map((image) => ({
      mediaType: image.mediaType,
      data: image.data,
    }));

    try {
      runtime.process ??= this.startAgent(sessionId, record, record.claudeSessionId);
      let agent = runtime.process;
      let outcome = await agent.runTurn(turn.message, onEvent, images);
      if (!agent.alive && runtime.process === agent) runtime.process = null;
      if (!outcome.ok && outcome.conversationMissing && !runtime.running?.cancelRequested) {
        // Neither Claude Code's transcript nor the mirror has the conversation: go on in a new
        // one rather than fail, and say plainly that the agent no longer remembers.
        log.warn("conversation lost; continuing in a new one", { sessionId, claudeSessionId: record.claudeSessionId });
        this.store.setClaudeSessionId(sessionId, null);
        record = { ...record, claudeSessionId: null };
        this.publish(sessionId, "chat:notice", {
          requestId,
          kind: "context_lost",
          message:
            "The agent's earlier conversation could not be found on the server, so it does not remember the turns above. This message starts a new conversation.",
        });
        runtime.process = this.startAgent(sessionId, record, null);
        agent = runtime.process;
        outcome = await agent.runTurn(turn.message, onEvent, images);
        if (!agent.alive && runtime.process === agent) runtime.process = null;
      }
      if (outcome.claudeSessionId && outcome.claudeSessionId !== record.claudeSessionId) {
        this.store.setClaudeSessionId(sessionId, outcome.claudeSessionId);
      }
      await this.publishChanges(sessionId, requestId, changes);
      const durationMs = Math.round(performance.now() - started);
      if (outcome.ok) {
        this.store.endTurn(requestId, "done");
        this.store.setLastMessage(sessionId, "agent", outcome.text || commandOutput);
        this.publish(sessionId, "chat:response", {
          response: outcome.text || commandOutput,
          logs,
          requestId,
          durationMs,
          ...(outcome.costUsd === undefined ? {} : { costUsd: outcome.costUsd }),
          ...(outcome.usage ? { usage: outcome.usage } : {}),
        });
        this.store.compactTurnText(sessionId, requestId, true);
        return;
      }
      const cancelled = runtime.running?.cancelRequested === true;
      const code = cancelled ? "CANCELLED" : outcome.code;
      this.store.endTurn(requestId, cancelled ? "cancelled" : "failed");
      this.publish(sessionId, "chat:error", {
        requestId,
        code,
        message: outcome.message,
        ...(outcome.resetsAt && !cancelled ? { resetsAt: outcome.resetsAt } : {}),
      });
      this.store.compactTurnText(sessionId, requestId, false);
      if (!cancelled) log.warn("turn failed", { sessionId, requestId, code, message: outcome.message });
    } catch (error) {
      log.error("turn crashed the runner", { sessionId, requestId, error: String(error) });
      runtime.process = null;
      this.store.endTurn(requestId, "failed");
      this.publish(sessionId, "chat:error", {
        requestId,
        code: "INTERNAL_ERROR",
        message: "The server failed while running this message.",
      });
      this.store.compactTurnText(sessionId, requestId, false);
    }
  }

  private startAgent(sessionId: string, record: SessionRecord, resumeSessionId: string | null): AgentProcess {
    return this.options.runner.start({
      resumeSessionId: resumeSessionId ?? undefined,
      model: record.model,
      cwd: record.cwd,
      permissionMode: record.permissionMode,
      askPermission: (ask) => this.askPermission(sessionId, ask),
    });
  }

  /** Starts following a turn's changes; a failure there never stops the turn. */
  private beginTracking(cwd: string): TurnChangeObserver | null {
    if (!this.options.trackChanges) return null;
    try {
      return this.options.trackChanges(cwd);
    } catch (error) {
      log.warn("cannot follow this turn's changes", { error: String(error) });
      return null;
    }
  }

  /** Stored before the turn's outcome, so a client that sees the outcome already has its changes. */
  private async publishChanges(sessionId: string, requestId: string, changes: TurnChangeObserver | null) {
    if (!changes) return;
    try {
      const files = await changes.finish();
      if (files.length > 0) this.publish(sessionId, "turn:changes", { requestId, files });
    } catch (error) {
      log.warn("could not work out a turn's changes", { sessionId, requestId, error: String(error) });
    }
  }

  private scheduleIdleClose(runtime: Runtime): void {
    if (!runtime.process) return;
    if (runtime.idleTimer) clearTimeout(runtime.idleTimer);
    runtime.idleTimer = setTimeout(() => {
      runtime.idleTimer = null;
      if (runtime.running || !runtime.process) return;
      const process = runtime.process;
      runtime.process = null;
      void this.retire(process);
    }, this.options.idleTimeoutMs);
    runtime.idleTimer.unref?.();
  }
}

/** permissionIds of `permission:request` events with no `permission:resolved` after them. */
function unansweredPermissions(events: SessionEvent[]): string[] {
  const open = new Set<string>();
  for (const event of events) {
    if (event.type === "permission:request") open.add(event.payload.permissionId);
    if (event.type === "permission:resolved") open.delete(event.payload.permissionId);
  }
  return [...open];
}

/**
 * What a slash command did, said in the conversation: Claude Code reports a compaction with a
 * `system/compact_boundary` message and `/clear` with a `conversation_reset`.
 */
export function noticeFor(message: Record<string, unknown>): { kind: "compacted" | "cleared"; message: string } | null {
  if (message.type === "system" && message.subtype === "compact_boundary") {
    const meta = message.compact_metadata as { trigger?: unknown; pre_tokens?: unknown } | undefined;
    const automatic = meta?.trigger === "auto";
    const tokens =
      typeof meta?.pre_tokens === "number" ? ` (${meta.pre_tokens.toLocaleString("en")} tokens before)` : "";
    return {
      kind: "compacted",
      message: `${automatic ? "Context compacted automatically" : "Context compacted"}${tokens}`,
    };
  }
  if (message.type === "conversation_reset") {
    return { kind: "cleared", message: "Context cleared: the agent starts afresh" };
  }
  return null;
}

/** The output of a local slash command, from either form Claude Code reports it in. */
export function localCommandOutput(message: Record<string, unknown>): string {
  if (message.type === "system" && message.subtype === "local_command_output") {
    return typeof message.content === "string" ? message.content.trim() : "";
  }
  const inner = message.message as { content?: unknown } | undefined;
  if (message.type === "user" && message.isReplay === true && typeof inner?.content === "string") {
    const match = /<local-command-stdout>([\s\S]*?)<\/local-command-stdout>/.exec(inner.content);
    return match?.[1]?.trim() ?? "";
  }
  return "";
}

/**
 * One row per name (the built-in one when a project command shares it: that is the one `/name`
 * runs), the project's own commands first (the few the user wrote), then Claude Code's, by name.
 */
export function sortCommands(commands: readonly SlashCommand[]): SlashCommand[] {
  const byName = new Map<string, SlashCommand>();
  for (const command of commands) {
    // `__name`: Claude Code's own plumbing (e.g. `__remote-workflow`), not for people to type.
    if (command.name.startsWith("__")) continue;
    const kept = byName.get(command.name);
    if (!kept || (command.builtin && !kept.builtin)) byName.set(command.name, command);
  }
  return [...byName.values()].sort((a, b) => Number(a.builtin) - Number(b.builtin) || a.name.localeCompare(b.name));
}

/** A title from the first message: its first line of prose, as plain text (no Markdown), cut at 60. */
export function titleFrom(message: string): string {
  return plainLine(firstProseLine(message), 60) || DEFAULT_TITLE;
}
