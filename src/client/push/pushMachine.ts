/**
 * This device's notifications: whether they can be had here, turning them on (permission is asked
 * on a tap, never on load), the device's name and events, the test, turning them off.
 *
 * checking → unsupported | blocked | off | syncing → on
 * off → enabling → on | blocked (the user refused) | off (with the error)
 * on → saving | testing → on;  on → disabling → off
 *
 * `syncing` re-sends this browser's subscription (`push:subscribe`, same endpoint: same device): at
 * start, and after every reconnect (`SYNC`), so the server always has the current keys and knows
 * this socket's device (for `push:test`). A subscription made with another server key (the server's
 * VAPID keys were replaced) is renewed.
 */
import { assign, fromPromise, setup } from "xstate";
import type { PushEventKind } from "../../shared/constants.ts";
import type { PushSubscriptionJson } from "../../shared/messages.ts";
import type { KeyValueStore } from "../chat/types.ts";
import { type ClientError, requestReply, toClientError } from "../connection/request.ts";
import type { ChatSocket } from "../connection/socket.ts";
import type { PushBrowser } from "./browserPush.ts";
import { cleanName, type PushPreferences, readPushPreferences, savePushPreferences } from "./preferences.ts";
import type { PushSupport } from "./support.ts";

export interface PushMachineInput {
  browser: PushBrowser;
  socket: ChatSocket;
  /** The server's VAPID key from the last `connection` (null before one). */
  vapidKey: () => string | null;
  storage: KeyValueStore | null;
  /** The name until the user gives one (from the user agent). */
  defaultName: string;
  timeoutMs?: number;
}

export interface PushContext extends PushMachineInput {
  support: PushSupport | null;
  preferences: PushPreferences;
  /** This browser's subscription while notifications are on. */
  subscription: PushSubscriptionJson | null;
  error: ClientError | null;
  /** The last test: how many devices the push service accepted it for. */
  tested: { sent: number } | null;
}

export type PushEvent =
  | { type: "ENABLE" }
  | { type: "DISABLE" }
  | { type: "TEST" }
  | { type: "SAVE"; deviceName?: string; events?: PushEventKind[] }
  /** Reconnected, or the page came back: check again and re-send the subscription. */
  | { type: "SYNC" }
  | { type: "DISMISS_ERROR" };

type Checked =
  | { state: "unsupported"; support: PushSupport }
  | { state: "blocked"; support: PushSupport }
  | { state: "off"; support: PushSupport }
  | { state: "subscribed"; support: PushSupport; subscription: PushSubscriptionJson };

class Refused extends Error {}

/** `push:subscribe` with this device's choices; resolves once the server stored it. */
async function register(context: PushContext, subscription: PushSubscriptionJson, preferences: PushPreferences) {
  await requestReply(context.socket, {
    event: "push:subscribe",
    payload: {
      subscription,
      deviceName: preferences.deviceName,
      events: preferences.events,
      requestId: crypto.randomUUID(),
    },
    reply: "push:subscribed",
    timeoutMs: context.timeoutMs,
  });
}

function needKey(context: PushContext): string {
  const key = context.vapidKey();
  if (!key) throw new Error("Not connected to the server yet.");
  return key;
}

