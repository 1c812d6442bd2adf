import { afterEach, describe, expect, test } from "bun:test";
import { type Actor, createActor, waitFor } from "xstate";
import { chatMachine } from "../chat/chatMachine.ts";
import { FakeServer, FakeSocket, tick } from "../testing/fakeSocket.ts";
import { reportPresence } from "./presence.ts";

/** Presence from the real chat machine over the fake server: what the server hears, in order. */
class FakePage extends EventTarget {
  visibilityState = "visible";
  set(state: "visible" | "hidden") {
    this.visibilityState = state;
    this.dispatchEvent(new Event("visibilitychange"));
  }
}

const running: Actor<typeof chatMachine>[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

function start(server: FakeServer, closed: string[] = []) {
  const socket = new FakeSocket(server);
  const page = new FakePage();
  const win = new EventTarget();
  const actor = createActor(chatMachine, {
    input: { socket, storage: null, environment: { window: win, document: page, online: true }, requestTimeoutMs: 500 },
  });
  running.push(actor);
  actor.start();
  const stop = reportPresence(actor, page, win, (tag) => closed.push(tag));
  return { actor, socket, page, win, stop };
}

const heard = (server: FakeServer) =>
  server.requests("presence:update").map((p) => `${p.visible ? "visible" : "hidden"}:${p.sessionId ?? "-"}`);

async function until(predicate: () => boolean) {
  const deadline = Date.now() + 1_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("not in time");
    await tick(1);
  }
}

describe("presence", () => {
  test("on connect, on hide and show, on a session switch; never the same twice", async () => {
    const server = new FakeServer();
    const a = server.addSession({ title: "a" });
    const b = server.addSession({ title: "b" });
    const closed: string[] = [];
    const { actor, page } = start(server, closed);
    await waitFor(actor, (s) => s.context.subscribedSessionId === b.id);
    await until(() => heard(server).includes(`visible:${b.id}`));

    page.set("hidden");
    await until(() => heard(server).at(-1) === `hidden:${b.id}`);
    page.set("visible");
    await until(() => heard(server).at(-1) === `visible:${b.id}`);
    actor.send({ type: "SWITCH_SESSION", sessionId: a.id });
    await until(() => heard(server).at(-1) === `visible:${a.id}`);
    await waitFor(actor, (s) => s.context.subscribedSessionId === a.id);
    await tick(5);
    // Each report differs from the one before it.
    const reports = heard(server).filter((r) => !r.endsWith(":-"));
    expect(reports).toEqual([`visible:${b.id}`, `hidden:${b.id}`, `visible:${b.id}`, `visible:${a.id}`]);
    // Each time a session came on screen, its notifications on this device were cleared.
    expect(closed).toEqual([`session-${b.id}`, `session-${b.id}`, `session-${a.id}`]);
  });

  test("pagehide says hidden at once (iOS may freeze the page before visibilitychange)", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const { actor, win } = start(server);
    await waitFor(actor, (s) => s.context.subscribedSessionId === session.id);
    win.dispatchEvent(new Event("pagehide"));
    await until(() => heard(server).at(-1) === `hidden:${session.id}`);
  });

  test("after a reconnect the server hears it again (it forgot the old socket)", async () => {
    const server = new FakeServer();
    const session = server.addSession();
    const { actor, socket } = start(server);
    await waitFor(actor, (s) => s.context.subscribedSessionId === session.id);
    await until(() => heard(server).length > 0);
    const before = heard(server).length;
    socket.drop();
    await waitFor(actor, (s) => s.context.connection.status !== "connected");
    socket.reconnect();
    await until(() => heard(server).length > before);
    expect(heard(server).at(-1)).toMatch(/^visible:/);
  });
});
