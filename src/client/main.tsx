import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createActor } from "xstate";
import { App } from "./App.tsx";
import { chatMachine } from "./chatMachine.ts";
import { browserVoiceDeps } from "./lib/browserVoice.ts";
import { readPairingParams } from "./lib/pairing.ts";
import { registerServiceWorker } from "./lib/serviceWorker.ts";
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

const root = document.getElementById("root");
if (!root) throw new Error("#root missing from index.html");
createRoot(root).render(
  <StrictMode>
    <App actor={actor} pairing={pairing} recorder={recorder} />
  </StrictMode>,
);

if (process.env.NODE_ENV === "production") void registerServiceWorker();
