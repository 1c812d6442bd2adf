import type { Database } from "bun:sqlite";
import {
  LIMITS,
  type PermissionMode,
  type Session,
  type SessionEvent,
  type SessionEventType,
  type SessionTotals,
  type TurnUsage,
} from "../../shared/messages.ts";
import { firstProseLine, lastProseLine, plainLine } from "./plainText.ts";
import { foldAscii, jsonNeedle, messageSnippet } from "./searchText.ts";

/** How a finished turn ended, as the sessions list says it. */
export type TurnOutcomeLabel = NonNullable<Session["lastOutcome"]>;
export type LastMessage = NonNullable<Session["lastMessage"]>;
/** What a search finds: sessions by title first, then by message, one row per session. */
export interface SearchHit {
  sessionId: string;
  snippet?: string;
}

/** Kept of the newest message in the database: enough to make its one-line preview again. */
const STORED_MESSAGE_CHARS = 4_000;
/** Sessions a search returns at most. */
export const SEARCH_LIMIT = 50;

/** A session as stored; the wire `Session` adds live fields (status, queued). */
export interface SessionRecord {
  id: string;
  title: string;
  model: string;
  cwd: string;
  permissionMode: PermissionMode;
  claudeSessionId: string | null;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
  /** The project it belongs to (its cwd). */
  project: string;
  /** The Claude Code session from the desk it continues (imported), if any. */
  importedFrom: string | null;
  /** Imported as a fork: `claudeSessionId` is a copy of `importedFrom`, which it never writes. */
  forked: boolean;
  pinned: boolean;
  archived: boolean;
  /** The newest message's one-line preview. */
  lastMessage: LastMessage | null;
  lastOutcome: TurnOutcomeLabel | null;
  totals: SessionTotals;
}

/** What creating a session stores; an import also names its Claude Code session. */
export interface NewSessionRecord {
  id: string;
  title: string;
  model: string;
  cwd: string;
  permissionMode: PermissionMode;
  createdAt: string;
  project?: string;
  claudeSessionId?: string | null;
  importedFrom?: string | null;
  forked?: boolean;
}

export type TurnStatus = "queued" | "running" | "done" | "failed" | "cancelled" | "interrupted";

export interface TurnRecord {
  requestId: string;
  sessionId: string;
  message: string;
  status: TurnStatus;
  createdAt: string;
}

interface SessionRow {
  id: string;
  title: string;
  model: string;
  cwd: string;
  permission_mode: string;
  claude_session_id: string | null;
  last_seq: number;
  created_at: string;
  updated_at: string;
  project: string | null;
  imported_from: string | null;
  forked: number;
  pinned: number;
  archived: number;
  last_message_from: string | null;
  last_message: string | null;
  last_outcome: string | null;
  total_turns: number;
  total_ms: number;
  total_cost: number | null;
  total_input: number | null;
  total_output: number | null;
  total_cache_read: number | null;
  total_cache_creation: number | null;
}

interface TurnRow {
  request_id: string;
  session_id: string;
  message: string;
  status: string;
  created_at: string;
}

const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  title: r.title,
  model: r.model,
  cwd: r.cwd,
  permissionMode: r.permission_mode as PermissionMode,
  claudeSessionId: r.claude_session_id,
  lastSeq: r.last_seq,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  project: r.project ?? r.cwd,
  importedFrom: r.imported_from,
  forked: r.forked === 1,
  pinned: r.pinned === 1,
  archived: r.archived === 1,
  lastMessage:
    r.last_message_from === "you" || r.last_message_from === "agent"
      ? preview(r.last_message_from, r.last_message ?? "")
      : null,
  lastOutcome: isOutcome(r.last_outcome) ? r.last_outcome : null,
  totals: {
    turns: r.total_turns,
    durationMs: r.total_ms,
    ...(r.total_cost === null ? {} : { costUsd: r.total_cost }),
    ...(r.total_input === null
      ? {}
      : {
          usage: {
            inputTokens: r.total_input,
            outputTokens: r.total_output ?? 0,
            cacheReadTokens: r.total_cache_read ?? 0,
            cacheCreationTokens: r.total_cache_creation ?? 0,
          },
        }),
  },
});

