/**
 * The socket as the chat machine sees it: every server event's listener gets the parsed payload
 * (serverPayloads.ts) or is not called at all. Wrapping the socket, rather than checking in each
 * listener, covers the request actors' reply listeners (connection/request.ts) too, and every
 * listener the app adds later.
 */
import { errorCodeMeaning, errorEventFor } from "../../shared/constants.ts";
import type { ServerEventName } from "../../shared/messages.ts";
import { isServerEventName, parseServerPayload, warnOnce } from "./serverPayloads.ts";
import type { ChatSocket } from "./socket.ts";

type Listener = (...args: never[]) => void;
type AnyListener = (event: string, ...args: unknown[]) => void;

// The overloads of ChatSocket.on/off cannot be called with a name only known at run time.
type LooseOn = (event: string, listener: Listener) => unknown;

const CHECKED = Symbol("checked");

class CheckedSocket implements ChatSocket {
  readonly [CHECKED] = true;
  private readonly wrappers = new Map<string, Map<Listener, Listener>>();
  private readonly socket: ChatSocket;

  constructor(socket: ChatSocket) {
    this.socket = socket;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get active(): boolean {
    return this.socket.active;
  }

  on: ChatSocket["on"] = (event: string, listener: Listener) =>
    (this.socket.on as LooseOn).call(
      this.socket,
      event,
      isServerEventName(event) ? this.wrap(event, listener) : listener,
    );

  off: ChatSocket["off"] = (event: string, listener: Listener) => {
    const wrapper = this.wrappers.get(event)?.get(listener);
    this.wrappers.get(event)?.delete(listener);
    return (this.socket.off as LooseOn).call(this.socket, event, wrapper ?? listener);
  };

  onAny(listener: AnyListener): unknown {
    return this.socket.onAny(listener);
  }

  offAny(listener: AnyListener): unknown {
    return this.socket.offAny(listener);
  }

  emit: ChatSocket["emit"] = (event, payload) => this.socket.emit(event, payload);

  connect(): unknown {
    return this.socket.connect();
  }

  disconnect(): unknown {
    return this.socket.disconnect();
  }

  private firstListener(event: string): Listener | undefined {
    return this.wrappers.get(event)?.keys().next().value;
  }

  /**
   * A reply this app cannot read still answers its request: the request fails at once with
   * INTERNAL_ERROR on its namespace's error event, instead of waiting for its timeout.
   */
  private failRequest(event: ServerEventName, payload: unknown): void {
    if (!REPLIES.has(event) || typeof payload !== "object" || payload === null) return;
    const requestId = (payload as { requestId?: unknown }).requestId;
    if (typeof requestId !== "string") return;
    const errorEvent = errorEventFor(event);
    const error = {
      code: "INTERNAL_ERROR" as const,
      message: `${errorCodeMeaning.INTERNAL_ERROR} Its answer could not be read: the server may be newer than this app; reload it.`,
      requestId,
    };
    for (const listener of [...(this.wrappers.get(errorEvent)?.keys() ?? [])])
      Reflect.apply(listener, undefined, [error]);
  }

  private wrap(event: ServerEventName, listener: Listener): Listener {
    let byListener = this.wrappers.get(event);
    if (!byListener) {
      byListener = new Map();
      this.wrappers.set(event, byListener);
    }
    const existing = byListener.get(listener);
    if (existing) return existing;
    const wrapper = (payload: unknown) => {
      const parsed = parseServerPayload(event, payload);
      if (parsed !== null) Reflect.apply(listener, undefined, [parsed]);
      else if (listener === this.firstListener(event)) this.failRequest(event, payload);
    };
    byListener.set(listener, wrapper);
    return wrapper;
  }
}

/** Replies to one request, as opposed to session events (which carry a turn's requestId and a seq). */
const REPLIES = new Set<string>([
  "session:list",
  "session:created",
  "session:updated",
  "session:deleted",
  "session:subscribed",
  "session:unsubscribed",
  "session:history",
  "project:list",
  "project:sessions",
]);

/** Wraps `socket` (once: a checked socket is returned as it is). */
export function checkedSocket(socket: ChatSocket): ChatSocket {
  return CHECKED in socket ? socket : new CheckedSocket(socket);
}

/** Logs, once per name, server events this app has no listener for (a newer server's). */
export function warnUnknownEvent(event: string): void {
  if (!isServerEventName(event)) warnOnce(`unknown server event "${event}"`);
}
