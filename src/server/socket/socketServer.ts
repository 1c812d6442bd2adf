import { hostname } from "node:os";
import { Server as Engine } from "@socket.io/bun-engine";
import { Server, type Socket } from "socket.io";
import type { z } from "zod";
import {
  type ClientEventName,
  type ClientPayload,
  type ClientToServerEvents,
  clientEvents,
  describeIssues,
  type ErrorCode,
  errorEventFor,
  invalidPayloadCode,
  isClientEventName,
  LIMITS,
  LOCAL_MACHINE_ID,
  requestIdOf,
  type ServerToClientEvents,
  type SessionEvent,
} from "../../shared/messages.ts";
import type { SocketAuthHooks } from "../auth/socket.ts";
import type { Bus } from "../bus.ts";
import type { ChangesService } from "../changes/changesService.ts";
import { PocketError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import type { MachineService } from "../machines/machineService.ts";
import { searchEverywhere } from "../machines/search.ts";
import type { ProjectService } from "../projects/projectService.ts";
import type { PushService } from "../push/pushService.ts";
import type { SessionService } from "../sessions/sessionService.ts";
import { createRemoteHandlers, isRouted, machineFor } from "./remoteHandlers.ts";

const log = createLogger("socket");

export type PocketServer = Server<ClientToServerEvents, ServerToClientEvents>;
export type PocketSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/**
 * Largest engine.io packet accepted: a maximal chat message in 4-byte UTF-8 plus framing, or one
 * image. A Socket.IO binary attachment travels as a packet of its own (a websocket frame, or base64
 * in a polling body, which the client splits at this size), so one image, not a message's five,
 * bounds it; the schema bounds the message as a whole (decision 050).
 */
export const MAX_PACKET_BYTES = Math.max(
  LIMITS.messageChars * 4 + 16_384,
  Math.ceil(LIMITS.attachmentBytes / 3) * 4 + 16_384,
);

export interface SocketServerOptions {
  service: SessionService;
  projects: ProjectService;
  /** A session's uncommitted changes and the file viewer. */
  changes: ChangesService;
  /** Web Push: subscriptions, presence (who is looking at which session), test notifications. */
  push: PushService;
  bus: Bus;
  serverVersion: string;
  /** This machine's name in the greeting (config's `machineName`); the host name by default. */
  machineName?: string;
  /** Admits or refuses connections (token, origin, throttle); see src/server/auth/socket.ts. */
  auth?: SocketAuthHooks;
  /** Linked machines (decision 060); without it this server serves only its own sessions. */
  machines?: MachineService;
}

const roomOf = (sessionId: string) => `session:${sessionId}`;
/** Sockets of other servers linking this one (`auth.link`): they are served this server's own sessions only. */
const LINKS = "links";
const isLink = (socket: PocketSocket) => socket.data.link === true;

/**
 * The transport. Each handler only parses, calls the session service and
 * emits; every failure becomes a typed `*:error` carrying the request's id.
 */
export function createSocketServer(options: SocketServerOptions): { io: PocketServer; engine: Engine } {
  const { service, bus, projects, push, changes, machines } = options;
  const io: PocketServer = new Server({ maxHttpBufferSize: MAX_PACKET_BYTES });
  const { auth } = options;
  const engine = new Engine({
    path: "/socket.io/",
    maxHttpBufferSize: MAX_PACKET_BYTES,
    ...(auth ? { allowRequest: auth.allowRequest } : {}),
  });
  if (auth) engine.on("connection", auth.onEngineConnection);
  io.bind(engine);
  if (auth) io.use(auth.middleware);

  const requesters = new TurnRequesters(io);
  bus.on("sessionEvent", (event) => {
    const { sessionId } = event.payload;
    // The sender of a turn hears how it goes whatever it watches; Socket.IO sends once to a socket in both rooms.
    const target = reachesRequester(event.type)
      ? io.to([roomOf(sessionId), requesters.roomOf(event.payload.requestId)])
      : io.to(roomOf(sessionId));
    emitSessionEvent(target, event);
    if (event.type === "chat:response" || event.type === "chat:error") requesters.release(event.payload.requestId);
  });
  // Everyone sees list changes; the requestId (when a request caused it) lets the requester correlate.
  // A linked machine's sessions never reach the sockets of servers linking this one: links go one way.
  const everyoneFor = (sessionId: string) => (machines?.owner(sessionId) ? io.except(LINKS) : io);
  bus.on("sessionChanged", (session, requestId) =>
    everyoneFor(session.id).emit("session:updated", requestId ? { session, requestId } : { session }),
  );
  bus.on("sessionDeleted", (sessionId, requestId) => {
    everyoneFor(sessionId).emit("session:deleted", requestId ? { sessionId, requestId } : { sessionId });
    io.socketsLeave(roomOf(sessionId));
    requesters.releaseSession(sessionId);
  });

  machines?.on("updated", (machine) => io.except(LINKS).emit("machine:updated", { machine }));
  machines?.on("removed", (machineId, requestId) => io.except(LINKS).emit("machine:removed", { machineId, requestId }));
  // A linked machine's sessions have no links in their rooms (links are refused them).
  machines?.on("relayed", (sessionId, message) =>
    (io.to(roomOf(sessionId)).emit as (type: string, payload: unknown) => void)(message.type, message.payload),
  );
  /** This server's sessions, and (for a client, not a link) those of the machines it links. */
  const sessionsFor = (socket: PocketSocket) =>
    machines && !isLink(socket) ? [...service.list(), ...machines.sessions()] : service.list();
  const remote = machines
    ? createRemoteHandlers({
        machines,
        joinTurn: (socket, sessionId, requestId) => requesters.join(socket, sessionId, requestId),
        leaveTurn: (socket, requestId) => requesters.leave(socket, requestId),
        watch,
        unwatch: (socket, sessionId) => socket.leave(roomOf(sessionId)),
        emitSessionEvent,
        emitToWatchers: (socket, sessionId, message) =>
          (io.to([roomOf(sessionId), socket.id]).emit as (type: string, payload: unknown) => void)(
            message.type,
            message.payload,
          ),
      })
    : null;
  const machineService = (socket: PocketSocket): MachineService => {
    if (isLink(socket)) throw new PocketError("MACHINE_LINK_REFUSED");
    if (!machines) throw new PocketError("MACHINE_NOT_FOUND", "This server links no machines.");
    return machines;
  };

  /** Only a machine this server links is routed away; any other id is none it knows (and a link may name none). */
  const onThisMachine = (socket: PocketSocket, machineId: string | undefined): void => {
    if (machineId && machineId !== LOCAL_MACHINE_ID) {
      throw new PocketError(isLink(socket) ? "MACHINE_LINK_REFUSED" : "MACHINE_NOT_FOUND");
    }
  };

  const handlers: {
    [K in ClientEventName]: (socket: PocketSocket, payload: ClientPayload<K>) => void | Promise<void>;
  } = {
    "chat:send": (socket, p) => {
      // Joined before sending: the service publishes chat:queued before it returns.
      requesters.join(socket, p.sessionId, p.requestId);
      let result: ReturnType<SessionService["send"]>;
      try {
        result = service.send(p);
      } catch (error) {
        requesters.leave(socket, p.requestId);
        throw error;
      }
      if (!result.duplicate) return;
      // A retry of an accepted message: replay what that turn has produced so far, to the retrying socket only.
      for (const event of result.events) emitSessionEvent(socket, event);
      if (result.events.some((e) => e.type === "chat:response" || e.type === "chat:error")) {
        requesters.leave(socket, p.requestId);
      }
    },
    "chat:cancel": async (_socket, p) => {
      await service.cancel(p);
    },
    "session:list": (socket, p) => {
      socket.emit("session:list", { sessions: sessionsFor(socket), requestId: p.requestId });
    },
    "session:create": (socket, p) => {
      const { requestId, machineId, ...input } = p;
      onThisMachine(socket, machineId);
      const session = service.create(input);
      watch(socket, session.id);
      socket.emit("session:created", { ...session, requestId });
    },
    "session:subscribe": (socket, p) => {
      // Join, replay and confirm in one synchronous run: no event can be published in between,
      // so the subscriber sees every event exactly once, in seq order.
      const { events, fromSeq, lastSeq } = service.replay(p.sessionId, p.afterSeq);
      watch(socket, p.sessionId);
      for (const event of events) emitSessionEvent(socket, event);
      socket.emit("session:subscribed", { sessionId: p.sessionId, requestId: p.requestId, fromSeq, lastSeq });
    },
    "session:unsubscribe": (socket, p) => {
      service.get(p.sessionId);
      socket.leave(roomOf(p.sessionId));
      socket.emit("session:unsubscribed", { sessionId: p.sessionId, requestId: p.requestId });
    },
    "session:update": (_socket, p) => {
      const { requestId, confirmBypass: _confirmed, ...input } = p;
      service.update(input, requestId);
    },
    "session:delete": async (_socket, p) => {
      await service.delete(p.sessionId, p.requestId);
    },
    "session:search": (socket, p) => {
      // A link is served this server's own sessions only (decision 060); a client also those it mirrors (064).
      const results =
        machines && !isLink(socket) ? searchEverywhere(p.query, service, machines) : service.search(p.query);
      socket.emit("session:found", { query: p.query, requestId: p.requestId, results });
    },
    "permission:respond": (_socket, p) => {
      const { requestId: _requestId, ...answer } = p;
      // Answered on the session's room by `permission:resolved` (matched by permissionId).
      service.respondToPermission(answer);
    },
    "permission:rules": (socket, p) => {
      socket.emit("permission:rules", {
        sessionId: p.sessionId,
        rules: service.allowRulesOf(p.sessionId),
        requestId: p.requestId,
      });
    },
    "permission:revoke": (socket, p) => {
      service.revokeAllowRule(p.sessionId, p.ruleId);
      // Every device watching the session drops it from its list too.
      io.to([roomOf(p.sessionId), socket.id]).emit("permission:revoked", p);
    },
    "session:history": (socket, p) => {
      const page = service.history(p.sessionId, p.beforeSeq, p.limit ?? LIMITS.historyPage);
      socket.emit("session:history", { sessionId: p.sessionId, requestId: p.requestId, ...page });
    },
    "session:import": async (socket, p) => {
      onThisMachine(socket, p.machineId);
      const session = await projects.importClaudeSession({ claudeSessionId: p.claudeSessionId, path: p.path });
      watch(socket, session.id);
      socket.emit("session:created", { ...session, requestId: p.requestId });
    },
    "project:list": async (socket, p) => {
      onThisMachine(socket, p.machineId);
      socket.emit("project:list", { projects: await projects.list(), requestId: p.requestId });
    },
    "project:sessions": async (socket, p) => {
      onThisMachine(socket, p.machineId);
      const page = await projects.claudeSessions(p.path, { limit: p.limit, offset: p.offset });
      socket.emit("project:sessions", { ...page, requestId: p.requestId });
    },
    "changes:get": async (socket, p) => {
      const result = await changes.sessionChanges(p.sessionId);
      socket.emit("changes:result", { sessionId: p.sessionId, requestId: p.requestId, ...result });
    },
    "file:read": async (socket, p) => {
      const file = await changes.readFile(p.sessionId, p.path);
      socket.emit("file:content", { sessionId: p.sessionId, path: p.path, requestId: p.requestId, ...file });
    },
    "push:subscribe": (socket, p) => {
      const { requestId, ...input } = p;
      const { deviceId } = push.subscribe(socket.id, input);
      socket.emit("push:subscribed", { deviceId, requestId });
    },
    "push:unsubscribe": (socket, p) => {
      push.unsubscribe(socket.id, p.endpoint);
      socket.emit("push:unsubscribed", { requestId: p.requestId });
    },
    "push:test": async (socket, p) => {
      const sent = await push.test(socket.id);
      socket.emit("push:tested", { sent, requestId: p.requestId });
    },
    "commands:list": async (socket, p) => {
      const commands = await service.commands(p.sessionId);
      socket.emit("commands:result", { sessionId: p.sessionId, requestId: p.requestId, commands });
    },
    "presence:update": (socket, p) => {
      push.updatePresence(
        socket.id,
        p.sessionId ? { visible: p.visible, sessionId: p.sessionId } : { visible: p.visible },
      );
    },
    "machine:list": (socket, p) => {
      socket.emit("machine:list", { machines: machineService(socket).list(), requestId: p.requestId });
    },
    "machine:add": async (socket, p) => {
      const { requestId, ...input } = p;
      const machine = await machineService(socket).add(input);
      socket.emit("machine:added", { machine, requestId });
    },
    "machine:remove": (socket, p) => {
      // Answered to everyone (the requester included) by `machine:removed`.
      machineService(socket).remove(p.machineId, p.requestId);
    },
    "machine:trust": (socket, p) => {
      // Everyone hears the new state as `machine:updated`; the requester also gets it with its requestId.
      const machine = machineService(socket).trust(p.machineId, p.fingerprint);
      socket.emit("machine:updated", { machine, requestId: p.requestId });
    },
    "machine:ping": (socket, p) => {
      socket.emit("machine:pong", { requestId: p.requestId });
    },
  };

  async function dispatch<K extends ClientEventName>(socket: PocketSocket, name: K, raw: unknown): Promise<void> {
    const schema = clientEvents[name] as unknown as z.ZodType<ClientPayload<K>>;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      sendError(
        socket,
        name,
        raw,
        invalidPayloadCode(parsed.error),
        `Invalid ${name}: ${describeIssues(parsed.error)}`,
      );
      return;
    }
    try {
      const machineId =
        machines && !isLink(socket) && isRouted(name) ? machineFor(machines, name, parsed.data) : undefined;
      if (machineId && remote && isRouted(name)) {
        await (remote[name] as (s: PocketSocket, p: unknown, m: string) => void | Promise<void>)(
          socket,
          parsed.data,
          machineId,
        );
      } else {
        await handlers[name](socket, parsed.data);
      }
    } catch (error) {
      if (error instanceof PocketError) {
        sendError(socket, name, raw, error.code, error.message);
      } else {
        log.error("handler failed", { event: name, error: error instanceof Error ? error.stack : String(error) });
        sendError(socket, name, raw, "INTERNAL_ERROR", "The server failed to handle this request.");
      }
    }
  }

  io.on("connection", (socket) => {
    log.debug("connected", { id: socket.id });
    if (socket.handshake.auth.link === true) {
      socket.data.link = true;
      socket.join(LINKS);
    }
    socket.emit("connection", {
      status: "connected",
      sessions: sessionsFor(socket),
      serverVersion: options.serverVersion,
      push: { vapidPublicKey: push.vapidPublicKey },
      ...(machines && !isLink(socket) ? { machines: machines.list() } : {}),
      machineName: options.machineName ?? hostname(),
    });
    // A client that is gone is looking at nothing: its sessions notify again at once.
    socket.on("disconnect", () => push.disconnected(socket.id));
    socket.onAny((name: string, ...args: unknown[]) => {
      if (!isClientEventName(name)) {
        sendError(socket, name, args[0], "UNKNOWN_EVENT", `Unknown event "${name}".`);
        return;
      }
      void dispatch(socket, name, args[0]);
    });
  });

  return { io, engine };
}