/** The totals with one more finished turn (as the addToTotals query adds it). */
function withTurn(
  totals: SessionTotals,
  turn: { durationMs: number; costUsd?: number; usage?: TurnUsage },
): SessionTotals {
  const usage = turn.usage
    ? {
        inputTokens: (totals.usage?.inputTokens ?? 0) + turn.usage.inputTokens,
        outputTokens: (totals.usage?.outputTokens ?? 0) + turn.usage.outputTokens,
        cacheReadTokens: (totals.usage?.cacheReadTokens ?? 0) + turn.usage.cacheReadTokens,
        cacheCreationTokens: (totals.usage?.cacheCreationTokens ?? 0) + turn.usage.cacheCreationTokens,
      }
    : totals.usage;
  const costUsd = turn.costUsd === undefined ? totals.costUsd : (totals.costUsd ?? 0) + turn.costUsd;
  return {
    turns: totals.turns + 1,
    durationMs: totals.durationMs + turn.durationMs,
    ...(costUsd === undefined ? {} : { costUsd }),
    ...(usage ? { usage } : {}),
  };
}

/** The list's one line for a message: yours from its start, the agent's from its end (its conclusion). */
export function preview(from: LastMessage["from"], text: string): LastMessage {
  const line = from === "you" ? firstProseLine(text) : lastProseLine(text);
  return { from, text: plainLine(line, LIMITS.titleChars) };
}

function isOutcome(value: string | null): value is TurnOutcomeLabel {
  return value === "done" || value === "failed" || value === "stopped";
}

const OUTCOME_OF: Record<Exclude<TurnStatus, "queued" | "running">, TurnOutcomeLabel> = {
  done: "done",
  failed: "failed",
  cancelled: "stopped",
  interrupted: "failed",
};

const toTurn = (r: TurnRow): TurnRecord => ({
  requestId: r.request_id,
  sessionId: r.session_id,
  message: r.message,
  status: r.status as TurnStatus,
  createdAt: r.created_at,
});

/** Payload of a session event before the store numbers it. */
export type UnnumberedPayload<T extends SessionEventType> = Omit<
  Extract<SessionEvent, { type: T }>["payload"],
  "seq" | "sessionId"
>;

/**
 * All SQL for sessions, their numbered events and their turns. Synchronous
 * (bun:sqlite), which is what makes "store, then emit" and gap-free replay
 * simple: no other code runs between a read and the emits that follow it.
 */
