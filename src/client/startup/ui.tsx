/**
 * Start-up, stage 2: the interface. Evaluating this chunk runs React's and the app's components'
 * code for the first time; `startUi()` creates the pairing and voice machines and hands the static
 * first screen to React after the next frame.
 */
import { type ReactNode, StrictMode, startTransition, useLayoutEffect } from "react";
import { createRoot, hydrateRoot } from "react-dom/client";
import { createActor } from "xstate";
import { App } from "../app/App.tsx";
import { trackVisualViewport } from "../app/viewport.ts";
import { bridgeChatToPairing, pairingMachine } from "../pairing/pairingMachine.ts";
import { followApprovalBadge } from "../push/badge.ts";
import { followNotificationTaps } from "../push/openParams.ts";
import { reportPresence } from "../push/presence.ts";
import { browserFrames } from "../ui/frameBatched.ts";
import { createVoiceControl } from "../voice/voiceControl.ts";
import type { ChatActor } from "./connection.ts";
import { showFailureNotice } from "./failureNotice.ts";
import { createShellActors } from "./shellActors.ts";
import { renderLikeTheShell, STATIC_SHELL_ATTRIBUTE } from "./staticShell.ts";

export interface UiOptions {
  /** The page was opened from a pairing link the server refused (`?pair=failed`). */
  linkFailed: boolean;
}

/** Lifts `inert` from the static shell in the commit that hands it to React, before it paints. */
function ShellAdopted({ root, children }: { root: HTMLElement; children: ReactNode }) {
  useLayoutEffect(() => {
    root.removeAttribute(STATIC_SHELL_ATTRIBUTE);
    root.removeAttribute("inert");
    root.removeAttribute("aria-hidden");
  }, [root]);
  return children;
}

export function startUi(chat: ChatActor, { linkFailed }: UiOptions): void {
  const root = document.getElementById("root");
  if (!root) throw new Error("#root missing from index.html");

  const pairing = createActor(pairingMachine, { input: { fetch: (input, init) => fetch(input, init), linkFailed } });
  // The recorder's machine loads after the first screen (below), or at once for a tap on the mic.
  const recorder = createVoiceControl(() => import("../voice/recorder.ts").then((m) => m.startRecorder()));
  pairing.start();
  bridgeChatToPairing(chat, pairing);
  // What the first screen does not need starts once it shows what it came for.
  const later = afterFirstScreen(chat);
  later(() => recorder.preload());
  trackVisualViewport();
  // Web Push: whether this client is looking at a session (it then does not buzz), the app badge,
  // and a tapped notification switching an open window to its session.
  reportPresence(chat);
  followApprovalBadge(chat);
  followNotificationTaps(chat);

  const app = (
    <StrictMode>
      <App actor={chat} pairing={pairing} recorder={recorder} />
    </StrictMode>
  );

  if (root.hasAttribute(STATIC_SHELL_ATTRIBUTE)) {
    // The built index.html carries the first screen as static HTML (src/client/startup/shell.tsx): React
    // adopts it in the task after the next frame, once the browser has painted it (a hidden page
    // gets no frame: the scheduler's timer stands in).
    const hydrate = () => {
      const standIns = createShellActors();
      renderLikeTheShell(chat, standIns.actor);
      renderLikeTheShell(pairing, standIns.pairing);
      renderLikeTheShell(recorder, standIns.recorder);
      // A transition: hydration yields to the browser every few milliseconds instead of holding the
      // main thread. It keeps the shell's elements, so nothing is laid out or painted again. Should it
      // not match (a bug), React renders the app from scratch in their place and reports it.
      startTransition(() => {
        hydrateRoot(root, <ShellAdopted root={root}>{app}</ShellAdopted>, {
          onRecoverableError: (error) => console.error("pocket-agent: the static shell did not hydrate", error),
          onUncaughtError: stoppedOnError,
        });
      });
    };
    browserFrames.request(() => setTimeout(hydrate, 0));
  } else {
    // The development server's index.html has no static shell.
    startTransition(() => createRoot(root, { onUncaughtError: stoppedOnError }).render(app));
  }

  if (process.env.NODE_ENV === "production") {
    // Without it (its code did not load, or plain http on a LAN address) the app works, only not offline.
    later(() =>
      import("../app/registerServiceWorker.ts").then(
        (m) => m.registerServiceWorker(),
        () => {},
      ),
    );
    // Re-sends this device's push subscription, if it has one.
    // Should its code not load, the next start of the app sends it again.
    later(() =>
      import("../push/pushController.ts").then(
        ({ pushActorFor }) => pushActorFor(chat),
        () => {},
      ),
    );
  }
}

/**
 * An error that no part caught (each part that loads on demand catches its own, `ui/lazyPart.tsx`):
 * React has removed the whole interface, so say so instead of leaving a blank page.
 */
function stoppedOnError(error: unknown): void {
  console.error("pocket-agent: the app stopped on an error", error);
  showFailureNotice(
    "Pocket Agent stopped on an error. Reload it to carry on: your sessions are safe on your workstation.",
  );
}

/** Past this, work that waits for the first screen starts anyway (no server, a slow one). */
const FIRST_SCREEN_WAIT_MS = 5_000;

/**
 * Schedules work the first screen does not need (the service worker's registration, the push
 * machine, the voice recorder) for when that screen shows what it came for: the sessions known and
 * the open session's turns in, or a few seconds after start-up, whichever comes first. Then it waits
 * for the browser to be idle. Started earlier, it lands between the socket's answers and their
 * paint, on a phone's one busy core.
 */
function afterFirstScreen(chat: ChatActor): (run: () => void) => void {
  const waiting: Array<() => void> = [];
  let shown = false;
  const isShown = (s: ReturnType<ChatActor["getSnapshot"]>) =>
    s.context.sessionsKnown && s.matches({ connected: { session: "ready" } });
  const release = () => {
    if (shown) return;
    shown = true;
    subscription.unsubscribe();
    clearTimeout(cap);
    for (const run of waiting.splice(0)) whenIdle(run);
  };
  const subscription = chat.subscribe((s) => {
    if (isShown(s)) release();
  });
  const cap = setTimeout(release, FIRST_SCREEN_WAIT_MS);
  if (isShown(chat.getSnapshot())) release();
  return (run) => {
    if (shown) whenIdle(run);
    else waiting.push(run);
  };
}

function whenIdle(run: () => void): void {
  const schedule = () => {
    if (typeof requestIdleCallback === "function") requestIdleCallback(run, { timeout: 5_000 });
    else setTimeout(run, 1_000);
  };
  if (document.readyState === "complete") schedule();
  else addEventListener("load", schedule, { once: true });
}
