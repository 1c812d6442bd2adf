/**
 * One request at a time from a list kept in the chat context: messages to send, permission
 * answers, session changes and Stop requests all go out like this. The next item leaves only once
 * the server has answered the one before (or it failed), so the server sees them in the order the
 * user made them, and a reply can never be matched to the wrong item.
 *
 * A queue is its pure logic (`SerialQueue`: which item is next, what an answer or a failure does to
 * the context) plus a request actor made with `queueRequest`; `serialQueue()` builds the parallel
 * region that drives them (idle → busy → idle).
 */
import { assign, type DoneActorEvent, type ErrorActorEvent, fromPromise } from "xstate";
import { type ClientError, toClientError } from "../connection/request.ts";
import type { ChatSocket } from "../connection/socket.ts";
import type { ChatContext, ChatEvent } from "./types.ts";

export interface SerialQueue<Item> {
  /** The item to send now, if any. Not always the list's head: the outbox skips messages that failed. */
  next(context: ChatContext): Item | undefined;
  /** The server accepted `item`. */
  done(context: ChatContext, item: Item): Partial<ChatContext>;
  /** The request for `item` failed (the server refused it, the connection dropped, no answer in time). */
  failed(context: ChatContext, item: Item, error: ClientError): Partial<ChatContext>;
}

export interface QueueRequestInput<Item> {
  socket: ChatSocket;
  timeoutMs: number;
  item: Item;
}

/** Carries the item a request was for to the region's `onError`, which cannot see the actor's input. */
class QueueRequestError<Item> extends Error {
  readonly item: Item;
  readonly reason: unknown;
  constructor(item: Item, reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.item = item;
    this.reason = reason;
  }
}

/** A queue's request actor: settles with the item it sent, whatever the server's reply was. */
export function queueRequest<Item>(send: (input: QueueRequestInput<Item>, signal: AbortSignal) => Promise<unknown>) {
  return fromPromise<Item, QueueRequestInput<Item>>(async ({ input, signal }) => {
    try {
      await send(input, signal);
    } catch (error) {
      throw new QueueRequestError(input.item, error);
    }
    return input.item;
  });
}

/**
 * The region that drains `queue` through the machine's actor `src` (one made by `queueRequest` for
 * the same item type). Every context change goes through `done` and `failed`.
 */
export function serialQueue<Item, const Src extends string>(src: Src, queue: SerialQueue<Item>) {
  // The assigns are typed by hand (the region is built outside the machine's config, so nothing
  // infers them); their actor type is `never` because they spawn nothing.
  return {
    initial: "idle" as const,
    states: {
      idle: {
        always: {
          guard: ({ context }: { context: ChatContext }) => queue.next(context) !== undefined,
          target: "busy" as const,
        },
      },
      busy: {
        invoke: {
          src,
          input: ({ context }: { context: ChatContext }): QueueRequestInput<Item> => {
            const item = queue.next(context);
            if (item === undefined) throw new Error(`${src}: nothing to send`);
            return { socket: context.socket, timeoutMs: context.timeoutMs, item };
          },
          onDone: {
            target: "idle" as const,
            actions: assign<ChatContext, DoneActorEvent<Item>, undefined, ChatEvent, never>(({ context, event }) =>
              queue.done(context, event.output),
            ),
          },
          onError: {
            target: "idle" as const,
            actions: assign<ChatContext, ErrorActorEvent, undefined, ChatEvent, never>(({ context, event }) => {
              // Only an actor not made by queueRequest rejects with anything else: a bug, so loud.
              if (!(event.error instanceof QueueRequestError)) throw event.error;
              const failed: QueueRequestError<Item> = event.error;
              return queue.failed(context, failed.item, toClientError(failed.reason));
            }),
          },
        },
      },
    },
  };
}
