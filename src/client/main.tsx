import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createActor } from "xstate";
import { App } from "./App.tsx";
import { chatMachine } from "./chatMachine.ts";
import { registerServiceWorker } from "./lib/serviceWorker.ts";
import { trackVisualViewport } from "./lib/viewport.ts";
import { createSocket } from "./socket.ts";

const socket = createSocket();
const actor = createActor(chatMachine, { input: { socket } });
actor.start();

trackVisualViewport();

const root = document.getElementById("root");
if (!root) throw new Error("#root missing from index.html");
createRoot(root).render(
  <StrictMode>
    <App actor={actor} />
  </StrictMode>,
);

if (process.env.NODE_ENV === "production") void registerServiceWorker();
