import { StrictMode, startTransition } from "react";
import { createRoot } from "react-dom/client";
import { createActor } from "xstate";
import { App } from "./App.tsx";
import { chatMachine } from "./chatMachine.ts";
import { browserVoiceDeps } from "./lib/browserVoice.ts";
import { readPairingParams } from "./lib/pairing.ts";
import { registerServiceWorkerWhenIdle } from "./lib/serviceWorker.ts";
import { STATIC_SHELL_ATTRIBUTE } from "./lib/staticShell.ts";
import { trackVisualViewport } from "./lib/viewport.ts";
import { bridgeChatToPairing, pairingMachine } from "./pairingMachine.ts";
import { recorderMachine } from "./recorderMachine.ts";
import { createSocket } from "./socket.ts";

// `?pair=failed` (a refused pairing link) is shown once; neither it nor a stray token stays in the address bar.
const { linkFailed, cleanUrl } = readPairingParams(location.href);
if (cleanUrl !== null) history.replaceState(history.state, "", cleanUrl);

const socket = createSocket();
const actor = createActor(chatMachine, { input: { socket } });
const pairing = createActor(pairingMachine, { input: { fetch: (input, init) => fetch(input, init), linkFailed } });
pairing.start();
actor.start();
bridgeChatToPairing(actor, pairing);
const recorder = createActor(recorderMachine, { input: { deps: browserVoiceDeps } });
recorder.start();

trackVisualViewport();

const found = document.getElementById("root");
if (!found) throw new Error("#root missing from index.html");
const root: HTMLElement = found;
function mount(): void {
  // A transition: the first render yields to the browser every few milliseconds instead of holding
  // the main thread, and the static shell from index.html stays on screen until it commits.
  startTransition(() => {
    createRoot(root).render(
      <StrictMode>
        <App actor={actor} pairing={pairing} recorder={recorder} />
      </StrictMode>,
    );
  });
}
// The built index.html carries the first screen as static HTML (src/client/shell.tsx): let the
// browser paint it before React starts. The socket is already connecting meanwhile.
// A hidden page gets no frame: the timer mounts it anyway.
if (root.firstElementChild?.hasAttribute(STATIC_SHELL_ATTRIBUTE)) {
  let mounted = false;
  const mountOnce = () => {
    if (mounted) return;
    mounted = true;
    mount();
  };
  requestAnimationFrame(() => setTimeout(mountOnce, 0));
  setTimeout(mountOnce, 200);
} else {
  mount();
}

if (process.env.NODE_ENV === "production") registerServiceWorkerWhenIdle();
