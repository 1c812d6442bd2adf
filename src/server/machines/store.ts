import type { Database } from "bun:sqlite";
import type { AttachmentInfo, Session, SessionEvent } from "../../shared/messages.ts";
import { jsonNeedle, messageSnippet } from "../sessions/searchText.ts";
import type { Pin } from "./tls.ts";

/** A linked machine as stored: the token stays on this server (the database file is 0600). */
export interface MachineRecord {
  id: string;
  name: string;
  url: string;
  token: string;
  /** The certificate pinned on first add (https only). */
  pin: Pin | null;
  createdAt: string;
  lastSeenAt: string | null;
}

interface MachineRow {
  id: string;
  name: string;
  url: string;
  token: string;
  fingerprint: string | null;
  ca_pem: string | null;
  created_at: string;
  last_seen_at: string | null;
}

/**
 * The machines this server links, the sessions each one had when last heard from (listed while
 * it is offline), and a mirror of their numbered events: what a phone subscribing here is
 * replayed, online or not (decision 060). Tables from the machines migration (src/server/storage/database.ts).
 */
export class MachineStore {
  private readonly q;

  constructor(private readonly db: Database) {
    this.q = {
      machines: db.query<MachineRow, []>("SELECT * FROM machines ORDER BY created_at, id"),
      insertMachine: db.query(
        `INSERT INTO machines (id, name, url, token, fingerprint, ca_pem, created_at, last_seen_at)
         VALUES ($id, $name, $url, $token, $fingerprint, $caPem, $createdAt, $lastSeenAt)`,
      ),
      updateMachine: db.query(
        "UPDATE machines SET name = $name, token = $token, fingerprint = $fingerprint, ca_pem = $caPem WHERE id = $id",
      ),
      seen: db.query<never, [string, string]>("UPDATE machines SET last_seen_at = ? WHERE id = ?"),
      deleteMachine: db.query<never, [string]>("DELETE FROM machines WHERE id = ?"),
      sessions: db.query<{ machine_id: string; session: string }, []>(
        "SELECT machine_id, session FROM machine_sessions",
      ),
      upsertSession: db.query<never, [string, string, string]>(
        `INSERT INTO machine_sessions (session_id, machine_id, session) VALUES (?, ?, ?)
         ON CONFLICT (session_id) DO UPDATE SET session = excluded.session
         WHERE machine_sessions.machine_id = excluded.machine_id`,
      ),
      deleteSession: db.query<never, [string]>("DELETE FROM machine_sessions WHERE session_id = ?"),
      insertEvent: db.query<never, [string, number, string, string | null, string]>(
        "INSERT OR IGNORE INTO machine_events (session_id, seq, type, request_id, payload) VALUES (?, ?, ?, ?, ?)",
      ),
      deleteTurnDeltas: db.query<never, [string, string]>(
        "DELETE FROM machine_events WHERE session_id = ? AND request_id = ? AND type = 'chat:delta'",
      ),
      maxSeq: db.query<{ seq: number | null }, [string]>(
        "SELECT MAX(seq) AS seq FROM machine_events WHERE session_id = ?",
      ),
      eventsAfter: db.query<{ type: string; payload: string }, [string, number]>(
        "SELECT type, payload FROM machine_events WHERE session_id = ? AND seq > ? ORDER BY seq",
      ),
      eventsBefore: db.query<{ type: string; payload: string }, [string, number, number]>(
        "SELECT type, payload FROM machine_events WHERE session_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
      ),
      turnEvents: db.query<{ type: string; payload: string }, [string, string]>(
        "SELECT type, payload FROM machine_events WHERE session_id = ? AND request_id = ? ORDER BY seq",
      ),
      // An attachment's id is written `"id":"<uuid>"` only in a chat:queued's attachments (other ids are `…Id`).
      attachment: db.query<{ session_id: string; payload: string }, [string]>(
        "SELECT session_id, payload FROM machine_events WHERE type = 'chat:queued' AND instr(payload, ?) > 0 LIMIT 1",
      ),
      searchMessages: db.query<{ session_id: string; type: string; payload: string }, [string]>(
        "SELECT session_id, type, payload FROM machine_events WHERE type IN ('chat:queued', 'chat:response') AND instr(lower(payload), ?) > 0 ORDER BY seq DESC",
      ),
      nthLastTurnStart: db.query<{ seq: number }, [string, number]>(
        "SELECT seq FROM machine_events WHERE session_id = ? AND type = 'chat:queued' ORDER BY seq DESC LIMIT 1 OFFSET ?",
      ),
    };
  }

  machines(): MachineRecord[] {
    return this.q.machines.all().map(toRecord);
  }

  insert(record: MachineRecord): void {
    this.q.insertMachine.run({
      id: record.id,
      name: record.name,
      url: record.url,
      token: record.token,
      fingerprint: record.pin?.fingerprint ?? null,
      caPem: record.pin?.pem ?? null,
      createdAt: record.createdAt,
      lastSeenAt: record.lastSeenAt,
    });
  }

