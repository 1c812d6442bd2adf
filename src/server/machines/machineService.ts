import type { Database } from "bun:sqlite";
import {
  type ClientEventName,
  type ClientPayload,
  checkMachineUrl,
  defaultMachineName,
  LIMITS,
  LOCAL_MACHINE_ID,
  type Machine,
  type ServerMessage,
  type Session,
  type SessionEvent,
  sessionEvents,
} from "../../shared/messages.ts";
import type { Bus } from "../bus.ts";
import { PocketError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { foldAscii } from "../sessions/searchText.ts";
import { DEFAULT_TIMING, type LinkState, type LinkTiming, RemoteLink } from "./link.ts";
import { MirrorBatch, type Mirrored } from "./mirrorBatch.ts";
import { fetchRemoteImage, type RemoteImage } from "./remoteImage.ts";
import type { RankedHit } from "./search.ts";
import { type MachineRecord, MachineStore } from "./store.ts";
import { type Pin, readPin } from "./tls.ts";

type PermissionRequestEvent = Extract<SessionEvent, { type: "permission:request" }>;

const log = createLogger("machines");

export interface MachineServiceOptions {
  db: Database;
  bus: Bus;
  /** This server's own name (config's `machineName`), listed as the `local` machine. */
  localName: string;
  /** Whether a session id is one of this server's own: a machine can never claim one. */
  isLocalSession: (sessionId: string) => boolean;
  /** This server's own origins: linking one of them would relay its sessions to itself. */
  ownOrigins?: () => string[];
  timing?: LinkTiming;
  /** How long a forwarded request waits for the machine's answer. */
  requestTimeoutMs?: number;
  /** How long `machine:add` waits for the machine's first answer. */
  addTimeoutMs?: number;
}

interface Linked {
  record: MachineRecord;
  link: RemoteLink;
  /** False while `machine:add` has not succeeded yet: its states are not announced. */
  announced: boolean;
  /** `machine:add` waiting for the first answer. */
  firstAnswer: ((state: LinkState) => void) | null;
  /** What the machine calls itself (its host name), from its `connection`. */
  remoteName?: string;
}

interface Pending {
  machineId: string;
  settles: (message: ServerMessage) => boolean;
  resolve: (message: ServerMessage) => void;
  reject: (error: PocketError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface MachineListeners {
  /** A machine's status, name or pin changed (to every client but links). */
  updated: (machine: Machine) => void;
  removed: (machineId: string, requestId: string) => void;
  /**
   * A message the machine broadcast to a session's watchers that is not a numbered event (today:
   * `permission:revoked` made by another client of the machine): to the watchers here, never to links.
   */
  relayed: (sessionId: string, message: ServerMessage) => void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_ADD_TIMEOUT_MS = 10_000;

/**
 * The machines this server links (decision 060). Each one's sessions are cached and their events
 * mirrored here, then published on the bus like this server's own, so the socket layer's rooms,
 * requester rooms and subscribe/replay work for them unchanged. Requests naming a machine's
 * session are forwarded over its link, with the client's own `requestId`.
 */
export class MachineService {
  private readonly store: MachineStore;
  private readonly linked = new Map<string, Linked>();
  /** Every cached session of every machine, as clients see it (`machineId` set). */
  private readonly sessionsById = new Map<string, Session>();
  private readonly pending = new Map<string, Pending>();
  private readonly listeners: { [K in keyof MachineListeners]: Set<MachineListeners[K]> } = {
    updated: new Set(),
    removed: new Set(),
    relayed: new Set(),
  };
  private stopped = false;
  /** The link's catch-up subscribes not answered yet: events before their `session:subscribed` are a replay. */
  private readonly catchingUp = new Map<string, { machineId: string; sessionId: string }>();
  /**
   * Per session, the approval requests its catch-ups replayed that no replayed event has resolved:
   * when the last catch-up of the session ends, those still waiting are announced (permissionMissed).
   * Kept across a link that drops mid-catch-up: the next one starts after them.
   */
  private readonly missedPermissions = new Map<string, Map<string, PermissionRequestEvent>>();
  private readonly batch: MirrorBatch;

  constructor(private readonly options: MachineServiceOptions) {
    this.store = new MachineStore(options.db);
    this.batch = new MirrorBatch({
      save: (events) => this.store.saveEvents(events),
      keeps: (event) => this.sessionsById.has(event.payload.sessionId),
      publish: (item) => this.publish(item),
    });
    for (const { machineId, session } of this.store.sessions()) {
      this.sessionsById.set(session.id, { ...session, machineId });
    }
  }

  on<K extends keyof MachineListeners>(name: K, listener: MachineListeners[K]): () => void {
    this.listeners[name].add(listener);
    return () => this.listeners[name].delete(listener);
  }

  /** Connects to every stored machine (their sessions are listed from the cache meanwhile). */
  start(): void {
    for (const record of this.store.machines()) this.open(record, true);
  }

  stop(): void {
    this.batch.flush();
    this.stopped = true;
    for (const linked of this.linked.values()) linked.link.close();
    for (const [requestId, pending] of this.pending) this.settleWithError(requestId, pending, "MACHINE_OFFLINE");
  }

  list(): Machine[] {
    const local: Machine = { id: LOCAL_MACHINE_ID, name: this.options.localName, url: "", status: "online" };
    return [local, ...[...this.linked.values()].filter((l) => l.announced).map((l) => this.toWire(l))];
  }

  /** The cached sessions of every machine. */
  sessions(): Session[] {
    return [...this.sessionsById.values()];
  }

  /** The machine that owns this session, if it is not this server's. */
  owner(sessionId: string): string | undefined {
    return this.sessionsById.get(sessionId)?.machineId;
  }

  online(machineId: string): boolean {
    return this.linked.get(machineId)?.link.online === true;
  }

  /** Links a machine (or gives a linked one a new token): resolves once it answered with its sessions. */
  async add(input: { name?: string; url: string; token: string }): Promise<Machine> {
    const checked = checkMachineUrl(input.url);
    if (!checked.ok) throw new PocketError("MACHINE_URL_REFUSED", `${input.url}: ${checked.reason}.`);
    const url = checked.url;
    if (this.options.ownOrigins?.().includes(url)) {
      throw new PocketError("MACHINE_LINK_REFUSED", "That is this server itself.");
    }
    const existing = [...this.linked.values()].find((l) => l.record.url === url);
    let pin: Pin | null = existing?.record.pin ?? null;
    if (url.startsWith("https:") && !pin) {
      // Trust on first use: whatever certificate chain it presents now is the one it must keep.
      pin = await readPin(url).catch((error) => {
        throw new PocketError("MACHINE_UNREACHABLE", `${url}: ${error instanceof Error ? error.message : error}`);
      });
    }
    const record: MachineRecord = existing
      ? { ...existing.record, token: input.token, name: input.name ?? existing.record.name }
      : {
          id: crypto.randomUUID(),
          name: input.name ?? defaultMachineName(url),
          url,
          token: input.token,
          pin,
          createdAt: new Date().toISOString(),
          lastSeenAt: null,
        };
    if (existing) {
      existing.link.close();
      this.linked.delete(record.id);
      this.store.update(record);
    } else {
      this.store.insert(record);
    }
    const linked = this.open(record, false);
    const first = await new Promise<LinkState>((resolve) => {
      const timer = setTimeout(
        () => resolve({ status: "offline", problem: "MACHINE_UNREACHABLE" }),
        this.options.addTimeoutMs ?? DEFAULT_ADD_TIMEOUT_MS,
      );
      linked.firstAnswer = (state) => {
        clearTimeout(timer);
        resolve(state);
      };
    });
    linked.firstAnswer = null;
    if (first.status !== "online") {
      linked.link.close();
      this.linked.delete(record.id);
      if (existing) {
        // Refused or unreachable with the new token: keep the machine with its old one, as it was.
        this.store.update(existing.record);
        this.open(existing.record, true);
      } else {
        this.store.delete(record.id);
      }
      const code = first.status === "offline" ? (first.problem ?? "MACHINE_UNREACHABLE") : "MACHINE_UNREACHABLE";
      throw new PocketError(code, `${url}: ${codeText(code)}`);
    }
    if (!existing && !input.name && linked.remoteName) {
      record.name = linked.remoteName.slice(0, LIMITS.machineNameChars);
      this.store.update(record);
    }
    if (!existing) log.info("machine linked", { machineId: record.id, url });
    linked.announced = true;
    const machine = this.toWire(linked);
    this.emit("updated", machine);
    return machine;
  }

  /** Unlinks a machine: its cached sessions and mirrored events are forgotten here (not on it). */
  remove(machineId: string, requestId: string): void {
    if (machineId === LOCAL_MACHINE_ID) throw new PocketError("INVALID_PAYLOAD", "This server cannot be removed.");
    const linked = this.linked.get(machineId);
    if (!linked) throw new PocketError("MACHINE_NOT_FOUND");
    this.batch.flush();
    linked.link.close();
    this.linked.delete(machineId);
    this.rejectPending(machineId);
    this.forgetCatchUps(machineId);
    const gone = this.sessions().filter((s) => s.machineId === machineId);
    this.store.delete(machineId);
    for (const session of gone) {
      // Announced while still known as the machine's: the socket layer keeps it from links.
      this.options.bus.emit("sessionDeleted", session.id);
      this.sessionsById.delete(session.id);
    }
    log.info("machine unlinked", { machineId });
    this.emit("removed", machineId, requestId);
  }

  /** The user confirmed the certificate a machine now presents: pin it and connect again. */
  trust(machineId: string, fingerprint: string): Machine {
    const linked = this.linked.get(machineId);
    if (!linked) throw new PocketError("MACHINE_NOT_FOUND");
    const state = linked.link.state;
    const presented = state.status === "offline" ? state.presented : undefined;
    if (!presented) throw new PocketError("INVALID_PAYLOAD", "This machine's certificate did not change.");
    if (presented.fingerprint !== fingerprint) {
      throw new PocketError("MACHINE_CERT_CHANGED", "The machine now presents yet another certificate.");
    }
    linked.link.close();
    const record = { ...linked.record, pin: presented };
    this.store.update(record);
    log.warn("machine's new certificate confirmed", { machineId, fingerprint });
    const reopened = this.open(record, true);
    const machine = this.toWire(reopened);
    this.emit("updated", machine);
    return machine;
  }

  // -- a machine's sessions, as this server serves them ------------------------------------------

  /** As `SessionService.replay`, from the mirror: works while the machine is offline. */
  replay(sessionId: string, afterSeq?: number): { events: SessionEvent[]; fromSeq: number; lastSeq: number } {
    this.session(sessionId);
    const tail = this.store.nthLastTurnStart(sessionId, LIMITS.tailTurns);
    const from = afterSeq ?? (tail === null ? 0 : tail - 1);
    const events = this.store.eventsAfter(sessionId, from);
    return { events, fromSeq: from + 1, lastSeq: events.at(-1)?.payload.seq ?? this.store.maxSeq(sessionId) };
  }

  history(sessionId: string, beforeSeq: number, limit: number): { events: SessionEvent[]; hasMore: boolean } {
    this.session(sessionId);
    return this.store.eventsBefore(sessionId, beforeSeq, limit);
  }

  /** The mirrored events of one turn (a retried `chat:send` is answered with them, as on the machine). */
  turnEvents(sessionId: string, requestId: string): SessionEvent[] {
    return this.store.turnEvents(sessionId, requestId);
  }

  session(sessionId: string): Session {
    const session = this.sessionsById.get(sessionId);
    if (!session) throw new PocketError("SESSION_NOT_FOUND", `No session ${sessionId}.`);
    return session;
  }

  /**
   * The mirrored sessions whose title or messages contain the query, found here, so a machine
   * that is offline is searched too (decision 064). Folded and cut as this server's own search.
   */
  search(query: string): RankedHit[] {
    this.batch.flush(); // what a phone was just sent is found too
    const needle = foldAscii(query);
    const messages = this.store.searchMessages(query);
    const hits: RankedHit[] = [];
    for (const session of this.sessionsById.values()) {
      const machineId = session.machineId ?? LOCAL_MACHINE_ID;
      const { id: sessionId, updatedAt } = session;
      if (foldAscii(session.title).includes(needle)) hits.push({ sessionId, machineId, updatedAt });
      else if (messages.has(sessionId))
        hits.push({ sessionId, machineId, updatedAt, snippet: messages.get(sessionId) });
    }
    return hits;
  }

  /**
   * The image a mirrored message of a linked machine's session names, read from that machine
   * (decision 063). Null when no mirrored message names it or the machine no longer has it;
   * MACHINE_OFFLINE when the machine cannot be asked now.
   */
  async image(attachmentId: string): Promise<RemoteImage | null> {
    this.batch.flush(); // the chat:queued naming it may still be queued in the mirror's batch
    const found = this.store.attachment(attachmentId);
    const machineId = found ? this.owner(found.sessionId) : undefined;
    const linked = machineId ? this.linked.get(machineId) : undefined;
    if (!found || !linked) return null;
    if (!linked.link.online) throw new PocketError("MACHINE_OFFLINE", `${linked.record.name} is offline.`);
    const { url, token, pin } = linked.record;
    return fetchRemoteImage({ url, token, pin }, found.info);
  }

  /**
   * Forwards a request to the machine and resolves with the first answer that `settles` it (by
   * default: anything carrying its `requestId`, an error included). MACHINE_OFFLINE at once when
   * the machine is not connected, when it goes away before answering, or after `timeoutMs`
   * (default: the service's `requestTimeoutMs`).
   */
  request<K extends ClientEventName>(
    machineId: string,
    name: K,
    payload: ClientPayload<K> & { requestId: string },
    {
      settles = (m) => requestIdOf(m) === payload.requestId,
      timeoutMs = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    }: { settles?: (message: ServerMessage) => boolean; timeoutMs?: number } = {},
  ): Promise<ServerMessage> {
    const linked = this.linked.get(machineId);
    if (!linked) throw new PocketError("MACHINE_NOT_FOUND");
    if (!linked.link.online) throw new PocketError("MACHINE_OFFLINE", `${linked.record.name} is offline.`);
    const { requestId } = payload;
    if (this.pending.has(requestId)) throw new PocketError("INVALID_PAYLOAD", "This requestId is already waiting.");
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const pending = this.pending.get(requestId);
        if (pending) this.settleWithError(requestId, pending, "MACHINE_OFFLINE", `No answer within ${timeoutMs} ms.`);
      }, timeoutMs);
      this.pending.set(requestId, { machineId, settles, resolve, reject, timer });
      linked.link.emit(name, payload);
    });
  }

  // -- what the links hear --------------------------------------------------------------------------

  private open(record: MachineRecord, announced: boolean): Linked {
    // A link closed to be replaced (new token, confirmed certificate) never answers its catch-ups.
    this.forgetCatchUps(record.id);
    const link = new RemoteLink(
      { url: record.url, token: record.token, pin: record.pin },
      {
        state: (state) => this.onState(linked, state),
        message: (message) => this.onMessage(linked, message),
      },
      this.options.timing ?? DEFAULT_TIMING,
    );
    const linked: Linked = { record, link, announced, firstAnswer: null };
    this.linked.set(record.id, linked);
    linked.link.start();
    return linked;
  }

  private onState(linked: Linked, state: LinkState): void {
    if (this.stopped || this.linked.get(linked.record.id) !== linked) return;
    if (state.status === "offline") {
      this.rejectPending(linked.record.id);
      this.forgetCatchUps(linked.record.id);
      if (linked.firstAnswer) linked.firstAnswer(state);
    }
    if (state.status !== "connecting") {
      linked.record.lastSeenAt = new Date().toISOString();
      this.store.markSeen(linked.record.id, linked.record.lastSeenAt);
    }
    // Online is announced with the machine's sessions (onConnection), so a client that sees it online can use them.
    if (linked.announced && state.status !== "online") this.emit("updated", this.toWire(linked));
  }

  private onMessage(linked: Linked, message: ServerMessage): void {
    if (this.stopped || this.linked.get(linked.record.id) !== linked) return;
    const machineId = linked.record.id;
    if (isNumbered(message)) {
      this.mirror(machineId, message);
    } else {
      // Whatever follows events (a session's new state, a catch-up's answer) finds them stored and published.
      this.batch.flush();
      this.onNotice(linked, message);
    }
    for (const [requestId, pending] of this.pending) {
      if (pending.machineId !== machineId || !pending.settles(message)) continue;
      clearTimeout(pending.timer);
      this.pending.delete(requestId);
      pending.resolve(message);
    }
  }

  private onNotice(linked: Linked, message: ServerMessage): void {
    const machineId = linked.record.id;
    switch (message.type) {
      case "connection":
        linked.remoteName = message.payload.machineName;
        this.onConnection(linked, message.payload.sessions);
        break;
      case "session:updated":
        this.keep(machineId, message.payload.session, message.payload.requestId);
        break;
      case "session:created": {
        const { requestId: _requestId, ...session } = message.payload;
        this.keep(machineId, session);
        message.payload.machineId = machineId;
        break;
      }
      case "session:deleted":
        this.forget(machineId, message.payload.sessionId, message.payload.requestId);
        break;
      case "permission:revoked":
        // One this server asked for is passed on by its request's handler; another client's is relayed here.
        if (!this.pending.has(message.payload.requestId) && this.owner(message.payload.sessionId) === machineId) {
          this.emit("relayed", message.payload.sessionId, message);
        }
        break;
      case "session:subscribed":
      case "session:error": {
        const caughtUp = this.catchingUp.get(message.payload.requestId);
        this.catchingUp.delete(message.payload.requestId);
        if (caughtUp) this.announceMissed(caughtUp.sessionId);
        break;
      }
    }
  }

  /** (Re)connected: the machine's sessions now, then every event each one had since the mirror's last. */
  private onConnection(linked: Linked, sessions: Session[]): void {
    const machineId = linked.record.id;
    const listed = new Set(sessions.map((s) => s.id));
    for (const cached of this.sessions()) {
      if (cached.machineId === machineId && !listed.has(cached.id)) this.forget(machineId, cached.id);
    }
    for (const session of sessions) this.keep(machineId, session, undefined, false);
    for (const session of sessions) this.catchUp(linked, session.id);
    log.info("machine online", { machineId, sessions: sessions.length });
    if (linked.firstAnswer) linked.firstAnswer({ status: "online" });
    if (linked.announced) this.emit("updated", this.toWire(linked));
  }

  /** Subscribes the link to a session after the mirror's highest seq: it replays what was missed, then goes on live. */
  private catchUp(linked: Linked, sessionId: string): void {
    const requestId = crypto.randomUUID();
    this.catchingUp.set(requestId, { machineId: linked.record.id, sessionId });
    linked.link.emit("session:subscribe", { sessionId, afterSeq: this.store.maxSeq(sessionId), requestId });
  }

  private keep(machineId: string, remote: Session, requestId?: string, subscribeIfNew = true): void {
    if (this.options.isLocalSession(remote.id)) {
      log.warn("a machine listed one of this server's own sessions: ignored", { machineId, sessionId: remote.id });
      return;
    }
    const known = this.sessionsById.get(remote.id);
    if (known && known.machineId !== machineId) return;
    const session: Session = { ...remote, machineId };
    this.sessionsById.set(session.id, session);
    this.store.saveSession(machineId, session);
    const linked = this.linked.get(machineId);
    if (!known && subscribeIfNew && linked?.link.online) this.catchUp(linked, session.id);
    this.options.bus.emit("sessionChanged", session, requestId);
  }

  private forget(machineId: string, sessionId: string, requestId?: string): void {
    if (this.sessionsById.get(sessionId)?.machineId !== machineId) return;
    this.batch.flush();
    this.missedPermissions.delete(sessionId);
    this.store.deleteSession(sessionId);
    // Announced while still known as the machine's: the socket layer keeps it from links.
    this.options.bus.emit("sessionDeleted", sessionId, requestId);
    this.sessionsById.delete(sessionId);
  }

  /**
   * Stored first (in a batch per turn of the event loop), published only the first time it
   * arrives: a catch-up that overlaps live events sends nothing twice.
   */
  private mirror(machineId: string, event: SessionEvent): void {
    const { sessionId } = event.payload;
    if (this.sessionsById.get(sessionId)?.machineId !== machineId) return;
    let replayed = false;
    for (const c of this.catchingUp.values()) if (c.sessionId === sessionId) replayed = true;
    this.batch.add({ event, replayed });
  }

  private publish({ event, replayed }: Mirrored): void {
    const session = this.sessionsById.get(event.payload.sessionId);
    if (session && !replayed) {
      // The machine announces its new count just after the event: counted now, a notification's badge is right.
      if (event.type === "permission:request") session.pendingPermissions += 1;
      if (event.type === "permission:resolved")
        session.pendingPermissions = Math.max(0, session.pendingPermissions - 1);
    }
    if (replayed) this.noteMissed(event);
    this.options.bus.emit("sessionEvent", event, replayed);
  }

  /** A replayed approval request is noted, and forgotten when a replayed event resolves it. */
  private noteMissed(event: SessionEvent): void {
    if (event.type !== "permission:request" && event.type !== "permission:resolved") return;
    const { sessionId, permissionId } = event.payload;
    let missed = this.missedPermissions.get(sessionId);
    if (event.type === "permission:resolved") {
      missed?.delete(permissionId);
      return;
    }
    if (!missed) {
      missed = new Map();
      this.missedPermissions.set(sessionId, missed);
    }
    missed.set(permissionId, event);
  }

  /**
   * A catch-up has ended. The approvals it replayed that are still waiting are news: the agent on
   * the machine is blocked on them and no phone was told, because the link was down when they were
   * raised. Finished turns and other replayed events stay quiet (they are history by now).
   */
  private announceMissed(sessionId: string): void {
    for (const c of this.catchingUp.values()) if (c.sessionId === sessionId) return;
    const missed = this.missedPermissions.get(sessionId);
    if (!missed) return;
    this.missedPermissions.delete(sessionId);
    if (!this.sessionsById.has(sessionId)) return;
    for (const event of missed.values()) this.options.bus.emit("permissionMissed", event);
  }

  /** Its catch-ups will not be answered: later events of those sessions are live. */
  private forgetCatchUps(machineId: string): void {
    for (const [requestId, c] of this.catchingUp) if (c.machineId === machineId) this.catchingUp.delete(requestId);
  }

  private rejectPending(machineId: string): void {
    for (const [requestId, pending] of this.pending) {
      if (pending.machineId === machineId) this.settleWithError(requestId, pending, "MACHINE_OFFLINE");
    }
  }

  private settleWithError(requestId: string, pending: Pending, code: "MACHINE_OFFLINE", message?: string): void {
    clearTimeout(pending.timer);
    this.pending.delete(requestId);
    pending.reject(new PocketError(code, message));
  }

  private toWire(linked: Linked): Machine {
    const { record } = linked;
    const { pin } = record;
    const state = linked.link.state;
    return {
      id: record.id,
      name: record.name,
      url: record.url,
      status: state.status,
      ...(record.lastSeenAt ? { lastSeenAt: record.lastSeenAt } : {}),
      ...(pin ? { fingerprint: pin.fingerprint } : {}),
      ...(state.status === "offline" && state.problem ? { problem: state.problem } : {}),
      ...(state.status === "offline" && state.presented ? { presentedFingerprint: state.presented.fingerprint } : {}),
    };
  }

  private emit<K extends keyof MachineListeners>(name: K, ...args: Parameters<MachineListeners[K]>): void {
    for (const listener of this.listeners[name]) (listener as (...a: Parameters<MachineListeners[K]>) => void)(...args);
  }
}

function requestIdOf(message: ServerMessage): string | undefined {
  const payload = message.payload as { requestId?: unknown };
  return typeof payload.requestId === "string" ? payload.requestId : undefined;
}

/** A stored session event (a `chat:error` refusing a request carries no seq and is an answer, not an event). */
export function isNumbered(message: ServerMessage): message is ServerMessage & SessionEvent {
  return Object.hasOwn(sessionEvents, message.type) && typeof (message.payload as { seq?: unknown }).seq === "number";
}

function codeText(code: string): string {
  switch (code) {
    case "MACHINE_TOKEN_REFUSED":
      return "the machine refused the token.";
    case "MACHINE_CERT_CHANGED":
      return "the machine's certificate changed.";
    default:
      return "the machine did not answer.";
  }
}