export const pushMachine = setup({
  types: {
    context: {} as PushContext,
    events: {} as PushEvent,
    input: {} as PushMachineInput,
  },
  actors: {
    check: fromPromise<Checked, PushContext>(async ({ input }) => {
      const support = input.browser.support();
      if (!support.ok) return { state: "unsupported", support };
      const permission = input.browser.permission();
      if (permission === "denied") return { state: "blocked", support };
      const current = permission === "granted" ? await input.browser.current() : null;
      if (!current) return { state: "off", support };
      return { state: "subscribed", support, subscription: current.subscription };
    }),
    sync: fromPromise<PushSubscriptionJson, PushContext>(async ({ input }) => {
      const current = await input.browser.current();
      let subscription = current?.subscription ?? input.subscription;
      if (!subscription) throw new Error("This browser has no push subscription any more.");
      const key = input.vapidKey();
      if (key && current?.serverKey && current.serverKey !== key) {
        // The server has new keys: the old subscription can never receive from it.
        await input.browser.unsubscribe();
        subscription = await input.browser.subscribe(key);
      }
      await register(input, subscription, input.preferences);
      return subscription;
    }),
    enable: fromPromise<PushSubscriptionJson, PushContext>(async ({ input }) => {
      const key = needKey(input);
      const permission = input.browser.permission() === "granted" ? "granted" : await input.browser.requestPermission();
      if (permission !== "granted") throw new Refused("Notifications were not allowed.");
      const subscription = await input.browser.subscribe(key);
      await register(input, subscription, input.preferences);
      return subscription;
    }),
    save: fromPromise<void, PushContext>(async ({ input }) => {
      if (!input.subscription) throw new Error("Notifications are off.");
      await register(input, input.subscription, input.preferences);
    }),
    test: fromPromise<{ sent: number }, PushContext>(async ({ input }) => {
      const { sent } = await requestReply(input.socket, {
        event: "push:test",
        payload: { requestId: crypto.randomUUID() },
        reply: "push:tested",
        timeoutMs: input.timeoutMs,
      });
      return { sent };
    }),
    disable: fromPromise<void, PushContext>(async ({ input }) => {
      const endpoint = input.subscription?.endpoint;
      // The browser's subscription goes first: even if the server is away, nothing can reach this device.
      await input.browser.unsubscribe();
      if (endpoint) {
        await requestReply(input.socket, {
          event: "push:unsubscribe",
          payload: { endpoint, requestId: crypto.randomUUID() },
          reply: "push:unsubscribed",
          timeoutMs: input.timeoutMs,
        });
      }
    }),
  },
  actions: {
    fail: assign(({ event }) => ({ error: toClientError((event as { error?: unknown }).error) })),
    savePreferences: assign(({ context, event }) => {
      if (event.type !== "SAVE") return {};
      const deviceName = event.deviceName === undefined ? context.preferences.deviceName : cleanName(event.deviceName);
      const preferences: PushPreferences = {
        deviceName: deviceName || context.defaultName,
        events: event.events ?? context.preferences.events,
      };
      savePushPreferences(context.storage, preferences);
      return { preferences };
    }),
  },
  guards: {
    refused: ({ event }) => (event as { error?: unknown }).error instanceof Refused,
  },
}).createMachine({
  id: "push",
  context: ({ input }) => ({
    ...input,
    support: null,
    preferences: readPushPreferences(input.storage, input.defaultName),
    subscription: null,
    error: null,
    tested: null,
  }),
  initial: "checking",
  on: {
    DISMISS_ERROR: { actions: assign({ error: null }) },
  },
  states: {
    checking: {
      invoke: {
        src: "check",
        input: ({ context }) => context,
        onDone: [
          {
            guard: ({ event }) => event.output.state === "unsupported",
            target: "unsupported",
            actions: assign(({ event }) => ({ support: event.output.support })),
          },
          {
            guard: ({ event }) => event.output.state === "blocked",
            target: "blocked",
            actions: assign(({ event }) => ({ support: event.output.support })),
          },
          {
            guard: ({ event }) => event.output.state === "subscribed",
            target: "syncing",
            actions: assign(({ event }) => ({
              support: event.output.support,
              subscription: event.output.state === "subscribed" ? event.output.subscription : null,
            })),
          },
          { target: "off", actions: assign(({ event }) => ({ support: event.output.support, subscription: null })) },
        ],
        onError: { target: "off", actions: "fail" },
      },
    },
    unsupported: {},
    blocked: {
      on: { SYNC: "checking", ENABLE: "checking" },
    },
    off: {
      on: {
        ENABLE: { target: "enabling", actions: assign({ error: null, tested: null }) },
        SYNC: "checking",
        SAVE: { actions: "savePreferences" },
      },
    },
    enabling: {
      invoke: {
        src: "enable",
        input: ({ context }) => context,
        onDone: { target: "on", actions: assign(({ event }) => ({ subscription: event.output, error: null })) },
        onError: [
          { guard: "refused", target: "checking" },
          { target: "off", actions: "fail" },
        ],
      },
    },
    syncing: {
      invoke: {
        src: "sync",
        input: ({ context }) => context,
        onDone: { target: "on", actions: assign(({ event }) => ({ subscription: event.output, error: null })) },
        // Still subscribed in this browser; the server will hear of it at the next sync.
        onError: { target: "on", actions: "fail" },
      },
    },
    on: {
      on: {
        SAVE: { target: "saving", actions: "savePreferences" },
        TEST: { target: "testing", actions: assign({ tested: null, error: null }) },
        DISABLE: { target: "disabling", actions: assign({ error: null, tested: null }) },
        SYNC: "syncing",
      },
    },
    saving: {
      invoke: {
        src: "save",
        input: ({ context }) => context,
        onDone: { target: "on", actions: assign({ error: null }) },
        onError: { target: "on", actions: "fail" },
      },
    },
    testing: {
      invoke: {
        src: "test",
        input: ({ context }) => context,
        onDone: { target: "on", actions: assign(({ event }) => ({ tested: event.output })) },
        onError: { target: "on", actions: "fail" },
      },
    },
    disabling: {
      invoke: {
        src: "disable",
        input: ({ context }) => context,
        onDone: { target: "off", actions: assign({ subscription: null }) },
        onError: { target: "checking", actions: "fail" },
      },
    },
  },
});

export type PushMachine = typeof pushMachine;