/**
 * A socket watches every session it subscribed to or created, until it unsubscribes: a phone
 * that switches sessions mid-turn, a second tab or a script driving several sessions at once.
 */
function watch(socket: PocketSocket, sessionId: string): void {
  socket.join(roomOf(sessionId));
}

/** Session events the socket that sent the turn always receives, watching its session or not. */
function reachesRequester(type: SessionEvent["type"]): boolean {
  return type !== "chat:delta" && type !== "log";
}

/**
 * The sockets waiting for the outcome of turns they sent, as one room per turn, so the rule
 * holds with any Socket.IO adapter (several server processes, tomorrow) and a socket that
 * disconnects simply drops out.
 */
class TurnRequesters {
  /** Unfinished turns with a requester room, and their session: cleaned up if the session is deleted mid-turn. */
  private readonly sessionOf = new Map<string, string>();

  constructor(private readonly io: PocketServer) {}

  roomOf(requestId: string): string {
    return `turn:${requestId}`;
  }

  join(socket: PocketSocket, sessionId: string, requestId: string): void {
    socket.join(this.roomOf(requestId));
    // A retry may name another session (and be refused): the turn stays its own session's.
    if (!this.sessionOf.has(requestId)) this.sessionOf.set(requestId, sessionId);
  }

  /** This socket no longer waits (its request was refused, or the turn had already ended). */
  leave(socket: PocketSocket, requestId: string): void {
    socket.leave(this.roomOf(requestId));
    if (this.io.sockets.adapter.rooms.get(this.roomOf(requestId)) === undefined) this.sessionOf.delete(requestId);
  }

