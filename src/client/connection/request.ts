/**
 * Request/response correlation over Socket.IO events (no acknowledgements):
 * emit a typed request with a fresh `requestId`, then settle on the first reply
 * that carries the same id, on that namespace's `*:error` with the same id, on a
 * disconnect, or on a timeout.
 */
import { type ErrorCode, errorCodeMeaning, errorEventFor } from "../../shared/constants.ts";
import type { ClientEventName, ClientPayload, ServerEventName, ServerPayload } from "../../shared/messages.ts";
import type { ChatSocket } from "./socket.ts";

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** An error the UI can show: a code from the shared set and a message. */
export interface ClientError {
  code: ErrorCode;
  message: string;
}

export class RequestError extends Error {
  readonly code: ErrorCode;
  readonly requestId: string;
  constructor(code: ErrorCode, message: string, requestId: string) {
    super(message);
    this.name = "RequestError";
    this.code = code;
    this.requestId = requestId;
  }
}

/** Turns whatever an actor rejected with into a `ClientError`. */
export function toClientError(error: unknown): ClientError {
  if (error instanceof RequestError) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "INTERNAL_ERROR", message };
}

/** What a listener decides about an incoming event. */
export type Verdict<T> = { ok: T } | { error: ClientError } | undefined;

/** Registers typed listeners for the lifetime of one request. */
export interface ReplyWatcher<T> {
  on<K extends ServerEventName>(event: K, decide: (payload: ServerPayload<K>) => Verdict<T>): void;
}

export interface RequestOptions<Req extends ClientEventName, T> {
  event: Req;
  payload: ClientPayload<Req> & { requestId: string };
  /** Subscribes the events that settle the request. The namespace's `*:error` with our id is always watched. */
  watch: (watcher: ReplyWatcher<T>) => void;
  timeoutMs?: number;
  /** Aborting stops listening (the actor was stopped); the promise then rejects with CANCELLED. */
  signal?: AbortSignal;
}

/** Emits `event` and resolves with what `watch` accepts. Never leaves listeners behind. */
export function socketRequest<Req extends ClientEventName, T>(
  socket: ChatSocket,
  options: RequestOptions<Req, T>,
): Promise<T> {
  const { event, payload, watch, signal } = options;
  const requestId = payload.requestId;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  return new Promise<T>((resolve, reject) => {
    const cleanups: Array<() => void> = [];
    let settled = false;

    const finish = (verdict: Exclude<Verdict<T>, undefined>) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      if ("ok" in verdict) resolve(verdict.ok);
      else reject(new RequestError(verdict.error.code, verdict.error.message, requestId));
    };

    const watcher: ReplyWatcher<T> = {
      on(name, decide) {
        const listener = (reply: ServerPayload<typeof name>) => {
          const verdict = decide(reply);
          if (verdict) finish(verdict);
        };
        socket.on(name, listener);
        cleanups.push(() => socket.off(name, listener));
      },
    };

    watcher.on(errorEventFor(event), (error) =>
      error.requestId === requestId ? { error: { code: error.code, message: error.message } } : undefined,
    );
    watch(watcher);

    const onDisconnect = () => finish({ error: { code: "DISCONNECTED", message: errorCodeMeaning.DISCONNECTED } });
    socket.on("disconnect", onDisconnect);
    cleanups.push(() => socket.off("disconnect", onDisconnect));

    const timer = setTimeout(
      () => finish({ error: { code: "TIMEOUT", message: `${errorCodeMeaning.TIMEOUT} (${event}, ${timeoutMs} ms)` } }),
      timeoutMs,
    );
    cleanups.push(() => clearTimeout(timer));

    if (signal) {
      const onAbort = () => finish({ error: { code: "CANCELLED", message: "The request was abandoned." } });
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener("abort", onAbort));
    }

    if (!socket.connected) {
      finish({ error: { code: "DISCONNECTED", message: errorCodeMeaning.DISCONNECTED } });
      return;
    }
    socket.emit(event, payload);
  });
}

export interface ReplyOptions<Req extends ClientEventName, Res extends ServerEventName> {
  event: Req;
  payload: ClientPayload<Req> & { requestId: string };
  /** The reply event; the one echoing our requestId settles the request. */
  reply: Res;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The common case: one request, one reply event carrying the same requestId. */
export function requestReply<Req extends ClientEventName, Res extends ServerEventName>(
  socket: ChatSocket,
  options: ReplyOptions<Req, Res>,
): Promise<ServerPayload<Res>> {
  const requestId = options.payload.requestId;
  return socketRequest<Req, ServerPayload<Res>>(socket, {
    event: options.event,
    payload: options.payload,
    watch: (w) =>
      w.on(options.reply, (reply) =>
        "requestId" in reply && reply.requestId === requestId ? { ok: reply } : undefined,
      ),
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
}
