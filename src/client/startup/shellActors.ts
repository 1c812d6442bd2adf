/**
 * The actors the static first screen is rendered from: the app's machines, created but never
 * started, with nothing to connect to, no storage and no browser around them. The build renders
 * them into index.html (shell.tsx); the browser creates them again so that hydration renders the
 * same thing (staticShell.ts). Same inputs in both places, so the same snapshots.
 */
import { createActor } from "xstate";
import type { AppProps } from "../app/App.tsx";
import { chatMachine } from "../chat/chatMachine.ts";
import type { ChatSocket } from "../connection/socket.ts";
import { pairingMachine } from "../pairing/pairingMachine.ts";
import { createVoiceControl } from "../voice/voiceControl.ts";

const idleSocket: ChatSocket = {
  connected: false,
  active: false,
  on: () => undefined,
  off: () => undefined,
  onAny: () => undefined,
  offAny: () => undefined,
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
    // Never asked for anything, it never loads the recorder: idle, with nothing known yet.
    recorder: createVoiceControl(() => new Promise(() => {})),
  };
}
