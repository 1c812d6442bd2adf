/**
 * The first screen as static HTML, rendered at build time into index.html so the phone paints the
 * app's frame (top bar, connection banner, composer) as soon as the HTML and CSS arrive, before the
 * JavaScript has loaded. It is the same React tree the app renders first, from machines that are
 * created but never started, so nothing connects or fetches here.
 *
 * The markup is inert and hidden from assistive technology: its buttons do nothing. React replaces
 * it on its first render (`createRoot` clears the container), with the same layout, so nothing shifts.
 */
import { renderToStaticMarkup } from "react-dom/server";
import { createActor } from "xstate";
import { App } from "./App.tsx";
import { chatMachine } from "./chatMachine.ts";
import { browserVoiceDeps } from "./lib/browserVoice.ts";
import { STATIC_SHELL_ATTRIBUTE } from "./lib/staticShell.ts";
import { pairingMachine } from "./pairingMachine.ts";
import { recorderMachine } from "./recorderMachine.ts";
import type { ChatSocket } from "./socket.ts";

const idleSocket: ChatSocket = {
  connected: false,
  active: false,
  on: () => undefined,
  off: () => undefined,
  emit: () => undefined,
  connect: () => undefined,
  disconnect: () => undefined,
};

const SHELL_ATTRIBUTES = `${STATIC_SHELL_ATTRIBUTE}="" inert="" aria-hidden="true" class="contents"`;

export function renderStaticShell(): string {
  const actor = createActor(chatMachine, { input: { socket: idleSocket, storage: null, environment: null } });
  const pairing = createActor(pairingMachine, {
    input: { fetch: () => Promise.reject(new Error("no network at build time")) },
  });
  const recorder = createActor(recorderMachine, { input: { deps: browserVoiceDeps } });
  const markup = renderToStaticMarkup(<App actor={actor} pairing={pairing} recorder={recorder} />);
  return `<div ${SHELL_ATTRIBUTES}>${markup}</div>`;
}
