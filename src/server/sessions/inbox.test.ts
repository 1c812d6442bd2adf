import type { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeRunner, type FakeRunner, gate } from "../../../tests/fixtures/fakeAgentRunner.ts";
import type { Session } from "../../shared/messages.ts";
import { Bus } from "../bus.ts";
import { openDatabase } from "../storage/database.ts";
import { SessionService } from "./sessionService.ts";
import { SessionStore } from "./store.ts";

/** What the sessions list (an inbox) learns from the server without opening a session. */
let dataDir: string;
let db: Database;
let bus: Bus;
let runner: FakeRunner;
let service: SessionService;
let changes: Session[];

function startService(): void {
  db = openDatabase(dataDir);
  bus = new Bus();
  changes = [];
  bus.on("sessionChanged", (session) => changes.push(session));
  runner = createFakeRunner();
  service = new SessionService({
    store: new SessionStore(db),
    runner,
    bus,
    defaultModel: "haiku",
    workdirRoots: [dataDir],
    idleTimeoutMs: 60_000,
  });
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "pocket-inbox-"));
  startService();
});
afterEach(async () => {
  await service.shutdown();
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The turn's end, once the session is announced idle again (what the list then shows). */
function turnEnd(requestId: string, sessionId: string): Promise<Session> {
  return new Promise((resolve) => {
    let ended = false;
    const offEvent = bus.on("sessionEvent", (event) => {
      if (event.payload.requestId !== requestId) return;
      if (event.type === "chat:response" || event.type === "chat:error") ended = true;
    });
    const offChange = bus.on("sessionChanged", (session) => {
      if (!ended || session.id !== sessionId || session.status !== "idle") return;
      offEvent();
      offChange();
      resolve(session);
    });
  });
}

async function runTurn(sessionId: string, message: string): Promise<Session> {
  const requestId = crypto.randomUUID();
  const ended = turnEnd(requestId, sessionId);
  service.send({ sessionId, requestId, message });
  return ended;
}

describe("a row's newest message and outcome", () => {
  test("your message shows while it runs, then the agent's last line; both survive a restart", async () => {
    const session = service.create({});
    expect(session).toMatchObject({ pinned: false, archived: false });
    expect(session.lastMessage).toBeUndefined();
    expect(session.lastOutcome).toBeUndefined();

    const held = gate();
    runner.script({ gate: held.promise, deltas: ["Checked.\n\n", "**All green.**"] });
    const requestId = crypto.randomUUID();
    const ended = turnEnd(requestId, session.id);
    service.send({ sessionId: session.id, requestId, message: "## Run the `tests`\nplease" });
    expect(service.get(session.id).lastMessage).toEqual({ from: "you", text: "Run the tests" });
    expect(service.get(session.id).title).toBe("Run the tests");
    held.open();
    const idle = await ended;
    expect(idle).toMatchObject({ lastMessage: { from: "agent", text: "All green." }, lastOutcome: "done" });
    // The turn counts in the session's totals, announced with it (the fake agent reports $0, no tokens).
    expect(idle.totals).toEqual({ turns: 1, durationMs: expect.any(Number), costUsd: 0 });

    await service.shutdown();
    db.close();
    startService();
    expect(service.get(session.id)).toMatchObject({
      lastMessage: { from: "agent", text: "All green." },
      lastOutcome: "done",
      totals: idle.totals,
    });
  });

  test("a failed turn and a stopped one say so", async () => {
    const session = service.create({});
    runner.script({ fail: { code: "API_ERROR", message: "API Error: 500" } });
    await runTurn(session.id, "one");
    expect(service.get(session.id).lastOutcome).toBe("failed");
    expect(service.get(session.id).totals).toBeUndefined(); // only finished turns count

    const held = gate();
    runner.script({ gate: held.promise });
    const requestId = crypto.randomUUID();
    const ended = turnEnd(requestId, session.id);
    service.send({ sessionId: session.id, requestId, message: "two" });
    await service.cancel({ sessionId: session.id, targetRequestId: requestId });
    held.open();
    await ended;
    expect(service.get(session.id).lastOutcome).toBe("stopped");
  });
});

describe("what a running session is doing", () => {
  test("its latest tool use, announced once per change, gone when it writes again and when it ends", async () => {
    const session = service.create({});
    const held = gate();
    runner.script({
      messages: [
        {
          type: "assistant",
          session_id: "c0ffee00-0000-4000-8000-000000000001",
          message: { content: [{ type: "tool_use", name: "Bash", input: { command: "npm test" } }] },
        },
      ],
      gate: held.promise,
    });
    const requestId = crypto.randomUUID();
    const ended = turnEnd(requestId, session.id);
    const announced = new Promise<Session>((resolve) => {
      const off = bus.on("sessionChanged", (changed) => {
        if (changed.activity === undefined) return;
        off();
        resolve(changed);
      });
    });
    service.send({ sessionId: session.id, requestId, message: "test it" });
    expect((await announced).activity).toBe("Running `npm test`");
    expect(service.get(session.id)).toMatchObject({ status: "running", activity: "Running `npm test`" });
    expect(service.list().find((s) => s.id === session.id)?.activity).toBe("Running `npm test`");
    held.open();
    expect((await ended).activity).toBeUndefined();
    expect(changes.filter((c) => c.activity === "Running `npm test`")).toHaveLength(1);
  });
});

describe("pinning and archiving", () => {
  test("are stored, announced, and do not move the session in time", async () => {
    const session = service.create({});
    const before = service.get(session.id).updatedAt;
    const pinned = service.update({ sessionId: session.id, pinned: true }, crypto.randomUUID());
    expect(pinned).toMatchObject({ pinned: true, archived: false, updatedAt: before });
    expect(changes.at(-1)).toMatchObject({ id: session.id, pinned: true });
    service.update({ sessionId: session.id, archived: true, pinned: false });
    expect(service.get(session.id)).toMatchObject({ pinned: false, archived: true, updatedAt: before });

    await service.shutdown();
    db.close();
    startService();
    expect(service.get(session.id)).toMatchObject({ pinned: false, archived: true });
  });
});

describe("search", () => {
  test("by title first, then by messages, newest first, one row per session, with a snippet", async () => {
    const auth = service.create({ title: "Refactor auth" });
    const billing = service.create({ title: "Billing" });
    const docs = service.create({ title: "Docs" });
    await runTurn(billing.id, 'Look at the AUTH middleware\nand the "token" check');
    await runTurn(docs.id, "nothing to see");

    const hits = service.search("auth");
    expect(hits.map((h) => h.sessionId)).toEqual([auth.id, billing.id]);
    expect(hits[0]?.snippet).toBeUndefined();
    expect(hits[1]?.snippet).toBe('Look at the AUTH middleware and the "token" check');

    // The reply is searched too (the fake runner echoes), quotes and newlines as typed.
    expect(service.search('the "token" check').map((h) => h.sessionId)).toEqual([billing.id]);
    expect(service.search("Echo: nothing").map((h) => h.sessionId)).toEqual([docs.id]);
    expect(service.search("no such words")).toEqual([]);
    // LIKE's wildcards are plain characters here.
    expect(service.search("%")).toEqual([]);
    expect(service.search("_")).toEqual([]);
  });

  test("a long message gives a snippet around the match, cut with ellipses", async () => {
    const session = service.create({});
    await runTurn(session.id, `${"before ".repeat(40)}NEEDLE${" after".repeat(40)}`);
    const [hit] = service.search("needle");
    expect(hit?.snippet?.startsWith("…")).toBe(true);
    expect(hit?.snippet?.endsWith("…")).toBe(true);
    expect(hit?.snippet).toContain("NEEDLE");
  });
});
