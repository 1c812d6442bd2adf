import {
  type ClientEventName,
  type ClientPayload,
  IMPORT_TIMEOUT_MS,
  LIMITS,
  type ServerMessage,
  type SessionEvent,
} from "../../shared/messages.ts";
import { PocketError } from "../errors.ts";
import { isNumbered, type MachineService } from "../machines/machineService.ts";
import type { PocketSocket } from "./socketServer.ts";

/** What the routed handlers need from the socket layer. */
export interface RemoteHandlerDeps {
  machines: MachineService;
  /** The socket waits for this turn's outcome (the turn's requester room). */
  joinTurn(socket: PocketSocket, sessionId: string, requestId: string): void;
  leaveTurn(socket: PocketSocket, requestId: string): void;
  watch(socket: PocketSocket, sessionId: string): void;
  unwatch(socket: PocketSocket, sessionId: string): void;
  emitSessionEvent(socket: PocketSocket, event: SessionEvent): void;
  /** To the requesting socket and every socket watching the session (as a local `permission:revoked`). */
  emitToWatchers(socket: PocketSocket, sessionId: string, message: ServerMessage): void;
}

/** The client events that name a session (or a machine, for `session:create`) and go where it lives. */
export type RoutedEvent =
  | "chat:send"
  | "chat:cancel"
  | "commands:list"
  | "session:create"
  | "session:subscribe"
  | "session:unsubscribe"
  | "session:history"
  | "session:update"
  | "session:delete"
  | "permission:respond"
  | "permission:rules"
  | "permission:revoke"
  | "changes:get"
  | "file:read"
  | "project:list"
  | "project:sessions"
  | "session:import";

type RemoteHandlers = {
  [K in RoutedEvent]: (socket: PocketSocket, payload: ClientPayload<K>, machineId: string) => void | Promise<void>;
};

const ROUTED = new Set<string>([
  "chat:send",
  "chat:cancel",
  "commands:list",
  "session:create",
  "session:subscribe",
  "session:unsubscribe",
  "session:history",
  "session:update",
  "session:delete",
  "permission:respond",
  "permission:rules",
  "permission:revoke",
  "changes:get",
  "file:read",
  "project:list",
  "project:sessions",
  "session:import",
]);

/**
 * How long home waits for a linked machine's answer to `session:import`: what the app waits, less
 * a margin for the hop to home and back, so the app gets home's MACHINE_OFFLINE rather than its own timeout.
 */
const FORWARDED_IMPORT_TIMEOUT_MS = IMPORT_TIMEOUT_MS - 5_000;

/** Requests that name the machine they go to (default this server's) rather than a session (decision 063). */
const ON_MACHINE = new Set<string>(["session:create", "project:list", "project:sessions", "session:import"]);

export function isRouted(name: ClientEventName): name is RoutedEvent {
  return ROUTED.has(name);
}

/**
 * The machine a request goes to, when it is not this server: the one owning its session, or the
 * one `session:create`, `session:import` and the project requests name. Undefined: this server handles it.
 */
export function machineFor(machines: MachineService, name: RoutedEvent, payload: object): string | undefined {
  if (ON_MACHINE.has(name)) {
    const { machineId } = payload as { machineId?: string };
    return machineId && machineId !== "local" ? machineId : undefined;
  }
  return machines.owner((payload as { sessionId: string }).sessionId);
}

/**
 * A linked machine's sessions, as the socket layer serves them (decision 060): subscribe, replay
 * and history from this server's mirror (so they work while the machine is offline); everything
 * else forwarded over the link with the client's own requestId. Events the request causes come
 * back through the mirror and the bus; only the machine's direct answer (a result or an error
 * for this requestId) is passed to the requesting socket here.
 */
