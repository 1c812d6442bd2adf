/**
 * Whether this browser is paired with the server, and pairing it with a pasted
 * token (see pairing.ts for the HTTP side and docs/security.md).
 *
 * It starts by asking `GET /api/auth/status`; the socket's own verdict (a
 * `connect_error` with code UNAUTHORIZED, or a connection) also moves it, via
 * `bridgeChatToPairing`. A successful pairing emits `paired`: the app then
 * asks the chat machine to reconnect, now with the cookie.
 *
 * checking → paired | unpaired | unknown (server unreachable: the socket decides)
 * unpaired → pairing → paired (emits `paired`) | unpaired (with the failure)
 */
import { assign, emit, fromPromise, setup } from "xstate";
import type { ChatActorRef } from "../chat/useChat.ts";
import { type FetchLike, fetchPaired, PairError, type PairFailure, pairWithToken } from "./pairing.ts";

export interface PairingInput {
  fetch: FetchLike;
  /** The page was opened from a pairing link the server refused (`/?pair=failed`). */
  linkFailed?: boolean;
  now?: () => number;
}

export interface PairingContext {
  fetch: FetchLike;
  now: () => number;
  linkFailed: boolean;
  failure: PairFailure | null;
  /** Epoch ms until which the server refuses attempts (429); null when not throttled. */
  retryUntil: number | null;
  /** This device was paired and the server stopped accepting it (the token was rotated). */
  lostPairing: boolean;
}

export type PairingEvent =
  | { type: "PAIR"; token: string }
  | { type: "SOCKET.UNAUTHORIZED" }
  | { type: "SOCKET.CONNECTED" }
  | { type: "DISMISS_LINK_FAILED" };

export type PairingEmitted = { type: "paired" };

function failureOf(error: unknown): PairFailure {
  if (error instanceof PairError) return error.failure;
  return { kind: "network" };
}

export const pairingMachine = setup({
  types: {
    context: {} as PairingContext,
    events: {} as PairingEvent,
    input: {} as PairingInput,
    emitted: {} as PairingEmitted,
  },
  actors: {
    checkStatus: fromPromise<boolean, { fetch: FetchLike }>(({ input, signal }) => fetchPaired(input.fetch, signal)),
    pair: fromPromise<void, { fetch: FetchLike; token: string }>(({ input, signal }) =>
      pairWithToken(input.fetch, input.token, signal),
    ),
  },
  guards: {
    canAttempt: ({ context, event }) =>
      event.type === "PAIR" &&
      event.token.trim() !== "" &&
      (context.retryUntil === null || context.now() >= context.retryUntil),
  },
}).createMachine({
  id: "pairing",
  context: ({ input }) => ({
    fetch: input.fetch,
    now: input.now ?? Date.now,
    linkFailed: input.linkFailed ?? false,
    failure: null,
    retryUntil: null,
    lostPairing: false,
  }),
  initial: "checking",
  on: {
    DISMISS_LINK_FAILED: { actions: assign({ linkFailed: false }) },
  },
  states: {
    checking: {
      invoke: {
        src: "checkStatus",
        input: ({ context }) => ({ fetch: context.fetch }),
        onDone: [{ guard: ({ event }) => event.output, target: "paired" }, { target: "unpaired" }],
        onError: { target: "unknown" },
      },
      on: {
        "SOCKET.UNAUTHORIZED": { target: "unpaired" },
        "SOCKET.CONNECTED": { target: "paired" },
      },
    },
    unknown: {
      on: {
        "SOCKET.UNAUTHORIZED": { target: "unpaired" },
        "SOCKET.CONNECTED": { target: "paired" },
      },
    },
    paired: {
      on: {
        "SOCKET.UNAUTHORIZED": { target: "unpaired", actions: assign({ lostPairing: true }) },
      },
    },
    unpaired: {
      on: {
        PAIR: { guard: "canAttempt", target: "pairing" },
        "SOCKET.CONNECTED": { target: "paired" },
      },
    },
    pairing: {
      invoke: {
        src: "pair",
        input: ({ context, event }) => ({ fetch: context.fetch, token: event.type === "PAIR" ? event.token : "" }),
        onDone: {
          target: "paired",
          actions: [
            assign({ failure: null, retryUntil: null, linkFailed: false, lostPairing: false }),
            emit({ type: "paired" }),
          ],
        },
        onError: {
          target: "unpaired",
          actions: assign(({ context, event }) => {
            const failure = failureOf(event.error);
            return {
              failure,
              retryUntil: failure.kind === "rate-limited" ? context.now() + failure.retryAfterSec * 1000 : null,
            };
          }),
        },
      },
    },
  },
});

export type PairingMachine = typeof pairingMachine;

/** The parts of the actors the bridge uses (the real ones, or test doubles). */
interface PairingTarget {
  send(event: PairingEvent): void;
  on(type: "paired", handler: () => void): { unsubscribe(): void };
}

/**
 * Wires the chat machine and the pairing machine together: each new
 * UNAUTHORIZED refusal of the socket and each connection go to the pairing
 * machine; a successful pairing makes the chat machine reconnect at once.
 * Returns the function that undoes it.
 */
export function bridgeChatToPairing(chat: ChatActorRef, pairing: PairingTarget): () => void {
  let previous = chat.getSnapshot().context.connection;
  if (previous.status === "connected") pairing.send({ type: "SOCKET.CONNECTED" });
  else if (previous.errorCode === "UNAUTHORIZED" && previous.attempts > 0)
    pairing.send({ type: "SOCKET.UNAUTHORIZED" });
  const subscription = chat.subscribe((snapshot) => {
    const connection = snapshot.context.connection;
    if (connection === previous) return;
    const before = previous;
    previous = connection;
    if (connection.status === "connected" && before.status !== "connected") {
      pairing.send({ type: "SOCKET.CONNECTED" });
    } else if (connection.errorCode === "UNAUTHORIZED" && connection.attempts > before.attempts) {
      pairing.send({ type: "SOCKET.UNAUTHORIZED" });
    }
  });
  const paired = pairing.on("paired", () => chat.send({ type: "RECONNECT" }));
  return () => {
    subscription.unsubscribe();
    paired.unsubscribe();
  };
}