  /** A new token (the machine was added again) or a newly confirmed certificate. */
  update(record: Pick<MachineRecord, "id" | "name" | "token" | "pin">): void {
    this.q.updateMachine.run({
      id: record.id,
      name: record.name,
      token: record.token,
      fingerprint: record.pin?.fingerprint ?? null,
      caPem: record.pin?.pem ?? null,
    });
  }

  markSeen(machineId: string, at: string): void {
    this.q.seen.run(at, machineId);
  }

  /** The machine, its cached sessions and their mirrored events (cascade). */
  delete(machineId: string): void {
    this.q.deleteMachine.run(machineId);
  }

  /** Every cached session, by machine. */
  sessions(): { machineId: string; session: Session }[] {
    return this.q.sessions.all().map((row) => ({ machineId: row.machine_id, session: JSON.parse(row.session) }));
  }

  /** Caches what the machine said of a session (a session id never moves to another machine). */
  saveSession(machineId: string, session: Session): void {
    this.q.upsertSession.run(session.id, machineId, JSON.stringify(session));
  }

  /** Forgets a session and its mirrored events (cascade). */
  deleteSession(sessionId: string): void {
    this.q.deleteSession.run(sessionId);
  }

  /**
   * Mirrors a batch of events in one transaction, in order; for each, false when it was already
   * there (same session and seq): a replay after a reconnect overlaps what arrived live, and only
   * the first copy may reach the phones. All or nothing: a failure stores none of them.
   */
  saveEvents(events: readonly SessionEvent[]): boolean[] {
    return this.db.transaction(() => events.map((event) => this.insertEvent(event)))();
  }

  private insertEvent(event: SessionEvent): boolean {
    const { sessionId, seq } = event.payload;
    const requestId = "requestId" in event.payload ? event.payload.requestId : null;
    const result = this.q.insertEvent.run(sessionId, seq, event.type, requestId, JSON.stringify(event.payload));
    // As the machine itself does (decision 022): an answered turn's text is in its response.
    if (result.changes > 0 && event.type === "chat:response") {
      this.q.deleteTurnDeltas.run(sessionId, event.payload.requestId);
    }
    return result.changes > 0;
  }

  /** The highest seq mirrored for a session (0 when none): where catching up starts. */
  maxSeq(sessionId: string): number {
    return this.q.maxSeq.get(sessionId)?.seq ?? 0;
  }

  eventsAfter(sessionId: string, afterSeq: number): SessionEvent[] {
    return this.q.eventsAfter.all(sessionId, afterSeq).map(toEvent);
  }

  /** The `limit` events just before `beforeSeq`, oldest first, and whether older ones exist. */
  eventsBefore(sessionId: string, beforeSeq: number, limit: number): { events: SessionEvent[]; hasMore: boolean } {
    const rows = this.q.eventsBefore.all(sessionId, beforeSeq, limit + 1);
    return { events: rows.slice(0, limit).reverse().map(toEvent), hasMore: rows.length > limit };
  }

  turnEvents(sessionId: string, requestId: string): SessionEvent[] {
    return this.q.turnEvents.all(sessionId, requestId).map(toEvent);
  }

  /** The mirrored session whose message named this image, with what it said of it (decision 063). */
  attachment(id: string): { sessionId: string; info: AttachmentInfo } | null {
    const row = this.q.attachment.get(`"id":"${id}"`);
    if (!row) return null;
    const { attachments } = JSON.parse(row.payload) as { attachments?: AttachmentInfo[] };
    const info = attachments?.find((a) => a.id === id);
    return info ? { sessionId: row.session_id, info } : null;
  }

  /** Where each mirrored session's messages contain the query (newest match first), as this server's own search finds it. */
  searchMessages(query: string): Map<string, string> {
    const found = new Map<string, string>();
    for (const row of this.q.searchMessages.all(jsonNeedle(query))) {
      if (found.has(row.session_id)) continue;
      const snippet = messageSnippet(row.type, row.payload, query);
      if (snippet !== undefined) found.set(row.session_id, snippet);
    }
    return found;
  }

  /** The seq of the `count`-th most recent user message, or null when the session has fewer. */
  nthLastTurnStart(sessionId: string, count: number): number | null {
    return this.q.nthLastTurnStart.get(sessionId, count - 1)?.seq ?? null;
  }
}

function toRecord(row: MachineRow): MachineRecord {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    token: row.token,
    pin: row.fingerprint ? { fingerprint: row.fingerprint, pem: row.ca_pem } : null,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

/** Rows are written only from payloads checked against the protocol's schemas when they arrived. */
function toEvent(row: { type: string; payload: string }): SessionEvent {
  return { type: row.type, payload: JSON.parse(row.payload) } as SessionEvent;
}
