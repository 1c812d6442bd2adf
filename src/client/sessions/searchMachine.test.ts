import { afterEach, expect, test } from "bun:test";
import { type Actor, createActor, waitFor } from "xstate";
import { checkedSocket } from "../connection/checkedSocket.ts";
import { FakeServer, FakeSocket, tick } from "../testing/fakeSocket.ts";
import { searchMachine } from "./searchMachine.ts";

const quick = searchMachine.provide({ delays: { pause: 10 } });
const running: Actor<typeof quick>[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

async function start(server = new FakeServer()) {
  const raw = new FakeSocket(server);
  raw.connect();
  await tick(5);
  const actor = createActor(quick, { input: { socket: checkedSocket(raw), timeoutMs: 500 } });
  running.push(actor);
  actor.start();
  return { server, raw, actor };
}

test("typing asks the server once the typing pauses, with the query trimmed", async () => {
  const server = new FakeServer();
  const auth = server.addSession({ title: "Refactor auth" });
  server.addSession({ title: "Billing" });
  const { actor } = await start(server);
  actor.send({ type: "TYPE", query: "a" });
  actor.send({ type: "TYPE", query: "au" });
  actor.send({ type: "TYPE", query: " auth " });
  const found = await waitFor(actor, (s) => s.matches("found"), { timeout: 2_000 });
  expect(found.context.results).toEqual([{ sessionId: auth.id }]);
  expect(server.requests("session:search").map((p) => p.query)).toEqual(["auth"]);
});

test("a blank query or CLEAR goes back to the whole list without asking", async () => {
  const { server, actor } = await start();
  actor.send({ type: "TYPE", query: "x" });
  actor.send({ type: "TYPE", query: "   " });
  expect(actor.getSnapshot().matches("idle")).toBe(true);
  actor.send({ type: "TYPE", query: "y" });
  actor.send({ type: "CLEAR" });
  await tick(30);
  expect(actor.getSnapshot().context).toMatchObject({ query: "", results: null });
  expect(server.requests("session:search")).toHaveLength(0);
});

test("no answer in time says so, and typing again retries", async () => {
  const server = new FakeServer();
  server.addSession({ title: "Notes" });
  const { actor } = await start(server);
  server.muted.add("session:search");
  actor.send({ type: "TYPE", query: "notes" });
  const failed = await waitFor(actor, (s) => s.matches("failed"), { timeout: 2_000 });
  expect(failed.context.error?.code).toBe("TIMEOUT");
  server.muted.delete("session:search");
  actor.send({ type: "TYPE", query: "note" });
  expect((await waitFor(actor, (s) => s.matches("found"), { timeout: 2_000 })).context.results).toHaveLength(1);
});
