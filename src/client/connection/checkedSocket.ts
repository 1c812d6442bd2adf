/**
 * The socket as the chat machine sees it: every server event's listener gets the parsed payload
 * (serverPayloads.ts) or is not called at all. Wrapping the socket, rather than checking in each
 * listener, covers the request actors' reply listeners (connection/request.ts) too, and every
 * listener the app adds later.
 */
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
    };
    byListener.set(listener, wrapper);
    return wrapper;
  }
}

/** Wraps `socket` (once: a checked socket is returned as it is). */
export function checkedSocket(socket: ChatSocket): ChatSocket {
  return CHECKED in socket ? socket : new CheckedSocket(socket);
}

/** Logs, once per name, server events this app has no listener for (a newer server's). */
export function warnUnknownEvent(event: string): void {
  if (!isServerEventName(event)) warnOnce(`unknown server event "${event}"`);
}
