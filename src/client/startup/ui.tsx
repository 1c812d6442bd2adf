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
  // The recorder's machine loads with the first voice request (the CHECK once connected).
  const recorder = createVoiceControl(() => import("../voice/recorder.ts").then((m) => m.startRecorder()));
  pairing.start();
  bridgeChatToPairing(chat, pairing);
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
    whenIdle(() =>
      import("../app/registerServiceWorker.ts").then(
        (m) => m.registerServiceWorker(),
        () => {},
      ),
    );
    // Re-sends this device's push subscription, if it has one, once the page is idle.
    whenIdle(() => void import("../push/pushController.ts").then(({ pushActorFor }) => pushActorFor(chat)));
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

function whenIdle(run: () => void): void {
  const schedule = () => {
    if (typeof requestIdleCallback === "function") requestIdleCallback(run, { timeout: 5_000 });
    else setTimeout(run, 1_000);
  };
  if (document.readyState === "complete") schedule();
  else addEventListener("load", schedule, { once: true });
}
