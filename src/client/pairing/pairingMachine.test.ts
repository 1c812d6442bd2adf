import { afterEach, describe, expect, test } from "bun:test";
import { type Actor, createActor, type SnapshotFrom, waitFor } from "xstate";
import { chatMachine } from "../chat/chatMachine.ts";
import { FakeServer, FakeSocket } from "../testing/fakeSocket.ts";
import type { FetchLike } from "./pairing.ts";
import { bridgeChatToPairing, pairingMachine } from "./pairingMachine.ts";

type PairingActor = Actor<typeof pairingMachine>;
const actors: Array<{ stop(): void }> = [];
afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
});

const TOKEN = "e2e-token-0123456789abcdef0123456789abcdef";

/** A fake of the server's two auth routes. */
class FakeAuthServer {
  paired = false;
  /** Answer 429 to pairing attempts with this Retry-After. */
  throttleSec: number | null = null;
  reachable = true;
  onPaired: () => void = () => {};
  readonly attempts: string[] = [];
  readonly fetch: FetchLike = async (path, init) => {
    if (!this.reachable) throw new TypeError("Failed to fetch");
    if (path === "/api/auth/status") return Response.json({ paired: this.paired });
    if (path === "/api/auth/pair") {
      const { token } = JSON.parse(String(init?.body)) as { token: string };
      this.attempts.push(token);
      if (this.throttleSec !== null) {
        return Response.json(
          { error: "Too many", code: "RATE_LIMITED" },
          { status: 429, headers: { "Retry-After": String(this.throttleSec) } },
        );
      }
      if (token !== TOKEN)
        return Response.json({ error: "That token is not right.", code: "UNAUTHORIZED" }, { status: 401 });
      this.paired = true;
      this.onPaired();
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  };
}

function startPairing(auth: FakeAuthServer, options: { linkFailed?: boolean; now?: () => number } = {}): PairingActor {
  const actor = createActor(pairingMachine, { input: { fetch: auth.fetch, ...options } });
  actors.push(actor);
  actor.start();
  return actor;
}

const until = (actor: PairingActor, predicate: (s: SnapshotFrom<typeof pairingMachine>) => boolean) =>
  waitFor(actor, predicate, { timeout: 1_000 });

describe("pairing machine", () => {
  test("a paired browser: checking → paired, no attempt", async () => {
    const auth = new FakeAuthServer();
    auth.paired = true;
    const actor = startPairing(auth);
    expect(actor.getSnapshot().value).toBe("checking");
    await until(actor, (s) => s.matches("paired"));
    expect(auth.attempts).toEqual([]);
  });

  test("unpaired: a wrong token fails with wrong-token, the right one pairs and emits paired", async () => {
    const auth = new FakeAuthServer();
    const actor = startPairing(auth, { linkFailed: true });
    let snap = await until(actor, (s) => s.matches("unpaired"));
    expect(snap.context.linkFailed).toBe(true);

    actor.send({ type: "PAIR", token: "wrong" });
    expect(actor.getSnapshot().value).toBe("pairing");
    snap = await until(actor, (s) => s.matches("unpaired") && s.context.failure !== null);
    expect(snap.context.failure).toEqual({ kind: "wrong-token" });

    const emitted: string[] = [];
    actor.on("paired", (event) => emitted.push(event.type));
    actor.send({ type: "PAIR", token: TOKEN });
    snap = await until(actor, (s) => s.matches("paired"));
    expect(snap.context).toMatchObject({ failure: null, linkFailed: false, retryUntil: null });
    expect(emitted).toEqual(["paired"]);
    expect(auth.attempts).toEqual(["wrong", TOKEN]);
  });

  test("an empty token is not sent", async () => {
    const auth = new FakeAuthServer();
    const actor = startPairing(auth);
    await until(actor, (s) => s.matches("unpaired"));
    actor.send({ type: "PAIR", token: "   " });
    expect(actor.getSnapshot().value).toBe("unpaired");
    expect(auth.attempts).toEqual([]);
  });

  test("429: no attempt until Retry-After has passed", async () => {
    const auth = new FakeAuthServer();
    let now = 1_000_000;
    const actor = startPairing(auth, { now: () => now });
    await until(actor, (s) => s.matches("unpaired"));
    auth.throttleSec = 30;
    actor.send({ type: "PAIR", token: TOKEN });
    const snap = await until(actor, (s) => s.matches("unpaired") && s.context.failure !== null);
    expect(snap.context.failure).toEqual({ kind: "rate-limited", retryAfterSec: 30 });
    expect(snap.context.retryUntil).toBe(1_030_000);

    auth.throttleSec = null;
    now += 10_000;
    actor.send({ type: "PAIR", token: TOKEN });
    expect(actor.getSnapshot().value).toBe("unpaired"); // still throttled: not sent
    now += 20_000;
    actor.send({ type: "PAIR", token: TOKEN });
    await until(actor, (s) => s.matches("paired"));
    expect(auth.attempts).toEqual([TOKEN, TOKEN]);
  });

  test("server unreachable: unknown until the socket decides", async () => {
    const auth = new FakeAuthServer();
    auth.reachable = false;
    const actor = startPairing(auth);
    await until(actor, (s) => s.matches("unknown"));
    actor.send({ type: "SOCKET.UNAUTHORIZED" });
    expect(actor.getSnapshot().value).toBe("unpaired");
  });

  test("a paired device the server stops accepting (token rotated) is told so", async () => {
    const auth = new FakeAuthServer();
    auth.paired = true;
    const actor = startPairing(auth);
    await until(actor, (s) => s.matches("paired"));
    actor.send({ type: "SOCKET.UNAUTHORIZED" });
    expect(actor.getSnapshot().value).toBe("unpaired");
    expect(actor.getSnapshot().context.lostPairing).toBe(true);
  });
});

describe("bridge with the chat machine", () => {
  test("the socket's refusal shows the pairing screen; pairing reconnects the socket, now accepted", async () => {
    const server = new FakeServer();
    server.addSession();
    server.refuse = "UNAUTHORIZED";
    const socket = new FakeSocket(server);
    const chat = createActor(chatMachine, {
      input: { socket, storage: null, environment: null, requestTimeoutMs: 500, retryDelayMs: 20 },
    });
    actors.push(chat);
    const auth = new FakeAuthServer();
    auth.reachable = false; // the status check fails: only the socket's verdict counts
    auth.onPaired = () => {
      server.refuse = null; // the cookie is set: the socket is accepted from now on
    };
    const pairing = startPairing(auth);
    const unbridge = bridgeChatToPairing(chat, pairing);
    chat.start();

    await until(pairing, (s) => s.matches("unpaired"));
    expect(socket.connectCalls).toBe(1);

    auth.reachable = true;
    pairing.send({ type: "PAIR", token: TOKEN });
    await waitFor(chat, (s) => s.context.connection.status === "connected", { timeout: 1_000 });
    expect(pairing.getSnapshot().value).toBe("paired");
    expect(socket.connectCalls).toBe(2);
    unbridge();
  });
});
