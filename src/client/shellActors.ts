/**
 * The actors the static first screen is rendered from: the app's machines, created but never
 * started, with nothing to connect to, no storage and no browser around them. The build renders
 * them into index.html (shell.tsx); the browser creates them again so that hydration renders the
 * same thing (lib/staticShell.ts). Same inputs in both places, so the same snapshots.
 */
import { createActor } from "xstate";
import type { AppProps } from "./App.tsx";
import { chatMachine } from "./chatMachine.ts";
import { browserVoiceDeps } from "./lib/browserVoice.ts";
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

export function createShellActors(): AppProps {
  return {
    actor: createActor(chatMachine, { input: { socket: idleSocket, storage: null, environment: null } }),
    pairing: createActor(pairingMachine, {
      input: { fetch: () => Promise.reject(new Error("the static shell does not fetch")) },
    }),
    recorder: createActor(recorderMachine, { input: { deps: browserVoiceDeps } }),
  };
}
