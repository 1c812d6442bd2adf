import type { Session, SessionEvent } from "../shared/messages.ts";

/**
 * In-process fan-out of what the session service does. The socket layer
 * listens today; Web Push and other machines' relays can listen tomorrow
 * without the session service knowing about them.
 */
export interface BusEvents {
  /**
   * A numbered session event, already stored. `replayed`: a linked machine's event that reached
   * this server in a catch-up after (re)linking, not live (decision 062: not notified).
   */
  sessionEvent: (event: SessionEvent, replayed?: boolean) => void;
  /**
   * A linked machine's approval request that a catch-up replayed (it was raised while the link was
   * down) and that is still waiting when the catch-up ends: already published as a `sessionEvent`,
   * this is for Web Push, which did not notify it then.
   */
  permissionMissed: (event: Extract<SessionEvent, { type: "permission:request" }>) => void;
  /** A session's listed fields changed (status, queue, title…); `requestId` when a request caused it. */
  sessionChanged: (session: Session, requestId?: string) => void;
  /** A session and all its data are gone. */
  sessionDeleted: (sessionId: string, requestId?: string) => void;
}

export class Bus {
  private readonly listeners: { [K in keyof BusEvents]: Set<BusEvents[K]> } = {
    sessionEvent: new Set(),
    permissionMissed: new Set(),
    sessionChanged: new Set(),
    sessionDeleted: new Set(),
  };

  on<K extends keyof BusEvents>(name: K, listener: BusEvents[K]): () => void {
    this.listeners[name].add(listener);
    return () => this.listeners[name].delete(listener);
  }

  emit<K extends keyof BusEvents>(name: K, ...args: Parameters<BusEvents[K]>): void {
    for (const listener of this.listeners[name]) {
      (listener as (...a: Parameters<BusEvents[K]>) => void)(...args);
    }
  }
}
