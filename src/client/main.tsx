import { type ReactNode, StrictMode, startTransition, useLayoutEffect } from "react";
import { createRoot, hydrateRoot } from "react-dom/client";
import { createActor } from "xstate";
import { App } from "./App.tsx";
import { chatMachine } from "./chatMachine.ts";
import { browserVoiceDeps } from "./lib/browserVoice.ts";
import { readPairingParams } from "./lib/pairing.ts";
import { registerServiceWorkerWhenIdle } from "./lib/serviceWorker.ts";
import { renderLikeTheShell, STATIC_SHELL_ATTRIBUTE } from "./lib/staticShell.ts";
import { trackVisualViewport } from "./lib/viewport.ts";
import { bridgeChatToPairing, pairingMachine } from "./pairingMachine.ts";
import { recorderMachine } from "./recorderMachine.ts";
import { createShellActors } from "./shellActors.ts";
import { createSocket } from "./socket.ts";

// `?pair=failed` (a refused pairing link) is shown once; neither it nor a stray token stays in the address bar.
const { linkFailed, cleanUrl } = readPairingParams(location.href);
if (cleanUrl !== null) history.replaceState(history.state, "", cleanUrl);

/** Runs `step` once, however many times the returned function is called, and keeps its result. */
function once<T>(step: () => T): () => T {
  let result: { value: T } | null = null;
  return () => {
    result ??= { value: step() };
    return result.value;
  };
}

// Start-up is cut into short tasks (on a phone one long task delays the first tap): this module's
// own evaluation starts the connection, the other machines are created and started in the next
// task (creating an actor computes its initial state), and React hydrates after the first frame.
const socket = createSocket();
const actor = createActor(chatMachine, { input: { socket } });
actor.start();
const startTheRest = once(() => {
  const pairing = createActor(pairingMachine, { input: { fetch: (input, init) => fetch(input, init), linkFailed } });
  const recorder = createActor(recorderMachine, { input: { deps: browserVoiceDeps } });
  pairing.start();
  bridgeChatToPairing(actor, pairing);
  recorder.start();
  trackVisualViewport();
  return { pairing, recorder };
});
setTimeout(startTheRest, 0);

const found = document.getElementById("root");
if (!found) throw new Error("#root missing from index.html");
const root: HTMLElement = found;
function app({ pairing, recorder }: ReturnType<typeof startTheRest>): ReactNode {
  return (
    <StrictMode>
      <App actor={actor} pairing={pairing} recorder={recorder} />
    </StrictMode>
  );
}

/** Lifts `inert` from the static shell in the commit that hands it to React, before it paints. */
function ShellAdopted({ children }: { children: ReactNode }) {
  useLayoutEffect(() => {
    root.removeAttribute(STATIC_SHELL_ATTRIBUTE);
    root.removeAttribute("inert");
    root.removeAttribute("aria-hidden");
  }, []);
  return children;
}

function hydrateShell(): void {
  const { pairing, recorder } = startTheRest();
  const standIns = createShellActors();
  renderLikeTheShell(actor, standIns.actor);
  renderLikeTheShell(pairing, standIns.pairing);
  renderLikeTheShell(recorder, standIns.recorder);
  // A transition: hydration yields to the browser every few milliseconds instead of holding the
  // main thread. It keeps the shell's elements, so nothing is laid out or painted again. Should it
  // not match (a bug), React renders the app from scratch in their place and reports it.
  startTransition(() => {
    hydrateRoot(root, <ShellAdopted>{app({ pairing, recorder })}</ShellAdopted>, {
      onRecoverableError: (error) => console.error("pocket-agent: the static shell did not hydrate", error),
    });
  });
}

// The built index.html carries the first screen as static HTML (src/client/shell.tsx): let the
// browser paint it before React starts. The socket is already connecting meanwhile.
// A hidden page gets no frame: the timer hydrates it anyway.
if (root.hasAttribute(STATIC_SHELL_ATTRIBUTE)) {
  const hydrateOnce = once(hydrateShell);
  requestAnimationFrame(() => setTimeout(hydrateOnce, 0));
  setTimeout(hydrateOnce, 200);
} else {
  // The development server's index.html has no static shell.
  const started = startTheRest();
  startTransition(() => createRoot(root).render(app(started)));
}

if (process.env.NODE_ENV === "production") registerServiceWorkerWhenIdle();