export class SessionStore {
  /**
   * Prepared statements. Those by turn name their index (`INDEXED BY events_by_turn`): without
   * statistics SQLite prefers the primary key, which gives seq order for free, and scans the whole
   * session: 413 ms instead of ~20 ms to replay 10,000 events (bench/replay.ts).
   */
  private readonly q;
  /**
   * Write-through cache of the sessions table: listing sessions is the most
   * frequent request (every connect, every list) and the table is small.
   */
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(readonly db: Database) {
    this.q = {
      insertSession: db.query(
        `INSERT INTO sessions (id, title, model, cwd, permission_mode, claude_session_id, last_seq, created_at, updated_at,
                               project, imported_from, forked)
         VALUES ($id, $title, $model, $cwd, $permissionMode, $claudeSessionId, 0, $createdAt, $createdAt,
                 $project, $importedFrom, $forked)`,
      ),
      allSessions: db.query<SessionRow, []>("SELECT * FROM sessions ORDER BY updated_at DESC, created_at DESC"),
      addToTotals: db.query(
        `UPDATE sessions SET total_turns = total_turns + 1, total_ms = total_ms + $durationMs,
           total_cost = CASE WHEN $costUsd IS NULL THEN total_cost ELSE COALESCE(total_cost, 0) + $costUsd END,
           total_input = CASE WHEN $input IS NULL THEN total_input ELSE COALESCE(total_input, 0) + $input END,
           total_output = CASE WHEN $output IS NULL THEN total_output ELSE COALESCE(total_output, 0) + $output END,
           total_cache_read = CASE WHEN $cacheRead IS NULL THEN total_cache_read ELSE COALESCE(total_cache_read, 0) + $cacheRead END,
           total_cache_creation = CASE WHEN $cacheCreation IS NULL THEN total_cache_creation
                                       ELSE COALESCE(total_cache_creation, 0) + $cacheCreation END
         WHERE id = $sessionId`,
      ),
      bumpSeq: db.query<{ last_seq: number }, [string, string]>(
        "UPDATE sessions SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq",
      ),
      insertEvent: db.query(
        "INSERT INTO events (session_id, seq, type, request_id, payload) VALUES ($sessionId, $seq, $type, $requestId, $payload)",
      ),
      eventsAfter: db.query<{ type: string; payload: string }, [string, number, number]>(
        "SELECT type, payload FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?",
      ),
      eventsBefore: db.query<{ type: string; payload: string; seq: number }, [string, number, number]>(
        "SELECT type, payload, seq FROM events WHERE session_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
      ),
      turnEvents: db.query<{ type: string; payload: string }, [string, string]>(
        "SELECT type, payload FROM events INDEXED BY events_by_turn WHERE session_id = ? AND request_id = ? ORDER BY seq",
      ),
      eventsOfType: db.query<{ type: string; payload: string }, [string, string]>(
        "SELECT type, payload FROM events WHERE session_id = ? AND type = ? ORDER BY seq",
      ),
      nthLastTurnStart: db.query<{ seq: number }, [string, number]>(
        "SELECT seq FROM events WHERE session_id = ? AND type = 'chat:queued' ORDER BY seq DESC LIMIT 1 OFFSET ?",
      ),
      turnLogs: db.query<{ payload: string }, [string, string]>(
        "SELECT payload FROM events INDEXED BY events_by_turn WHERE session_id = ? AND request_id = ? AND type = 'log' ORDER BY seq",
      ),
      turnDeltas: db.query<{ seq: number; payload: string }, [string, string]>(
        "SELECT seq, payload FROM events INDEXED BY events_by_turn WHERE session_id = ? AND request_id = ? AND type = 'chat:delta' ORDER BY seq",
      ),
      deleteTurnDeltas: db.query(
        "DELETE FROM events INDEXED BY events_by_turn WHERE session_id = ? AND request_id = ? AND type = 'chat:delta' AND seq > ?",
      ),
      setEventPayload: db.query("UPDATE events SET payload = ? WHERE session_id = ? AND seq = ?"),
      setClaudeSession: db.query("UPDATE sessions SET claude_session_id = ? WHERE id = ?"),
      setTitle: db.query("UPDATE sessions SET title = ?, updated_at = ? WHERE id = ?"),
      setSettings: db.query("UPDATE sessions SET model = ?, permission_mode = ?, updated_at = ? WHERE id = ?"),
      // Pinning or archiving is not activity: the session keeps its place in time.
      setFlags: db.query("UPDATE sessions SET pinned = ?, archived = ? WHERE id = ?"),
      setLastMessage: db.query("UPDATE sessions SET last_message_from = ?, last_message = ? WHERE id = ?"),
      setLastOutcome: db.query<{ id: string }, [string, string]>(
        "UPDATE sessions SET last_outcome = ? WHERE id = (SELECT session_id FROM turns WHERE request_id = ?) RETURNING id",
      ),
      searchMessages: db.query<{ session_id: string; type: string; payload: string }, [string]>(
        "SELECT session_id, type, payload FROM events WHERE type IN ('chat:queued', 'chat:response') AND instr(lower(payload), ?) > 0",
      ),
      deleteSession: db.query("DELETE FROM sessions WHERE id = ?"),
      insertTurn: db.query(
        `INSERT INTO turns (request_id, session_id, message, status, created_at)
         VALUES ($requestId, $sessionId, $message, 'queued', $createdAt)`,
      ),
      insertEndedTurn: db.query(
        `INSERT INTO turns (request_id, session_id, message, status, created_at, started_at, ended_at)
         VALUES ($requestId, $sessionId, $message, 'done', $createdAt, $createdAt, $createdAt)`,
      ),
      turn: db.query<TurnRow, [string]>("SELECT * FROM turns WHERE request_id = ?"),
      setTurnStatus: db.query("UPDATE turns SET status = ?, started_at = COALESCE(started_at, ?) WHERE request_id = ?"),
      endTurn: db.query("UPDATE turns SET status = ?, ended_at = ? WHERE request_id = ?"),
      unfinishedTurns: db.query<TurnRow, []>(
        "SELECT * FROM turns WHERE status IN ('queued', 'running') ORDER BY session_id, created_at",
      ),
    };
    for (const row of this.q.allSessions.all()) this.sessions.set(row.id, toSession(row));
  }