  /** The turn ended: its room is no longer needed. */
  release(requestId: string): void {
    if (!this.sessionOf.delete(requestId)) return;
    this.io.socketsLeave(this.roomOf(requestId));
  }

  releaseSession(sessionId: string): void {
    for (const [requestId, owner] of this.sessionOf) if (owner === sessionId) this.release(requestId);
  }
}

function sendError(socket: PocketSocket, eventName: string, raw: unknown, code: ErrorCode, message: string): void {
  const sessionId = sessionIdOf(raw);
  const payload = { message, code, requestId: requestIdOf(raw), ...(sessionId ? { sessionId } : {}) };
  socket.emit(errorEventFor(eventName), payload);
}

function sessionIdOf(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null || !("sessionId" in raw)) return undefined;
  const value = (raw as { sessionId: unknown }).sessionId;
  return typeof value === "string" && /^[0-9a-f-]{36}$/i.test(value) ? value : undefined;
}

interface Emitter {
  emit: PocketSocket["emit"];
}

/** Emits a stored event under its own name. The union is correlated by construction, which TS cannot follow. */
function emitSessionEvent(target: Emitter, event: SessionEvent): void {
  (target.emit as (name: SessionEvent["type"], payload: SessionEvent["payload"]) => boolean)(event.type, event.payload);
}