export function createRemoteHandlers(deps: RemoteHandlerDeps): RemoteHandlers {
  const { machines } = deps;

  /** Passes the machine's direct answer on; broadcasts and numbered events already went out through the bus. */
  const answer = (socket: PocketSocket, requestId: string, reply: ServerMessage): boolean => {
    const payload = reply.payload as { requestId?: string };
    if (payload.requestId !== requestId || isNumbered(reply)) return false;
    if (reply.type === "session:updated" || reply.type === "session:deleted") return false;
    (socket.emit as (type: string, payload: unknown) => void)(reply.type, reply.payload);
    return true;
  };

  return {
    "chat:send": async (socket, p, machineId) => {
      const earlier = machines.turnEvents(p.sessionId, p.requestId);
      if (earlier.length > 0) {
        // A retry of a message the machine already has: what it produced so far, to this socket (as locally).
        for (const event of earlier) deps.emitSessionEvent(socket, event);
        if (!earlier.some((e) => e.type === "chat:response" || e.type === "chat:error")) {
          deps.joinTurn(socket, p.sessionId, p.requestId);
        }
        return;
      }
      deps.joinTurn(socket, p.sessionId, p.requestId);
      try {
        const reply = await machines.request(machineId, "chat:send", p);
        if (answer(socket, p.requestId, reply)) deps.leaveTurn(socket, p.requestId);
      } catch (error) {
        deps.leaveTurn(socket, p.requestId);
        throw error;
      }
    },
    "chat:cancel": async (socket, p, machineId) => {
      const targets = new Set([p.requestId, p.targetRequestId]);
      const reply = await machines.request(machineId, "chat:cancel", p, {
        settles: (m) => m.type === "chat:error" && targets.has(m.payload.requestId),
      });
      answer(socket, p.requestId, reply);
    },
    "permission:respond": async (socket, p, machineId) => {
      const reply = await machines.request(machineId, "permission:respond", p, {
        settles: (m) =>
          (m.type === "permission:error" && m.payload.requestId === p.requestId) ||
          (m.type === "permission:resolved" && m.payload.permissionId === p.permissionId),
      });
      // Resolved otherwise while this answer was on the link (another device, a stopped turn): the
      // machine refuses this one after that, and the refusal would find nothing waiting for it.
      if (reply.type === "permission:resolved" && reply.payload.decision !== p.decision)
        throw new PocketError("PERMISSION_NOT_PENDING");
      answer(socket, p.requestId, reply);
    },
    "permission:rules": async (socket, p, machineId) => {
      answer(socket, p.requestId, await machines.request(machineId, "permission:rules", p));
    },
    "permission:revoke": async (socket, p, machineId) => {
      const reply = await machines.request(machineId, "permission:revoke", p);
      if (reply.type === "permission:revoked") deps.emitToWatchers(socket, p.sessionId, reply);
      else answer(socket, p.requestId, reply);
    },
    "session:create": async (socket, p, machineId) => {
      const { machineId: _machine, ...input } = p;
      const reply = await machines.request(machineId, "session:create", input);
      if (reply.type === "session:created") deps.watch(socket, reply.payload.id);
      answer(socket, p.requestId, reply);
    },
    "session:import": async (socket, p, machineId) => {
      const { machineId: _machine, ...input } = p;
      const reply = await machines.request(machineId, "session:import", input, {
        timeoutMs: FORWARDED_IMPORT_TIMEOUT_MS,
      });
      if (reply.type === "session:created") deps.watch(socket, reply.payload.id);
      answer(socket, p.requestId, reply);
    },
    "project:list": async (socket, p, machineId) => {
      const { machineId: _machine, ...input } = p;
      answer(socket, p.requestId, await machines.request(machineId, "project:list", input));
    },
    "project:sessions": async (socket, p, machineId) => {
      const { machineId: _machine, ...input } = p;
      answer(socket, p.requestId, await machines.request(machineId, "project:sessions", input));
    },
    "session:subscribe": (socket, p) => {
      // As locally: replay and join in one synchronous run, so nothing is missed or sent twice.
      const { events, fromSeq, lastSeq } = machines.replay(p.sessionId, p.afterSeq);
      deps.watch(socket, p.sessionId);
      for (const event of events) deps.emitSessionEvent(socket, event);
      socket.emit("session:subscribed", { sessionId: p.sessionId, requestId: p.requestId, fromSeq, lastSeq });
    },
    "session:unsubscribe": (socket, p) => {
      machines.session(p.sessionId);
      deps.unwatch(socket, p.sessionId);
      socket.emit("session:unsubscribed", { sessionId: p.sessionId, requestId: p.requestId });
    },
    "session:history": (socket, p) => {
      const page = machines.history(p.sessionId, p.beforeSeq, p.limit ?? LIMITS.historyPage);
      socket.emit("session:history", { sessionId: p.sessionId, requestId: p.requestId, ...page });
    },
    "session:update": async (socket, p, machineId) => {
      answer(socket, p.requestId, await machines.request(machineId, "session:update", p));
    },
    "session:delete": async (socket, p, machineId) => {
      answer(socket, p.requestId, await machines.request(machineId, "session:delete", p));
    },
    "commands:list": async (socket, p, machineId) => {
      answer(socket, p.requestId, await machines.request(machineId, "commands:list", p));
    },
    "changes:get": async (socket, p, machineId) => {
      answer(socket, p.requestId, await machines.request(machineId, "changes:get", p));
    },
    "file:read": async (socket, p, machineId) => {
      answer(socket, p.requestId, await machines.request(machineId, "file:read", p));
    },
  };
}
