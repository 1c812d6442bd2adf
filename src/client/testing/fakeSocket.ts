/**
 * An in-memory stand-in for the Socket.IO client socket and the server behind
 * it, for running the real chat machine in `bun test` without a network.
 *
 * The fake server validates every request with the shared Zod schemas and
 * answers like the real one: replies echo the requestId, errors go to the
 * namespace's `*:error`, session events carry increasing seqs and are replayed
 * on subscribe. Replies are delivered asynchronously (like a network), and the
 * test can mute a request kind (to provoke timeouts), inject stray events, drop
 * the connection and bring it back.
 */
import {
  type ClaudeSession,
  type ClientEventName,
  type ClientMessage,
  type ClientPayload,
  clientEvents,
  describeIssues,
  type ErrorCode,
  errorCodeMeaning,
  errorEventFor,
  LIMITS,
  type Machine,
  type Project,
  requestIdOf,
  type ServerEventName,
  type ServerPayload,
  type Session,
  type SessionEvent,
  type SlashCommand,
} from "../../shared/messages.ts";
import type { ChatSocket } from "../connection/socket.ts";

type Listener = (...args: never[]) => void;

interface Turn {
  requestId: string;
  message: string;
  logs: string[];
  text: string;
}

interface SessionState {
  session: Session;
  events: SessionEvent[];
  running: Turn | null;
  queue: Turn[];
  seen: Set<string>;
  pendingPermissions: Set<string>;
}

export interface FakeServerOptions {
  serverVersion?: string;
  /** Finish each turn right after it starts with this reply (otherwise the test drives it). */
  autoReply?: string | null;
}