  createSession(s: NewSessionRecord): SessionRecord {
    const record: SessionRecord = {
      id: s.id,
      title: s.title,
      model: s.model,
      cwd: s.cwd,
      permissionMode: s.permissionMode,
      claudeSessionId: s.claudeSessionId ?? null,
      lastSeq: 0,
      createdAt: s.createdAt,
      updatedAt: s.createdAt,
      project: s.project ?? s.cwd,
      importedFrom: s.importedFrom ?? null,
      forked: s.forked ?? false,
      pinned: false,
      archived: false,
      lastMessage: null,
      lastOutcome: null,
      totals: { turns: 0, durationMs: 0 },
    };
    this.q.insertSession.run({
      id: record.id,
      title: record.title,
      model: record.model,
      cwd: record.cwd,
      permissionMode: record.permissionMode,
      claudeSessionId: record.claudeSessionId,
      createdAt: record.createdAt,
      project: record.project,
      importedFrom: record.importedFrom,
      forked: record.forked ? 1 : 0,
    });
    this.sessions.set(record.id, record);
    return { ...record };
  }

  /**
   * The session that continues this Claude Code session: imported from it, or resuming it
   * (a continued desk session keeps its id). Null when none does.
   */
  sessionContinuing(claudeSessionId: string): SessionRecord | null {
    let resuming: SessionRecord | null = null;
    for (const record of this.sessions.values()) {
      if (record.importedFrom === claudeSessionId) return { ...record };
      if (record.claudeSessionId === claudeSessionId) resuming ??= record;
    }
    return resuming ? { ...resuming } : null;
  }

