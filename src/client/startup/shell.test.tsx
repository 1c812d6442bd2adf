import { afterEach, expect, test } from "bun:test";
import { StrictMode } from "react";
import { renderToString } from "react-dom/server";
import { type AnyActorRef, createActor, waitFor } from "xstate";
import { App, type AppProps } from "../app/App.tsx";
import { chatMachine } from "../chat/chatMachine.ts";
import { pairingMachine } from "../pairing/pairingMachine.ts";
import { FakeServer, FakeSocket } from "../testing/fakeSocket.ts";
import { startRecorder } from "../voice/recorder.ts";
import { createVoiceControl } from "../voice/voiceControl.ts";
import { renderStaticShell } from "./shell.tsx";
import { createShellActors } from "./shellActors.ts";
import { renderLikeTheShell } from "./staticShell.ts";

// React hydrates the static shell (decision 011): what the live app renders while hydrating must be
// exactly the markup the build wrote, however far its machines have moved. renderToString reads the
// same server snapshots that hydration does.

const running: AnyActorRef[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

/** Live actors that moved well away from the shell: connected, a session open, this device not paired. */
async function movedOnActors(): Promise<AppProps> {
  const server = new FakeServer({ autoReply: "All tests pass." });
  const session = server.addSession({ title: "Fix the flaky test" });
  const storage = new Map<string, string>();
  const actor = createActor(chatMachine, {
    input: {
      socket: new FakeSocket(server),
      storage: {
        getItem: (key) => storage.get(key) ?? null,
        setItem: (key, value) => void storage.set(key, value),
        removeItem: (key) => void storage.delete(key),
      },
      environment: null,
    },
  });
  const pairing = createActor(pairingMachine, {
    input: { fetch: async () => Response.json({ paired: false }) },
  });
  const started = Promise.resolve().then(() => startRecorder());
  const recorder = createVoiceControl(() => started);
  running.push(actor, pairing);
  actor.start();
  pairing.start();
  // Asked once connected, and loaded once idle, as in the app: the recorder's machine starts.
  recorder.sendWhenLoaded({ type: "CHECK" });
  recorder.preload();
  await waitFor(actor, (s) => s.context.sessionId === session.id && s.matches({ connected: { session: "ready" } }));
  await waitFor(pairing, (s) => s.matches("unpaired"));
  running.push((await started).actor);
  expect(recorder.actor).not.toBeNull();
  return { actor, pairing, recorder };
}

const render = (props: AppProps) =>
  renderToString(
    <StrictMode>
      <App {...props} />
    </StrictMode>,
  );

test("the live app renders the static shell's markup while hydrating", async () => {
  const live = await movedOnActors();
  const standIns = createShellActors();
  renderLikeTheShell(live.actor, standIns.actor);
  renderLikeTheShell(live.pairing, standIns.pairing);
  renderLikeTheShell(live.recorder, standIns.recorder);
  expect(render(live)).toBe(renderStaticShell());
});

test("without its stand-ins the moved-on app would not match (so the test above can fail)", async () => {
  const live = await movedOnActors();
  expect(render(live)).not.toBe(renderStaticShell());
  // The chat state alone (an open session) changes the markup too.
  const standIns = createShellActors();
  renderLikeTheShell(live.pairing, standIns.pairing);
  expect(render(live)).not.toBe(renderStaticShell());
  expect(render(live)).toContain("Fix the flaky test");
});
