import { LIMITS, type PermissionMode, type Session, type SessionEvent } from "../../shared/messages.ts";
import type { AgentProcess, AgentRunner, AgentTurnEvent } from "../agent/types.ts";
import type { Bus } from "../bus.ts";
import { PocketError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import type { SessionRecord, SessionStore, UnnumberedPayload } from "./store.ts";
import { resolveWorkdir } from "./workdir.ts";

const log = createLogger("sessions");

export interface SessionServiceOptions {
  store: SessionStore;
  runner: AgentRunner;
  bus: Bus;
  defaultModel: string;
  workdirRoots: string[];
  /** Close a session's warm agent process after this long without a turn. */
  idleTimeoutMs: number;
}

export interface CreateSessionInput {
  model?: string;
  title?: string;
  cwd?: string;
  permissionMode?: PermissionMode;
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

  constructor(private readonly options: SessionServiceOptions) {
    this.store = options.store;
  }

  list(): Session[] {
    return this.store.listSessions().map((r) => this.toWire(r));
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

  /**
   * Queues a user message. Idempotent on `requestId`: a retry of a message
   * already accepted runs nothing and returns that turn's stored events.
   */
  send(input: { sessionId: string; requestId: string; message: string }): {
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
    const at = new Date().toISOString();
    const queued = this.store.transaction(() => {
      this.store.insertTurn({
        requestId: input.requestId,
        sessionId: input.sessionId,
        message: input.message,
        createdAt: at,
      });
      if (record.title === DEFAULT_TITLE && record.lastSeq === 0) {
        this.store.setTitle(input.sessionId, titleFrom(input.message));
      }
      return this.store.appendEvent(input.sessionId, "chat:queued", {
        requestId: input.requestId,
        message: input.message,
        at,
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
      await runtime.process?.interrupt();
      return;
    }
    const index = runtime.queue.findIndex((t) => t.requestId === input.targetRequestId);
    if (index === -1) throw new PocketError("TURN_NOT_FOUND");
    runtime.queue.splice(index, 1);
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
   * recent tail (starting at a turn boundary where one is near) so a phone
   * never downloads a whole long history at once.
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

  async shutdown(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const runtime of this.runtimes.values()) {
      if (runtime.idleTimer) clearTimeout(runtime.idleTimer);
      if (runtime.process) closing.push(runtime.process.close());
      runtime.process = null;
    }
    await Promise.allSettled(closing);
  }

  // -------------------------------------------------------------------------

  private tailStart(record: SessionRecord): number {
    const windowStart = Math.max(0, record.lastSeq - LIMITS.tailEvents);
    const turnStart = this.store.firstTurnStartAfter(record.id, windowStart);
    return turnStart === null ? windowStart : turnStart - 1;
  }

  private record(sessionId: string): SessionRecord {
    const record = this.store.getSession(sessionId);
    if (!record) throw new PocketError("SESSION_NOT_FOUND", `No session ${sessionId}.`);
    return record;
  }

  private runtime(sessionId: string): Runtime {
    let runtime = this.runtimes.get(sessionId);
    if (!runtime) {
      runtime = { process: null, queue: [], running: null, idleTimer: null };
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
      lastSeq: record.lastSeq,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }

  private announce(sessionId: string): void {
    const record = this.store.getSession(sessionId);
    if (record) this.options.bus.emit("sessionChanged", this.toWire(record));
  }

  private publish<T extends SessionEvent["type"]>(sessionId: string, type: T, payload: UnnumberedPayload<T>): void {
    this.options.bus.emit("sessionEvent", this.store.appendEvent(sessionId, type, payload));
  }

  /** Starts the next queued turn if none is running; true when one started (and was announced). */
  private pump(sessionId: string): boolean {
    const runtime = this.runtime(sessionId);
    if (runtime.running) return false;
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
      this.announce(sessionId);
      if (runtime.queue.length > 0) this.pump(sessionId);
      else this.scheduleIdleClose(runtime);
    });
    return true;
  }

  private async runTurn(sessionId: string, runtime: Runtime, turn: { requestId: string; message: string }) {
    const { requestId } = turn;
    const started = performance.now();
    const logs: string[] = [];
    let record = this.record(sessionId);
    const onEvent = (event: AgentTurnEvent) => {
      if (event.kind === "delta") {
        this.publish(sessionId, "chat:delta", { requestId, text: event.text });
        return;
      }
      const claudeSessionId = event.message.session_id;
      if (typeof claudeSessionId === "string" && claudeSessionId !== record.claudeSessionId) {
        // Stored as soon as it is known, so a crash mid-turn can still resume the conversation.
        this.store.setClaudeSessionId(sessionId, claudeSessionId);
        record = { ...record, claudeSessionId };
      }
      const data = JSON.stringify(event.message);
      logs.push(data);
      this.publish(sessionId, "log", { requestId, data });
    };

    try {
      runtime.process ??= this.options.runner.start({
        resumeSessionId: record.claudeSessionId ?? undefined,
        model: record.model,
        cwd: record.cwd,
        permissionMode: record.permissionMode,
      });
      const outcome = await runtime.process.runTurn(turn.message, onEvent);
      if (!runtime.process.alive) runtime.process = null;
      if (!outcome.ok && /No conversation found/i.test(outcome.message)) {
        // The CLI's transcript is gone (config dir wiped or moved): start the next turn fresh.
        this.store.setClaudeSessionId(sessionId, null);
      }
      if (outcome.claudeSessionId && outcome.claudeSessionId !== record.claudeSessionId) {
        this.store.setClaudeSessionId(sessionId, outcome.claudeSessionId);
      }
      const durationMs = Math.round(performance.now() - started);
      if (outcome.ok) {
        this.store.endTurn(requestId, "done");
        this.publish(sessionId, "chat:response", {
          response: outcome.text,
          logs,
          requestId,
          durationMs,
          ...(outcome.costUsd === undefined ? {} : { costUsd: outcome.costUsd }),
        });
        return;
      }
      const cancelled = runtime.running?.cancelRequested === true;
      const code = cancelled ? "CANCELLED" : outcome.code;
      this.store.endTurn(requestId, cancelled ? "cancelled" : "failed");
      this.publish(sessionId, "chat:error", { requestId, code, message: outcome.message });
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
      void process.close();
    }, this.options.idleTimeoutMs);
    runtime.idleTimer.unref?.();
  }
}

function titleFrom(message: string): string {
  const line = message.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || DEFAULT_TITLE;
}