/** Lets the event loop deliver pending fake network traffic. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class FakeServer {
  readonly sessions = new Map<string, SessionState>();
  /** Request kinds the server silently ignores (to test timeouts). */
  readonly muted = new Set<ClientEventName>();
  /** Every request the server received, in order. */
  readonly received: ClientMessage[] = [];
  /** When false, connection attempts fail with connect_error. */
  reachable = true;
  /** When set, the handshake is refused with this code (like the auth middleware). */
  refuse: ErrorCode | null = null;
  /** Whether `session:update` may switch a session to bypassPermissions (the real server needs IS_SANDBOX as root). */
  bypassAllowed = true;
  autoReply: string | null;
  readonly serverVersion: string;
  /** What `project:list` answers. */
  projects: Project[] = [];
  /** Claude Code's sessions by project path, for `project:sessions` and `session:import`. */
  claudeSessions = new Map<string, ClaudeSession[]>();
  readonly vapidPublicKey = `B${"x".repeat(86)}`;
  /** Devices with notifications on, by endpoint → deviceId. */
  readonly pushDevices = new Map<string, string>();
  /** What `commands:list` answers for every session. */
  commands: SlashCommand[] = [];
  /** The machines `connection` lists (none: an older server, which has no machines). */
  machines: Machine[] | undefined = undefined;
  /** The last `presence:update` received. */
  presence: { visible: boolean; sessionId?: string } | null = null;
  private clock = Date.parse("2026-01-01T00:00:00.000Z");
  private socket: FakeSocket | null = null;
  private readonly rooms = new Set<string>();

  constructor(options: FakeServerOptions = {}) {
    this.serverVersion = options.serverVersion ?? "0.0.0-test";
    this.autoReply = options.autoReply ?? null;
  }

  attach(socket: FakeSocket): void {
    this.socket = socket;
  }

  now(): string {
    this.clock += 1_000;
    return new Date(this.clock).toISOString();
  }

  /** Adds a session directly (as if created earlier). */
  addSession(overrides: Partial<Session> = {}): Session {
    const at = this.now();
    const session: Session = {
      id: crypto.randomUUID(),
      title: "Untitled",
      model: "sonnet",
      cwd: "/work/project",
      project: "/work/project",
      permissionMode: "default",
      status: "idle",
      queued: 0,
      pendingPermissions: 0,
      lastSeq: 0,
      createdAt: at,
      updatedAt: at,
      pinned: false,
      archived: false,
      ...overrides,
    };
    this.sessions.set(session.id, {
      session,
      events: [],
      running: null,
      queue: [],
      seen: new Set(),
      pendingPermissions: new Set(),
    });
    return session;
  }

  requests<K extends ClientEventName>(type: K): ClientPayload<K>[] {
    const found: ClientPayload<K>[] = [];
    for (const message of this.received) if (message.type === type) found.push(message.payload as ClientPayload<K>);
    return found;
  }

  // -- connection -----------------------------------------------------------

  onConnected(): void {
    this.rooms.clear();
    this.emit("connection", {
      status: "connected",
      sessions: [...this.sessions.values()].map((s) => s.session),
      serverVersion: this.serverVersion,
      push: { vapidPublicKey: this.vapidPublicKey },
      ...(this.machines ? { machines: this.machines } : {}),
    });
  }

  onDisconnected(): void {
    this.rooms.clear();
  }

  isSubscribed(sessionId: string): boolean {
    return this.rooms.has(sessionId);
  }

  // -- requests ---------------------------------------------------------------

  handle(message: ClientMessage): void {
    this.received.push(message);
    if (this.muted.has(message.type)) return;
    const schema = clientEvents[message.type];
    const parsed = schema.safeParse(message.payload);
    if (!parsed.success) {
      this.fail(message.type, "INVALID_PAYLOAD", describeIssues(parsed.error), requestIdOf(message.payload));
      return;
    }
    switch (message.type) {
      case "session:list":
        this.emit("session:list", {
          sessions: [...this.sessions.values()].map((s) => s.session),
          requestId: message.payload.requestId,
        });
        return;
      case "session:create": {
        const { requestId, model, title, permissionMode, cwd } = message.payload;
        const session = this.addSession({
          model: model ?? "sonnet",
          title: title ?? "New session",
          permissionMode: permissionMode ?? "default",
          ...(cwd ? { cwd, project: cwd } : {}),
        });
        this.rooms.add(session.id);
        this.emit("session:created", { ...session, requestId });
        return;
      }
      case "session:subscribe": {
        const { sessionId, afterSeq, requestId } = message.payload;
        const state = this.sessions.get(sessionId);
        if (!state) {
          this.fail("session:subscribe", "SESSION_NOT_FOUND", "no such session", requestId, sessionId);
          return;
        }
        this.rooms.add(sessionId);
        const replay =
          afterSeq === undefined
            ? state.events.slice(tailStart(state.events))
            : state.events.filter((e) => e.payload.seq > afterSeq);
        for (const event of replay) this.emitSessionEvent(event);
        const fromSeq = replay[0]?.payload.seq ?? state.session.lastSeq + 1;
        this.emit("session:subscribed", { sessionId, requestId, fromSeq, lastSeq: state.session.lastSeq });
        return;
      }
      case "session:history": {
        const { sessionId, beforeSeq, limit, requestId } = message.payload;
        const state = this.sessions.get(sessionId);
        if (!state) {
          this.fail("session:history", "SESSION_NOT_FOUND", "no such session", requestId, sessionId);
          return;
        }
        const older = state.events.filter((e) => e.payload.seq < beforeSeq);
        const page = older.slice(-(limit ?? 100));
        this.emit("session:history", { sessionId, requestId, events: page, hasMore: older.length > page.length });
        return;
      }
      case "chat:send": {
        const { sessionId, requestId, message: text } = message.payload;
        const state = this.sessions.get(sessionId);
        if (!state) {
          this.fail("chat:send", "SESSION_NOT_FOUND", "no such session", requestId, sessionId);
          return;
        }
        if (state.seen.has(requestId)) return; // idempotent: already stored
        state.seen.add(requestId);
        const turn: Turn = { requestId, message: text, logs: [], text: "" };
        const attachments = message.payload.attachments?.map(({ name, mediaType, data }) => ({
          id: crypto.randomUUID(),
          name,
          mediaType,
          size: data.byteLength,
        }));
        this.record(state, {
          type: "chat:queued",
          payload: {
            ...this.base(state),
            requestId,
            message: text,
            ...(attachments ? { attachments } : {}),
            at: this.now(),
          },
        });
        if (state.running) {
          state.queue.push(turn);
          this.update(state, { queued: state.queue.length });
        } else {
          this.start(state, turn);
        }
        return;
      }
      case "chat:cancel": {
        const { sessionId, targetRequestId, requestId } = message.payload;
        const state = this.sessions.get(sessionId);
        if (!state) {
          this.fail("chat:cancel", "SESSION_NOT_FOUND", "no such session", requestId, sessionId);
          return;
        }
        if (state.running?.requestId === targetRequestId) {
          this.endTurn(state, { code: "CANCELLED" });
          return;
        }
        const index = state.queue.findIndex((t) => t.requestId === targetRequestId);
        if (index === -1) {
          this.fail("chat:cancel", "TURN_NOT_FOUND", errorCodeMeaning.TURN_NOT_FOUND, requestId, sessionId);
          return;
        }
        state.queue.splice(index, 1);
        this.recordError(state, targetRequestId, "CANCELLED");
        this.update(state, { queued: state.queue.length });
        return;
      }
      case "session:update": {
        const { sessionId, requestId, title, model, permissionMode, pinned, archived } = message.payload;
        const state = this.sessions.get(sessionId);
        if (!state) {
          this.fail("session:update", "SESSION_NOT_FOUND", "no such session", requestId, sessionId);
          return;
        }
        if (permissionMode === "bypassPermissions" && !this.bypassAllowed) {
          this.fail(
            "session:update",
            "BYPASS_NOT_ALLOWED",
            "Claude Code refuses to skip permission checks when run as root unless IS_SANDBOX=1 is set on the server.",
            requestId,
            sessionId,
          );
          return;
        }
        state.session = {
          ...state.session,
          ...(title ? { title } : {}),
          ...(model ? { model } : {}),
          ...(permissionMode ? { permissionMode } : {}),
          ...(pinned === undefined ? {} : { pinned }),
          ...(archived === undefined ? {} : { archived }),
          updatedAt: this.now(),
        };
        this.emit("session:updated", { session: state.session, requestId });
        return;
      }
      case "session:delete": {
        const { sessionId, requestId } = message.payload;
        if (!this.sessions.delete(sessionId)) {
          this.fail("session:delete", "SESSION_NOT_FOUND", "no such session", requestId, sessionId);
          return;
        }
        this.emit("session:deleted", { sessionId, requestId });
        return;
      }
      case "session:unsubscribe": {
        const { sessionId, requestId } = message.payload;
        if (!this.sessions.has(sessionId)) {
          this.fail("session:unsubscribe", "SESSION_NOT_FOUND", "no such session", requestId, sessionId);
          return;
        }
        this.rooms.delete(sessionId);
        this.emit("session:unsubscribed", { sessionId, requestId });
        return;
      }
      case "permission:respond": {
        const { sessionId, permissionId, decision, requestId, message: reason } = message.payload;
        const state = this.sessions.get(sessionId);
        const turn = state?.running;
        if (!state || !turn || !state.pendingPermissions.has(permissionId)) {
          this.fail("permission:respond", "PERMISSION_NOT_PENDING", errorCodeMeaning.PERMISSION_NOT_PENDING, requestId);
          return;
        }
        this.resolvePermission(sessionId, permissionId, decision, decision === "deny" ? reason : undefined);
        return;
      }
      case "project:list":
        this.emit("project:list", { projects: this.projects, requestId: message.payload.requestId });
        return;
      case "project:sessions": {
        const { path, requestId, limit = LIMITS.projectSessionsPage, offset = 0 } = message.payload;
        const all = this.claudeSessions.get(path);
        if (!all) {
          this.fail("project:sessions", "INVALID_WORKDIR", errorCodeMeaning.INVALID_WORKDIR, requestId);
          return;
        }
        const sessions = all.slice(offset, offset + limit).map((claude) => {
          const importedAs = this.continuing(claude.claudeSessionId)?.id;
          return importedAs ? { ...claude, importedAs } : claude;
        });
        this.emit("project:sessions", { path, sessions, hasMore: offset + limit < all.length, requestId });
        return;
      }
      case "session:import": {
        const { claudeSessionId, path, requestId } = message.payload;
        const claude = this.claudeSessions.get(path)?.find((c) => c.claudeSessionId === claudeSessionId);
        if (!claude) {
          this.fail("session:import", "SESSION_NOT_FOUND", "no such Claude Code session", requestId);
          return;
        }
        const session =
          this.continuing(claudeSessionId) ??
          this.addSession({
            title: claude.summary,
            cwd: path,
            project: path,
            claudeSessionId: claude.inUse ? crypto.randomUUID() : claudeSessionId,
            ...(claude.inUse ? { forkedFrom: claudeSessionId } : {}),
          });
        this.rooms.add(session.id);
        this.emit("session:created", { ...session, requestId });
        return;
      }
      case "push:subscribe": {
        const { subscription, requestId } = message.payload;
        const deviceId = this.pushDevices.get(subscription.endpoint) ?? crypto.randomUUID();
        this.pushDevices.set(subscription.endpoint, deviceId);
        this.emit("push:subscribed", { deviceId, requestId });
        return;
      }
      case "push:unsubscribe": {
        this.pushDevices.delete(message.payload.endpoint);
        this.emit("push:unsubscribed", { requestId: message.payload.requestId });
        return;
      }
      case "push:test": {
        const { requestId } = message.payload;
        if (this.pushDevices.size === 0) {
          this.fail("push:test", "PUSH_NOT_SUBSCRIBED", errorCodeMeaning.PUSH_NOT_SUBSCRIBED, requestId);
          return;
        }
        this.emit("push:tested", { sent: this.pushDevices.size, requestId });
        return;
      }
      case "session:search": {
        // Titles and user messages, case-insensitively (the real server's rules: src/server/sessions/store.ts).
        const { query, requestId } = message.payload;
        const needle = query.toLowerCase();
        const results = [...this.sessions.values()]
          .filter(
            (state) =>
              state.session.title.toLowerCase().includes(needle) ||
              state.events.some(
                (event) => event.type === "chat:queued" && event.payload.message.toLowerCase().includes(needle),
              ),
          )
          .map((state) => ({ sessionId: state.session.id }));
        this.emit("session:found", { query, requestId, results });
        return;
      }
      case "commands:list": {
        const { sessionId, requestId } = message.payload;
        if (!this.sessions.has(sessionId)) {
          this.fail("commands:list", "SESSION_NOT_FOUND", "no such session", requestId, sessionId);
          return;
        }
        this.emit("commands:result", { sessionId, requestId, commands: this.commands });
        return;
      }
      case "presence:update": {
        const { visible, sessionId } = message.payload;
        this.presence = sessionId ? { visible, sessionId } : { visible };
        return;
      }
      case "changes:get":
      case "file:read":
      case "permission:rules":
      case "permission:revoke":
      case "machine:list":
      case "machine:add":
      case "machine:remove":
      case "machine:trust":
      case "machine:ping":
        // The chat machine never asks for these; the sheets that do are tested against the real server.
        this.fail(message.type, "UNKNOWN_EVENT", errorCodeMeaning.UNKNOWN_EVENT, message.payload.requestId);
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled ${JSON.stringify(unreachable)}`);
      }
    }
  }

  // -- driving a turn from the test --------------------------------------------

  running(sessionId: string): string | null {
    return this.sessions.get(sessionId)?.running?.requestId ?? null;
  }

  delta(sessionId: string, text: string): void {
    const state = this.must(sessionId);
    const turn = state.running;
    if (!turn) throw new Error("no running turn");
    turn.text += text;
    this.record(state, { type: "chat:delta", payload: { ...this.base(state), requestId: turn.requestId, text } });
  }

  log(sessionId: string, data: unknown): void {
    const state = this.must(sessionId);
    const turn = state.running;
    if (!turn) throw new Error("no running turn");
    const json = JSON.stringify(data);
    turn.logs.push(json);
    this.record(state, { type: "log", payload: { ...this.base(state), requestId: turn.requestId, data: json } });
  }

  /** The running turn asks to use a tool; returns the permissionId. */
  askPermission(
    sessionId: string,
    toolName: string,
    input: Record<string, unknown>,
    extra: { title?: string; description?: string; suggestions?: unknown[] } = {},
  ): string {
    const state = this.must(sessionId);
    const turn = state.running;
    if (!turn) throw new Error("no running turn");
    const permissionId = crypto.randomUUID();
    state.pendingPermissions.add(permissionId);
    this.record(state, {
      type: "permission:request",
      payload: {
        ...this.base(state),
        requestId: turn.requestId,
        permissionId,
        toolName,
        input,
        ...(extra.title ? { title: extra.title } : {}),
        ...(extra.description ? { description: extra.description } : {}),
        suggestions: extra.suggestions ?? [],
      },
    });
    this.update(state, { pendingPermissions: state.pendingPermissions.size });
    return permissionId;
  }

  /** Resolves a pending permission (as an answer from this or any other device, or a cancellation would). */
  resolvePermission(
    sessionId: string,
    permissionId: string,
    decision: "allow" | "deny" | "allow_always" | "cancelled",
    message?: string,
  ): void {
    const state = this.must(sessionId);
    const turn = state.running;
    if (!turn || !state.pendingPermissions.delete(permissionId)) throw new Error("not pending");
    this.record(state, {
      type: "permission:resolved",
      payload: {
        ...this.base(state),
        requestId: turn.requestId,
        permissionId,
        decision,
        ...(message ? { message } : {}),
      },
    });
    this.update(state, { pendingPermissions: state.pendingPermissions.size });
  }

  finish(sessionId: string, response?: string): void {
    this.endTurn(this.must(sessionId), { response });
  }

  failTurn(sessionId: string, code: ErrorCode): void {
    this.endTurn(this.must(sessionId), { code });
  }

  /** Sends any server event as is (stray replies, duplicates, other sessions' events…). */
  emit<K extends ServerEventName>(event: K, payload: ServerPayload<K>): void {
    this.socket?.deliver(event, payload);
  }

  /** Sends what no server of this app's version sends: an unknown event, a malformed payload. */
  emitRaw(event: string, payload: unknown): void {
    this.socket?.deliver(event, payload);
  }

  /**
   * Stores and sends a session event of a type this app does not know, as a newer server would:
   * it is replayed on subscribe and returned by `session:history` like any other.
   */
  recordUnknown(sessionId: string, type: string, fields: Record<string, unknown> = {}): number {
    const state = this.must(sessionId);
    const payload = { ...this.base(state), ...fields };
    // Deliberately outside the SessionEvent union: that is the point of the event.
    state.events.push({ type, payload } as unknown as SessionEvent);
    if (this.rooms.has(sessionId)) this.emitRaw(type, payload);
    return payload.seq;
  }

  // -- internals ----------------------------------------------------------------

  private must(sessionId: string): SessionState {
    const state = this.sessions.get(sessionId);
    if (!state) throw new Error(`no session ${sessionId}`);
    return state;
  }

  private base(state: SessionState): { sessionId: string; seq: number } {
    const seq = state.session.lastSeq + 1;
    state.session = { ...state.session, lastSeq: seq };
    return { sessionId: state.session.id, seq };
  }

  private record(state: SessionState, event: SessionEvent): void {
    state.events.push(event);
    this.emitSessionEvent(event);
  }

  private recordError(state: SessionState, requestId: string, code: ErrorCode): void {
    this.record(state, {
      type: "chat:error",
      payload: { ...this.base(state), requestId, code, message: errorCodeMeaning[code] },
    });
  }

  private emitSessionEvent(event: SessionEvent): void {
    if (!this.rooms.has(event.payload.sessionId)) return;
    switch (event.type) {
      case "chat:queued":
        this.emit("chat:queued", event.payload);
        break;
      case "chat:started":
        this.emit("chat:started", event.payload);
        break;
      case "chat:delta":
        this.emit("chat:delta", event.payload);
        break;
      case "log":
        this.emit("log", event.payload);
        break;
      case "chat:response":
        this.emit("chat:response", event.payload);
        break;
      case "chat:error":
        this.emit("chat:error", event.payload);
        break;
      case "chat:notice":
        this.emit("chat:notice", event.payload);
        break;
      case "permission:request":
        this.emit("permission:request", event.payload);
        break;
      case "permission:resolved":
        this.emit("permission:resolved", event.payload);
        break;
      default: {
        // A type recorded by recordUnknown: replayed under its own name.
        const unknown: { type: string; payload: unknown } = event;
        this.emitRaw(unknown.type, unknown.payload);
      }
    }
  }

  private start(state: SessionState, turn: Turn): void {
    state.running = turn;
    this.record(state, {
      type: "chat:started",
      payload: { ...this.base(state), requestId: turn.requestId, at: this.now() },
    });
    this.update(state, { status: "running", queued: state.queue.length });
    if (this.autoReply !== null) {
      const reply = this.autoReply;
      setTimeout(() => {
        if (state.running === turn) {
          this.delta(state.session.id, reply);
          this.finish(state.session.id, reply);
        }
      }, 0);
    }
  }

  private endTurn(state: SessionState, outcome: { response?: string; code?: ErrorCode }): void {
    const turn = state.running;
    if (!turn) throw new Error("no running turn");
    if (outcome.code) {
      this.recordError(state, turn.requestId, outcome.code);
    } else {
      this.record(state, {
        type: "chat:response",
        payload: {
          ...this.base(state),
          requestId: turn.requestId,
          response: outcome.response ?? turn.text,
          logs: turn.logs,
          durationMs: 1234,
          costUsd: 0.01,
        },
      });
    }
    state.running = null;
    state.pendingPermissions.clear();
    const next = state.queue.shift();
    if (next) this.start(state, next);
    else this.update(state, { status: "idle", queued: 0 });
  }

  private update(state: SessionState, patch: Partial<Session>): void {
    state.session = { ...state.session, ...patch, updatedAt: this.now() };
    this.emit("session:updated", { session: state.session });
  }

  private fail(event: ClientEventName, code: ErrorCode, message: string, requestId: string, sessionId?: string): void {
    const payload = { code, message, requestId, ...(sessionId ? { sessionId } : {}) };
    const target = errorEventFor(event);
    if (target === "chat:error") this.emit("chat:error", payload);
    else if (target === "permission:error") this.emit("permission:error", payload);
    else if (target === "project:error") this.emit("project:error", payload);
    else if (target === "push:error") this.emit("push:error", payload);
    else this.emit("session:error", payload);
  }

  private continuing(claudeSessionId: string): Session | undefined {
    for (const { session } of this.sessions.values()) {
      if (session.forkedFrom === claudeSessionId || session.claudeSessionId === claudeSessionId) return session;
    }
    return undefined;
  }
}

/** Implements the part of the Socket.IO client the machine uses, wired to a `FakeServer`. */
export class FakeSocket implements ChatSocket {
  connected = false;
  active = false;
  /** How many times the machine asked to connect. */
  connectCalls = 0;
  readonly server: FakeServer;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<(event: string, ...args: unknown[]) => void>();

  constructor(server: FakeServer = new FakeServer()) {
    this.server = server;
    server.attach(this);
  }

  on<K extends ServerEventName>(event: K, listener: (payload: ServerPayload<K>) => void): this;
  on(event: "connect", listener: () => void): this;
  on(event: "disconnect", listener: (reason: string) => void): this;
  on(event: "connect_error", listener: (error: Error) => void): this;
  on(event: string, listener: Listener): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  off<K extends ServerEventName>(event: K, listener: (payload: ServerPayload<K>) => void): this;
  off(event: "connect", listener: () => void): this;
  off(event: "disconnect", listener: (reason: string) => void): this;
  off(event: "connect_error", listener: (error: Error) => void): this;
  off(event: string, listener: Listener): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  onAny(listener: (event: string, ...args: unknown[]) => void): this {
    this.anyListeners.add(listener);
    return this;
  }

  offAny(listener: (event: string, ...args: unknown[]) => void): this {
    this.anyListeners.delete(listener);
    return this;
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  emit<K extends ClientEventName>(event: K, payload: ClientPayload<K>): this {
    if (!this.connected) return this; // a real socket would buffer; the machine never relies on it
    const message = { type: event, payload } as ClientMessage;
    setTimeout(() => {
      if (this.connected) this.server.handle(message);
    }, 0);
    return this;
  }

  connect(): this {
    this.active = true;
    if (this.connected) return this;
    this.connectCalls += 1;
    setTimeout(() => this.attempt(), 0);
    return this;
  }

  disconnect(): this {
    const was = this.connected;
    this.active = false;
    this.connected = false;
    if (was) {
      this.server.onDisconnected();
      this.fire("disconnect", "io client disconnect");
    }
    return this;
  }

  // -- test controls -------------------------------------------------------------

  /** Connects synchronously (for "already connected before the machine started"). */
  openNow(): void {
    this.active = true;
    this.connected = true;
  }

  /** The network drops: Socket.IO will try to reconnect on its own (the test calls `reconnect()`). */
  drop(reason = "transport close"): void {
    if (!this.connected) return;
    this.connected = false;
    this.server.onDisconnected();
    this.fire("disconnect", reason);
  }

  /** The server closed the connection itself: Socket.IO does not reconnect by itself. */
  kick(): void {
    if (!this.connected) return;
    this.connected = false;
    this.active = false;
    this.server.onDisconnected();
    this.fire("disconnect", "io server disconnect");
  }

  /** What Socket.IO's backoff timer would do. */
  reconnect(): void {
    this.attempt();
  }

  /** Delivers a server event; `event` and `payload` may be anything a newer or broken server sends. */
  deliver(event: string, payload: unknown): void {
    setTimeout(() => {
      if (!this.connected) return;
      for (const listener of [...this.anyListeners]) listener(event, payload);
      this.fire(event, payload);
    }, 0);
  }

  private attempt(): void {
    if (this.connected || !this.active) return;
    if (!this.server.reachable) {
      this.fire("connect_error", new Error("xhr poll error"));
      return;
    }
    if (this.server.refuse) {
      // A middleware refusal: Socket.IO does not retry by itself.
      this.active = false;
      this.fire("connect_error", Object.assign(new Error("unauthorized"), { data: { code: this.server.refuse } }));
      return;
    }
    this.connected = true;
    this.fire("connect");
    this.server.onConnected();
  }

  private fire(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) Reflect.apply(listener, undefined, args);
  }
}

/** Where the server's replay without `afterSeq` starts: the last `LIMITS.tailTurns` turns. */
function tailStart(events: readonly SessionEvent[]): number {
  let turns = 0;
  for (let index = events.length - 1; index >= 0; index--) {
    if (events[index]?.type === "chat:queued" && ++turns === LIMITS.tailTurns) return index;
  }
  return 0;
}