  /** Most recently active first. */
  listSessions(): SessionRecord[] {
    return [...this.sessions.values()]
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0))
      .map((r) => ({ ...r }));
  }

  getSession(id: string): SessionRecord | null {
    const record = this.sessions.get(id);
    return record ? { ...record } : null;
  }

  setClaudeSessionId(id: string, claudeSessionId: string | null): void {
    this.q.setClaudeSession.run(claudeSessionId, id);
    const record = this.sessions.get(id);
    if (record) record.claudeSessionId = claudeSessionId;
  }

  setTitle(id: string, title: string): void {
    const updatedAt = new Date().toISOString();
    this.q.setTitle.run(title, updatedAt, id);
    const record = this.sessions.get(id);
    if (record) Object.assign(record, { title, updatedAt });
  }

  setSettings(id: string, settings: { model: string; permissionMode: PermissionMode }): void {
    const updatedAt = new Date().toISOString();
    this.q.setSettings.run(settings.model, settings.permissionMode, updatedAt, id);
    const record = this.sessions.get(id);
    if (record) Object.assign(record, settings, { updatedAt });
  }

  setFlags(id: string, flags: { pinned?: boolean; archived?: boolean }): void {
    const record = this.sessions.get(id);
    if (!record) return;
    const pinned = flags.pinned ?? record.pinned;
    const archived = flags.archived ?? record.archived;
    this.q.setFlags.run(pinned ? 1 : 0, archived ? 1 : 0, id);
    Object.assign(record, { pinned, archived });
  }

  setLastMessage(id: string, from: LastMessage["from"], text: string): void {
    const stored = text.slice(0, STORED_MESSAGE_CHARS);
    this.q.setLastMessage.run(from, stored, id);
    const record = this.sessions.get(id);
    if (record) record.lastMessage = preview(from, stored);
  }

  /**
   * Sessions whose title or stored messages contain `query`, ignoring the case of ASCII letters
   * (SQLite's `lower()` folds only those; the same folding is used on both sides). Messages are
   * found in their stored JSON, then checked in their text.
   */
  search(query: string): SearchHit[] {
    const needle = foldAscii(query);
    const hits = new Map<string, SearchHit>();
    for (const record of this.listSessions()) {
      if (foldAscii(record.title).includes(needle)) hits.set(record.id, { sessionId: record.id });
    }
    const found = new Map<string, string>();
    for (const row of this.q.searchMessages.all(jsonNeedle(query))) {
      if (hits.has(row.session_id) || found.has(row.session_id)) continue;
      const snippet = messageSnippet(row.type, row.payload, query);
      if (snippet !== undefined) found.set(row.session_id, snippet);
    }
    const byRecency = this.listSessions().filter((r) => found.has(r.id));
    for (const record of byRecency) hits.set(record.id, { sessionId: record.id, snippet: found.get(record.id) });
    return [...hits.values()].slice(0, SEARCH_LIMIT);
  }

  /** Removes the session with its events and turns (foreign keys cascade). */
  deleteSession(id: string): void {
    this.q.deleteSession.run(id);
    this.sessions.delete(id);
  }

  /** Numbers the event with the session's next seq and stores it, atomically. */
  appendEvent<T extends SessionEventType>(sessionId: string, type: T, payload: UnnumberedPayload<T>): SessionEvent {
    return this.db.transaction(() => {
      const updatedAt = new Date().toISOString();
      const bumped = this.q.bumpSeq.get(updatedAt, sessionId);
      if (!bumped) throw new Error(`session ${sessionId} does not exist`);
      const full = { ...payload, sessionId, seq: bumped.last_seq };
      this.q.insertEvent.run({
        sessionId,
        seq: bumped.last_seq,
        type,
        requestId: "requestId" in full ? String(full.requestId) : null,
        payload: JSON.stringify(type === "chat:response" ? withoutLogs(full) : full),
      });
      const record = this.sessions.get(sessionId);
      if (record) Object.assign(record, { lastSeq: bumped.last_seq, updatedAt });
      if (type === "chat:response") {
        const turn = payload as unknown as UnnumberedPayload<"chat:response">;
        this.q.addToTotals.run({
          sessionId,
          durationMs: turn.durationMs,
          costUsd: turn.costUsd ?? null,
          input: turn.usage?.inputTokens ?? null,
          output: turn.usage?.outputTokens ?? null,
          cacheRead: turn.usage?.cacheReadTokens ?? null,
          cacheCreation: turn.usage?.cacheCreationTokens ?? null,
        });
        if (record) record.totals = withTurn(record.totals, turn);
      }
      return { type, payload: full } as unknown as SessionEvent;
    })();
  }

  eventsAfter(sessionId: string, afterSeq: number, limit = Number.MAX_SAFE_INTEGER): SessionEvent[] {
    return this.q.eventsAfter.all(sessionId, afterSeq, limit).map((row) => this.toEvent(sessionId, row));
  }

  /** The `limit` events just before `beforeSeq`, oldest first, and whether older ones exist. */
  eventsBefore(sessionId: string, beforeSeq: number, limit: number): { events: SessionEvent[]; hasMore: boolean } {
    const rows = this.q.eventsBefore.all(sessionId, beforeSeq, limit + 1);
    const hasMore = rows.length > limit;
    return {
      events: rows
        .slice(0, limit)
        .reverse()
        .map((row) => this.toEvent(sessionId, row)),
      hasMore,
    };
  }

  /** Every event of one type in a session, oldest first. */
  eventsOfType(sessionId: string, type: SessionEventType): SessionEvent[] {
    return this.q.eventsOfType.all(sessionId, type).map((row) => this.toEvent(sessionId, row));
  }

  /** The seq of the `count`-th most recent user message, or null when the session has fewer. */
  nthLastTurnStart(sessionId: string, count: number): number | null {
    return this.q.nthLastTurnStart.get(sessionId, count - 1)?.seq ?? null;
  }

  turnEvents(sessionId: string, requestId: string): SessionEvent[] {
    return this.q.turnEvents.all(sessionId, requestId).map((row) => this.toEvent(sessionId, row));
  }

  /**
   * A finished turn's streamed text is stored once: a turn that answered drops its deltas (its
   * `chat:response` holds the text); one that failed keeps its partial text as a single delta,
   * at the first delta's seq. Replay then sends a turn's text once instead of hundreds of pieces.
   */
  compactTurnText(sessionId: string, requestId: string, answered: boolean): void {
    if (answered) {
      this.q.deleteTurnDeltas.run(sessionId, requestId, 0);
      return;
    }
    this.db.transaction(() => {
      const deltas = this.q.turnDeltas.all(sessionId, requestId);
      const first = deltas[0];
      if (!first || deltas.length === 1) return;
      const text = deltas.map((row) => (JSON.parse(row.payload) as { text: string }).text).join("");
      const merged = { ...(JSON.parse(first.payload) as Record<string, unknown>), text };
      this.q.setEventPayload.run(JSON.stringify(merged), sessionId, first.seq);
      this.q.deleteTurnDeltas.run(sessionId, requestId, first.seq);
    })();
  }

  insertTurn(t: { requestId: string; sessionId: string; message: string; createdAt: string }): void {
    this.q.insertTurn.run(t);
  }

  /** A turn that finished elsewhere (imported from a Claude Code transcript). */
  insertEndedTurn(t: { requestId: string; sessionId: string; message: string; createdAt: string }): void {
    this.q.insertEndedTurn.run(t);
  }

  getTurn(requestId: string): TurnRecord | null {
    const row = this.q.turn.get(requestId);
    return row ? toTurn(row) : null;
  }

  markTurnRunning(requestId: string): void {
    this.q.setTurnStatus.run("running", new Date().toISOString(), requestId);
  }

  /** Ends the turn, and makes its outcome the session's newest one. */
  endTurn(requestId: string, status: Exclude<TurnStatus, "queued" | "running">): void {
    this.q.endTurn.run(status, new Date().toISOString(), requestId);
    const outcome = OUTCOME_OF[status];
    const updated = this.q.setLastOutcome.get(outcome, requestId);
    const record = updated ? this.sessions.get(updated.id) : undefined;
    if (record) record.lastOutcome = outcome;
  }

  unfinishedTurns(): TurnRecord[] {
    return this.q.unfinishedTurns.all().map(toTurn);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private toEvent(sessionId: string, row: { type: string; payload: string }): SessionEvent {
    // Rows are written only by appendEvent from typed payloads; no need to re-validate on the hot replay path.
    const payload = JSON.parse(row.payload);
    // Each log is stored once, as its `log` event; the response carries them again on the wire.
    if (row.type === "chat:response" && payload.logs === undefined) {
      payload.logs = this.q.turnLogs.all(sessionId, payload.requestId).map((log) => JSON.parse(log.payload).data);
    }
    return { type: row.type, payload } as SessionEvent;
  }
}

function withoutLogs(payload: Record<string, unknown>): Record<string, unknown> {
  const { logs: _logs, ...rest } = payload;
  return rest;
}
