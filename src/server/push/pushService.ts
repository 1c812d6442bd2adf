/**
 * Web Push: which session events become notifications, to which devices, when, and what a tap on
 * Allow or Deny does. The session service knows nothing of it: it listens on the bus.
 *
 * - Notifications: a permission request, an AskUserQuestion, a turn's answer or failure; never a
 *   delta or a log (`payloads.ts`). Each stored event is considered once (by seq), live only: a
 *   replay or a resumed session is never notified again.
 * - Linked machines' sessions too (decision 062): their mirrored live events, titled from the
 *   machine cache; a catch-up's replayed events are not news. Allow/Deny goes to the machine.
 * - Suppressed while a connected client is visible and showing that session (`presence.ts`).
 * - One lane per device and session: a burst is coalesced to at most one notification per
 *   `coalesceMs` (10 s), the newest; permission requests and questions go at once and drop what
 *   was held (it is older). Every notification of a session has one tag and one Topic, so a newer
 *   one replaces an older one on the device and at the push service.
 * - Delivery never holds up a turn: the bus listener only queues; requests have a timeout.
 *   404/410 removes the device; other failures are retried with bounded backoff and logged,
 *   unless a newer notification for the same lane went out meanwhile.
 */
import type { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import type {
  PushActionRequest,
  PushActionResult,
  PushEventKind,
  PushNotification,
  PushStatus,
  PushSubscriptionJson,
  SessionEvent,
} from "../../shared/messages.ts";
import { PUSH_EVENT_KINDS } from "../../shared/messages.ts";
import type { Bus } from "../bus.ts";
import { PocketError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import type { MachineService } from "../machines/machineService.ts";
import type { SessionService } from "../sessions/sessionService.ts";
import { checkEndpoint, endpointOrigin } from "./endpoint.ts";
import { buildNotification, type Notable, notableOf, topicFor } from "./payloads.ts";
import { Presence, type PresenceReport } from "./presence.ts";
import { PushSender, type SendOptions } from "./sender.ts";
import { type PushDevice, PushStore } from "./store.ts";
import type { VapidKeys } from "./vapidKeys.ts";

const log = createLogger("push");

/** Time as the push service sees it: injected by tests so coalescing and backoff need no sleeping. */
export interface PushClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: PushClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface PushServiceOptions {
  db: Database;
  bus: Bus;
  sessions: Pick<SessionService, "get" | "list" | "respondToPermission">;
  /** Linked machines: their sessions are notified too, and a tap on Allow or Deny is sent to the machine. */
  machines?: Pick<MachineService, "owner" | "session" | "sessions" | "request">;
  vapid: VapidKeys;
  /** VAPID `sub`: a `mailto:` or `https:` contact (POCKET_VAPID_SUBJECT). */
  subject: string;
  clock?: PushClock;
  /** At most one notification per device and session in this window, except permission requests. */
  coalesceMs?: number;
  /** One push request's timeout. */
  requestTimeoutMs?: number;
  /** Waits before each retry of a failed delivery; its length bounds the retries. */
  retryDelaysMs?: number[];
  /** How long a permission notification's Allow/Deny works. */
  actionTokenTtlMs?: number;
  /** Devices kept; a new one beyond this drops the one updated longest ago. */
  maxDevices?: number;
  fetch?: typeof fetch;
}

export const DEFAULTS = {
  coalesceMs: 10_000,
  requestTimeoutMs: 10_000,
  retryDelaysMs: [2_000, 10_000, 60_000],
  /** A Retry-After longer than this is cut to it (bounded backoff). */
  maxRetryAfterMs: 5 * 60_000,
  actionTokenTtlMs: 15 * 60_000,
  maxDevices: 20,
} as const;

/** Past this many lanes (devices × sessions), idle ones are forgotten. */
const MAX_IDLE_LANES = 1_000;

/** A refused `POST /api/push/action`, with its HTTP status. */
export class PushActionError extends PocketError {
  constructor(
    readonly status: number,
    code: ConstructorParameters<typeof PocketError>[0],
  ) {
    super(code);
  }
}

/** One device and session: what was sent last, what waits for the window to pass. */
interface Lane {
  deviceId: string;
  sessionId: string;
  lastSentAt: number | null;
  held: PushNotification | null;
  timer: unknown;
  /** Bumped at each send: a retry of an older one stops when a newer one went out. */
  generation: number;
  /** Deliveries (with their retries) under way. */
  sending: number;
}

export class PushService {
  readonly store: PushStore;
  private readonly presence = new Presence();
  private readonly sender: PushSender;
  private readonly clock: PushClock;
  private readonly coalesceMs: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly tokenTtlMs: number;
  private readonly maxDevices: number;
  /** The devices each socket subscribed (or re-subscribed) itself: `push:test` goes to these. */
  private readonly socketDevices = new Map<string, Set<string>>();
  /** Highest seq considered per session: no stored event is ever notified twice. */
  private readonly considered = new Map<string, number>();
  private readonly lanes = new Map<string, Lane>();
  /** Deliveries under way (stop() waits for them, each bounded by its timeout). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Pending backoff waits, resolved early by stop(). */
  private readonly sleepers = new Set<{ handle: unknown; wake: () => void }>();
  private readonly listeners: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly options: PushServiceOptions) {
    this.store = new PushStore(options.db);
    this.clock = options.clock ?? systemClock;
    this.coalesceMs = options.coalesceMs ?? DEFAULTS.coalesceMs;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULTS.retryDelaysMs;
    this.tokenTtlMs = options.actionTokenTtlMs ?? DEFAULTS.actionTokenTtlMs;
    this.maxDevices = options.maxDevices ?? DEFAULTS.maxDevices;
    this.sender = new PushSender({
      vapid: options.vapid,
      subject: options.subject,
      timeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      fetch: options.fetch,
    });
  }

  get vapidPublicKey(): string {
    return this.options.vapid.publicKey;
  }

  /**
   * Starts listening to the sessions. Called after the session service's recovery, so the
   * restart's own events (turns it marks interrupted) make no notification.
   */
  start(): void {
    const { bus } = this.options;
    this.listeners.push(
      bus.on("sessionEvent", (event, replayed) => {
        if (!replayed) this.onSessionEvent(event);
      }),
      // One a linked machine raised while its link was down, still waiting after the catch-up.
      bus.on("permissionMissed", (event) => this.onSessionEvent(event)),
      bus.on("sessionDeleted", (sessionId) => this.forgetSession(sessionId)),
    );
  }

  /** Stops sending: held notifications are dropped, retries end, requests under way finish (bounded). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.listeners.splice(0)) off();
    for (const lane of this.lanes.values()) this.dropHeld(lane);
    for (const sleeper of this.sleepers) {
      this.clock.clearTimeout(sleeper.handle);
      sleeper.wake();
    }
    await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves once no delivery is under way (deliveries started meanwhile included). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  status(): PushStatus {
    return { vapidPublicKey: this.vapidPublicKey, devices: this.store.count() };
  }

  // -- the socket's requests ---------------------------------------------------------------------

  /** Turns notifications on for a device, or updates it (same endpoint); this socket may test it. */
  subscribe(
    socketId: string,
    input: { subscription: PushSubscriptionJson; deviceName?: string; events?: PushEventKind[] },
  ): { deviceId: string } {
    const verdict = checkEndpoint(input.subscription.endpoint);
    if (!verdict.ok) throw new PocketError("PUSH_ENDPOINT_REFUSED", verdict.reason);
    const events = input.events
      ? PUSH_EVENT_KINDS.filter((kind) => input.events?.includes(kind))
      : [...PUSH_EVENT_KINDS];
    const device = this.store.upsert(
      {
        endpoint: input.subscription.endpoint,
        keys: input.subscription.keys,
        expirationTime: input.subscription.expirationTime ?? null,
        name: input.deviceName ?? "This device",
        events,
      },
      this.maxDevices,
    );
    let mine = this.socketDevices.get(socketId);
    if (!mine) {
      mine = new Set();
      this.socketDevices.set(socketId, mine);
    }
    mine.add(device.id);
    log.info("device subscribed", { deviceId: device.id, service: endpointOrigin(device.endpoint), events });
    return { deviceId: device.id };
  }

  /** Turns notifications off for the device with this endpoint (nothing to do if there is none). */
  unsubscribe(socketId: string, endpoint: string): void {
    const device = this.store.byEndpoint(endpoint);
    if (!device) return;
    this.removeDevice(device, "unsubscribed");
    this.socketDevices.get(socketId)?.delete(device.id);
  }

  /**
   * Forgets every device (the access token was rotated): a signed-out phone gets no more
   * notifications, which carry session content and approval buttons. Returns how many there were.
   */
  forgetDevices(): number {
    const devices = this.store.list();
    for (const device of devices) this.removeDevice(device, "signed out");
    this.socketDevices.clear();
    return devices.length;
  }

  /** A test notification to this socket's devices, at once; resolves with how many accepted it. */
  async test(socketId: string): Promise<number> {
    const devices = [...(this.socketDevices.get(socketId) ?? [])]
      .map((id) => this.store.get(id))
      .filter((device): device is PushDevice => device !== null);
    if (devices.length === 0) throw new PocketError("PUSH_NOT_SUBSCRIBED");
    const results = await Promise.all(
      devices.map(async (device) => {
        const payload: PushNotification = {
          type: "test",
          title: "Pocket Agent",
          body: `Notifications work on ${device.name}.`,
          url: "/",
          tag: "test",
          badge: this.pendingApprovals(),
        };
        return (await this.deliverOnce(device, payload, { ttlSeconds: 60, urgency: "normal" })) === "sent";
      }),
    );
    return results.filter(Boolean).length;
  }

  updatePresence(socketId: string, report: PresenceReport): void {
    this.presence.update(socketId, report);
  }

  disconnected(socketId: string): void {
    this.presence.remove(socketId);
    this.socketDevices.delete(socketId);
  }

  isWatched(sessionId: string): boolean {
    return this.presence.isWatched(sessionId);
  }

  // -- a tap on Allow or Deny --------------------------------------------------------------------

  /** Answers the permission as `permission:respond` does (on its machine), if the token is good for it. */
  async act(input: PushActionRequest): Promise<PushActionResult> {
    const check = this.store.spendToken(input.actionToken, input.permissionId, this.clock.now());
    if (!check.ok) {
      log.info("refused a notification action", { permissionId: input.permissionId, reason: check.reason });
      if (check.reason === "used") throw new PushActionError(409, "ACTION_TOKEN_USED");
      if (check.reason === "expired") throw new PushActionError(410, "ACTION_TOKEN_EXPIRED");
      throw new PushActionError(403, "ACTION_TOKEN_INVALID");
    }
    const answer = { sessionId: check.sessionId, permissionId: input.permissionId, decision: input.decision };
    const machineId = this.options.machines?.owner(check.sessionId);
    if (machineId) {
      try {
        await this.answerOnMachine(machineId, answer);
      } catch (error) {
        // Never delivered (or no answer came back): a retry is harmless, the machine refuses a second answer.
        if (error instanceof PocketError && error.code === "MACHINE_OFFLINE")
          this.store.unspendToken(input.actionToken);
        throw error;
      }
    } else this.options.sessions.respondToPermission(answer);
    log.info("permission answered from a notification", {
      sessionId: check.sessionId,
      permissionId: input.permissionId,
      decision: input.decision,
    });
    return { permissionId: input.permissionId, sessionId: check.sessionId, decision: input.decision };
  }

  /** As the socket layer forwards `permission:respond`: settled by the machine's resolution or its refusal. */
  private async answerOnMachine(
    machineId: string,
    answer: { sessionId: string; permissionId: string; decision: "allow" | "deny" },
  ): Promise<void> {
    const machines = this.options.machines;
    if (!machines) return;
    const requestId = crypto.randomUUID();
    const reply = await machines.request(
      machineId,
      "permission:respond",
      { ...answer, requestId },
      {
        settles: (m) =>
          (m.type === "permission:error" && m.payload.requestId === requestId) ||
          (m.type === "permission:resolved" && m.payload.permissionId === answer.permissionId),
      },
    );
    if (reply.type === "permission:error") throw new PocketError(reply.payload.code, reply.payload.message);
    // Resolved otherwise meanwhile (the turn was stopped, or another device said something else): not this tap's answer.
    if (reply.type === "permission:resolved" && reply.payload.decision !== answer.decision) {
      throw new PocketError("PERMISSION_NOT_PENDING");
    }
  }

  // -- from session events to deliveries ---------------------------------------------------------

  private onSessionEvent(event: SessionEvent): void {
    // The bus calls this inside the session service's publish: nothing here may throw or wait.
    try {
      const notable = notableOf(event);
      if (!notable) return;
      const { sessionId, seq } = event.payload;
      if (seq <= (this.considered.get(sessionId) ?? 0)) return;
      this.considered.set(sessionId, seq);
      if (this.presence.isWatched(sessionId)) {
        log.debug("not notified: the session is on screen", { sessionId, kind: notable.kind });
        return;
      }
      const devices = this.store.list().filter((device) => device.events.includes(notable.kind));
      if (devices.length === 0) return;
      const payload = this.payloadFor(notable, sessionId);
      if (!payload) return;
      for (const device of devices) this.route(device, payload, notable.kind);
    } catch (error) {
      log.error("could not prepare a notification", { error: error instanceof Error ? error.stack : String(error) });
    }
  }

  private payloadFor(notable: Notable, sessionId: string): PushNotification | null {
    let title: string;
    try {
      const machines = this.options.machines;
      title = (machines?.owner(sessionId) ? machines.session(sessionId) : this.options.sessions.get(sessionId)).title;
    } catch {
      return null; // deleted meanwhile
    }
    let token: string | undefined;
    if (notable.kind === "permission") {
      token = randomBytes(32).toString("base64url");
      const now = this.clock.now();
      this.store.saveToken(token, notable.permissionId, sessionId, now + this.tokenTtlMs, now);
    }
    return buildNotification(notable, { sessionId, sessionTitle: title, badge: this.pendingApprovals() }, token);
  }

  private pendingApprovals(): number {
    const sessions = [...this.options.sessions.list(), ...(this.options.machines?.sessions() ?? [])];
    return sessions.reduce((sum, session) => sum + session.pendingPermissions, 0);
  }

  private route(device: PushDevice, payload: PushNotification, kind: PushEventKind): void {
    if (payload.type === "test") return;
    const lane = this.lane(device.id, payload.sessionId);
    const now = this.clock.now();
    // The agent waits for these: never held. What was held is older, and would replace them.
    if (kind === "permission" || kind === "question") {
      this.dropHeld(lane);
      this.send(lane, device, payload);
      return;
    }
    if (lane.lastSentAt === null || now - lane.lastSentAt >= this.coalesceMs) {
      this.dropHeld(lane);
      lane.lastSentAt = now;
      this.send(lane, device, payload);
      return;
    }
    lane.held = payload;
    if (lane.timer === null) {
      lane.timer = this.clock.setTimeout(() => this.flush(lane), lane.lastSentAt + this.coalesceMs - now);
    }
  }

  /** The window has passed: send the newest held notification, unless the session is on screen now. */
  private flush(lane: Lane): void {
    lane.timer = null;
    const held = lane.held;
    lane.held = null;
    if (!held || this.stopped || held.type === "test") return;
    if (this.presence.isWatched(held.sessionId)) return;
    const device = this.store.get(lane.deviceId);
    if (!device) return;
    lane.lastSentAt = this.clock.now();
    this.send(lane, device, held);
  }

  private send(lane: Lane, device: PushDevice, payload: PushNotification): void {
    if (payload.type === "test") return;
    const generation = ++lane.generation;
    const options = sendOptionsFor(payload, this.tokenTtlMs);
    lane.sending++;
    const delivery = this.deliver(device, payload, options, () => lane.generation === generation && !this.stopped)
      .catch((error) => log.error("delivery failed", { error: String(error) }))
      .finally(() => {
        lane.sending--;
        this.inFlight.delete(delivery);
      });
    this.inFlight.add(delivery);
  }

  /** Sends with retries: at most 1 + retryDelaysMs.length attempts, while `current()` holds. */
  private async deliver(
    device: PushDevice,
    payload: PushNotification,
    options: SendOptions,
    current: () => boolean,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (!current()) return;
      const outcome = await this.sender.send(device, payload, options);
      if (outcome.status === "sent") {
        this.store.markSent(device.id, new Date(this.clock.now()).toISOString());
        return;
      }
      if (outcome.status === "gone") {
        this.removeDevice(device, `the push service answered ${outcome.httpStatus}`);
        return;
      }
      this.store.markFailed(device.id, new Date(this.clock.now()).toISOString(), outcome.error);
      const delay = this.retryDelaysMs[attempt];
      if (delay === undefined || !current()) {
        log.error("gave up delivering a notification", {
          deviceId: device.id,
          type: payload.type,
          attempts: attempt + 1,
          error: outcome.error,
        });
        return;
      }
      log.warn("notification not delivered; retrying", {
        deviceId: device.id,
        type: payload.type,
        attempt: attempt + 1,
        error: outcome.error,
      });
      await this.sleep(Math.max(delay, Math.min(outcome.retryAfterMs ?? 0, DEFAULTS.maxRetryAfterMs)));
    }
  }

  /** One attempt (the settings' test); "sent", "gone" (device removed) or "failed". */
  private async deliverOnce(
    device: PushDevice,
    payload: PushNotification,
    options: SendOptions,
  ): Promise<"sent" | "gone" | "failed"> {
    const outcome = await this.sender.send(device, payload, options);
    const at = new Date(this.clock.now()).toISOString();
    if (outcome.status === "sent") this.store.markSent(device.id, at);
    else if (outcome.status === "gone") this.removeDevice(device, `the push service answered ${outcome.httpStatus}`);
    else {
      this.store.markFailed(device.id, at, outcome.error);
      log.warn("test notification not delivered", { deviceId: device.id, error: outcome.error });
    }
    return outcome.status;
  }

  private removeDevice(device: PushDevice, reason: string): void {
    if (!this.store.removeById(device.id)) return;
    log.info("device removed", { deviceId: device.id, service: endpointOrigin(device.endpoint), reason });
    for (const [key, lane] of this.lanes) {
      if (lane.deviceId !== device.id) continue;
      this.dropHeld(lane);
      lane.generation++;
      this.lanes.delete(key);
    }
  }

  private lane(deviceId: string, sessionId: string): Lane {
    const key = `${deviceId}:${sessionId}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      if (this.lanes.size >= MAX_IDLE_LANES) this.pruneLanes();
      lane = { deviceId, sessionId, lastSentAt: null, held: null, timer: null, generation: 0, sending: 0 };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Lanes whose window has passed with nothing held are forgotten (a new one starts the same way). */
  private pruneLanes(): void {
    const now = this.clock.now();
    for (const [key, lane] of this.lanes) {
      const idle = lane.timer === null && lane.sending === 0;
      if (idle && (lane.lastSentAt === null || now - lane.lastSentAt >= this.coalesceMs)) this.lanes.delete(key);
    }
  }

  private dropHeld(lane: Lane): void {
    lane.held = null;
    if (lane.timer !== null) this.clock.clearTimeout(lane.timer);
    lane.timer = null;
  }

  private forgetSession(sessionId: string): void {
    this.considered.delete(sessionId);
    for (const [key, lane] of this.lanes) {
      if (lane.sessionId !== sessionId) continue;
      this.dropHeld(lane);
      lane.generation++;
      this.lanes.delete(key);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        handle: null as unknown,
        wake: () => {
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      sleeper.handle = this.clock.setTimeout(sleeper.wake, ms);
      this.sleepers.add(sleeper);
    });
  }
}

/** Urgency, lifetime and Topic per kind of notification. */
function sendOptionsFor(payload: Exclude<PushNotification, { type: "test" }>, tokenTtlMs: number): SendOptions {
  const topic = topicFor(payload.sessionId);
  switch (payload.type) {
    case "permission":
      // Useless once its buttons have expired.
      return { urgency: "high", ttlSeconds: Math.round(tokenTtlMs / 1000), topic };
    case "question":
      return { urgency: "high", ttlSeconds: 24 * 60 * 60, topic };
    default:
      return { urgency: "normal", ttlSeconds: 24 * 60 * 60, topic };
  }
}
