/**
 * All SQL of Web Push: the devices with notifications on (one per push endpoint) and the one-time
 * action tokens of permission notifications. Tables: migration 4 in src/server/storage/database.ts.
 */
import type { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { PUSH_EVENT_KINDS, type PushEventKind } from "../../shared/messages.ts";

export interface PushDevice {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** When the browser says the subscription ends (ms since the epoch), if it says. */
  expirationTime: number | null;
  name: string;
  events: PushEventKind[];
  createdAt: string;
  updatedAt: string;
  lastSentAt: string | null;
  lastFailedAt: string | null;
  lastError: string | null;
}

export interface DeviceInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  expirationTime: number | null;
  name: string;
  events: PushEventKind[];
}

interface DeviceRow {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  expiration_time: number | null;
  name: string;
  events: string;
  created_at: string;
  updated_at: string;
  last_sent_at: string | null;
  last_failed_at: string | null;
  last_error: string | null;
}

interface TokenRow {
  permission_id: string;
  session_id: string;
  expires_at: number;
  used_at: number | null;
}

export type TokenCheck = { ok: true; sessionId: string } | { ok: false; reason: "invalid" | "used" | "expired" };

const toDevice = (r: DeviceRow): PushDevice => ({
  id: r.id,
  endpoint: r.endpoint,
  keys: { p256dh: r.p256dh, auth: r.auth },
  expirationTime: r.expiration_time,
  name: r.name,
  events: parseEvents(r.events),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastSentAt: r.last_sent_at,
  lastFailedAt: r.last_failed_at,
  lastError: r.last_error,
});

function parseEvents(text: string): PushEventKind[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? PUSH_EVENT_KINDS.filter((kind) => value.includes(kind)) : [];
  } catch {
    return [];
  }
}

const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("base64url");

export class PushStore {
  private readonly q;

  constructor(private readonly db: Database) {
    this.q = {
      byEndpoint: db.query<DeviceRow, [string]>("SELECT * FROM push_devices WHERE endpoint = ?"),
      byId: db.query<DeviceRow, [string]>("SELECT * FROM push_devices WHERE id = ?"),
      all: db.query<DeviceRow, []>("SELECT * FROM push_devices ORDER BY created_at"),
      count: db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM push_devices"),
      insert: db.query(
        `INSERT INTO push_devices (id, endpoint, p256dh, auth, expiration_time, name, events, created_at, updated_at)
         VALUES ($id, $endpoint, $p256dh, $auth, $expirationTime, $name, $events, $now, $now)`,
      ),
      update: db.query(
        `UPDATE push_devices SET p256dh = $p256dh, auth = $auth, expiration_time = $expirationTime, name = $name,
           events = $events, updated_at = $now WHERE id = $id`,
      ),
      oldest: db.query<{ id: string }, []>("SELECT id FROM push_devices ORDER BY updated_at LIMIT 1"),
      deleteById: db.query<unknown, [string]>("DELETE FROM push_devices WHERE id = ?"),
      sent: db.query<unknown, [string, string]>(
        "UPDATE push_devices SET last_sent_at = ?, last_error = NULL WHERE id = ?",
      ),
      failed: db.query<unknown, [string, string, string]>(
        "UPDATE push_devices SET last_failed_at = ?, last_error = ? WHERE id = ?",
      ),
      insertToken: db.query<unknown, [string, string, string, number]>(
        "INSERT INTO push_action_tokens (token_hash, permission_id, session_id, expires_at) VALUES (?, ?, ?, ?)",
      ),
      token: db.query<TokenRow, [string]>(
        "SELECT permission_id, session_id, expires_at, used_at FROM push_action_tokens WHERE token_hash = ?",
      ),
      markTokenUsed: db.query<unknown, [number, string]>(
        "UPDATE push_action_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
      ),
      pruneTokens: db.query<unknown, [number]>("DELETE FROM push_action_tokens WHERE expires_at < ?"),
      unspendToken: db.query<unknown, [string]>("UPDATE push_action_tokens SET used_at = NULL WHERE token_hash = ?"),
    };
  }

  /**
   * Adds a device, or updates the one with the same endpoint (keys, name, events). At most
   * `maxDevices`: beyond that the device updated longest ago is dropped to make room.
   */
  upsert(input: DeviceInput, maxDevices: number, now = new Date().toISOString()): PushDevice {
    return this.db.transaction(() => {
      const existing = this.q.byEndpoint.get(input.endpoint);
      const fields = {
        $p256dh: input.keys.p256dh,
        $auth: input.keys.auth,
        $expirationTime: input.expirationTime,
        $name: input.name,
        $events: JSON.stringify(input.events),
        $now: now,
      };
      if (existing) {
        this.q.update.run({ ...fields, $id: existing.id });
        return toDevice(this.q.byId.get(existing.id) as DeviceRow);
      }
      while ((this.q.count.get()?.n ?? 0) >= maxDevices) {
        const oldest = this.q.oldest.get();
        if (!oldest) break;
        this.q.deleteById.run(oldest.id);
      }
      const id = crypto.randomUUID();
      this.q.insert.run({ ...fields, $id: id, $endpoint: input.endpoint });
      return toDevice(this.q.byId.get(id) as DeviceRow);
    })();
  }

  get(id: string): PushDevice | null {
    const row = this.q.byId.get(id);
    return row ? toDevice(row) : null;
  }

  byEndpoint(endpoint: string): PushDevice | null {
    const row = this.q.byEndpoint.get(endpoint);
    return row ? toDevice(row) : null;
  }

  list(): PushDevice[] {
    return this.q.all.all().map(toDevice);
  }

  count(): number {
    return this.q.count.get()?.n ?? 0;
  }

  /** True when a device had this endpoint. */
  removeByEndpoint(endpoint: string): boolean {
    return this.db.run("DELETE FROM push_devices WHERE endpoint = ?", [endpoint]).changes > 0;
  }

  removeById(id: string): boolean {
    return this.db.run("DELETE FROM push_devices WHERE id = ?", [id]).changes > 0;
  }

  markSent(id: string, at: string): void {
    this.q.sent.run(at, id);
  }

  markFailed(id: string, at: string, error: string): void {
    this.q.failed.run(at, error.slice(0, 500), id);
  }

  /** Keeps a token's hash for one permission until `expiresAt`; old tokens are pruned here. */
  saveToken(token: string, permissionId: string, sessionId: string, expiresAt: number, now: number): void {
    // Kept a day past expiry, so a late tap still hears "expired" rather than "invalid".
    this.q.pruneTokens.run(now - 24 * 60 * 60_000);
    this.q.insertToken.run(hashToken(token), permissionId, sessionId, expiresAt);
  }

  /**
   * Spends a token on `permissionId`: valid once, for that permission only, until it expires.
   * A token presented for another permission is not spent.
   */
  spendToken(token: string, permissionId: string, now: number): TokenCheck {
    const hash = hashToken(token);
    return this.db.transaction((): TokenCheck => {
      const row = this.q.token.get(hash);
      if (!row || row.permission_id !== permissionId) return { ok: false, reason: "invalid" };
      if (row.used_at !== null) return { ok: false, reason: "used" };
      if (now >= row.expires_at) return { ok: false, reason: "expired" };
      this.q.markTokenUsed.run(now, hash);
      return { ok: true, sessionId: row.session_id };
    })();
  }

  /** The answer did not reach the permission's machine (offline): the tap can be tried again. */
  unspendToken(token: string): void {
    this.q.unspendToken.run(hashToken(token));
  }
}
