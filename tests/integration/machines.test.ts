import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setLogLevel } from "../../src/server/logger.ts";
import type { ServerMessage } from "../../src/shared/messages.ts";
import type { AgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { startLatencyProxy } from "../fixtures/latencyProxy.ts";
import { ask, type HomeAndRemote, linkRemote, REMOTE_TOKEN, startHomeAndRemote } from "../fixtures/machines.ts";
import { TEST_TOKEN, TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Two real servers on 127.0.0.1, each with its own data dir, fake Anthropic API and real Claude
 * Code CLI: the home server links the remote, and a client of home works with the remote's
 * sessions (issue 21, decision 060).
 */
const TIMEOUT = 90_000;
let homeApi: FakeAnthropic;
let remoteApi: FakeAnthropic;
let servers: HomeAndRemote;
let homeEnv: AgentEnv;
let remoteEnv: AgentEnv;
let home: TestServer;
let remote: TestServer;
const clients = new TestClients(() => home.url);

beforeAll(async () => {
  setLogLevel("error");
  [homeApi, remoteApi] = await Promise.all([startFakeAnthropic(), startFakeAnthropic()]);
});
beforeEach(async () => {
  homeApi.reset();
  remoteApi.reset();
  // Each agent answers in its own words: a reply names the machine whose agent wrote it.
  homeApi.when("who are you", reply().text("I am the home agent."));
  remoteApi.when("who are you", reply().text("I am the remote agent."));
  servers = await startHomeAndRemote(homeApi.url, remoteApi.url);
  ({ home, remote, homeEnv, remoteEnv } = servers);
});
afterEach(async () => {
  clients.closeAll();
  await servers.cleanup();
});
afterAll(async () => {
  await Promise.all([homeApi.close(), remoteApi.close()]);
  setLogLevel("info");
});

const link = (client: TestClient, name = "build box") => linkRemote(client, remote.url, name);

const numbered = (client: TestClient, sessionId: string) =>
  client.received.filter(
    (m): m is ServerMessage & { payload: { sessionId: string; seq: number } } =>
      typeof (m.payload as { seq?: unknown }).seq === "number" &&
      (m.payload as { sessionId?: string }).sessionId === sessionId,
  );

describe("linking a machine", () => {
  test(
    "machine:add links it: listed online with its sessions, its token kept 0600 and never sent",
    async () => {
      const direct = await TestClient.connect(remote.url, { token: REMOTE_TOKEN });
      const existing = await direct.createSession({ title: "on the remote" });
      direct.close();

      const client = await clients.connect();
      const machine = await link(client);
      expect(machine).toMatchObject({ name: "build box", url: remote.url, status: "online" });
      expect(machine.id).toMatch(/^[0-9a-f-]{36}$/);
      // The remote's session is listed at home, marked as the machine's, before machine:added arrived.
      const updated = await client.next("session:updated", (p) => p.session.id === existing.id, { from: 0 });
      expect(updated.session.machineId).toBe(machine.id);

      const list = await ask(client, "machine:list", {}, "machine:list");
      expect(list.type === "machine:list" && list.payload.machines.map((m) => [m.id, m.status])).toEqual([
        ["local", "online"],
        [machine.id, "online"],
      ]);
      const sessions = await ask(client, "session:list", {}, "session:list");
      expect(sessions.type === "session:list" && sessions.payload.sessions.map((s) => [s.id, s.machineId])).toEqual([
        [existing.id, machine.id],
      ]);
      // A new client hears of both machines on connect.
      const later = await clients.connect();
      expect(later.all("connection")[0]?.machines?.map((m) => m.id)).toEqual(["local", machine.id]);

      // The token stays in home's database (mode 0600), and no frame to a client carries it.
      const dbFile = join(home.dataDir, "pocket-agent.sqlite");
      expect(statSync(dbFile).mode & 0o777).toBe(0o600);
      const db = new Database(dbFile, { readonly: true });
      expect(db.query<{ token: string }, []>("SELECT token FROM machines").all()).toEqual([{ token: REMOTE_TOKEN }]);
      db.close();
      expect(JSON.stringify([...client.received, ...later.received])).not.toContain(REMOTE_TOKEN);
    },
    TIMEOUT,
  );

  test("a wrong token, a closed port and a clear-text address are refused with their codes", async () => {
    const client = await clients.connect();
    const wrong = await ask(
      client,
      "machine:add",
      { url: remote.url, token: "not-the-token-000000000000" },
      "machine:added",
    );
    expect(wrong).toMatchObject({ type: "error", payload: { code: "MACHINE_TOKEN_REFUSED" } });
    const closed = await ask(
      client,
      "machine:add",
      { url: "http://127.0.0.1:9", token: REMOTE_TOKEN },
      "machine:added",
    );
    expect(closed).toMatchObject({ type: "error", payload: { code: "MACHINE_UNREACHABLE" } });
    const clear = await ask(
      client,
      "machine:add",
      { url: "http://192.0.2.10:4000", token: REMOTE_TOKEN },
      "machine:added",
    );
    expect(clear).toMatchObject({ type: "error", payload: { code: "MACHINE_URL_REFUSED" } });
    const itself = await ask(client, "machine:add", { url: home.url, token: TEST_TOKEN }, "machine:added");
    expect(itself).toMatchObject({ type: "error", payload: { code: "MACHINE_LINK_REFUSED" } });
    // None of them was kept.
    const list = await ask(client, "machine:list", {}, "machine:list");
    expect(list.type === "machine:list" && list.payload.machines.map((m) => m.id)).toEqual(["local"]);
  });

  test("malformed machine:* payloads get machine:error INVALID_PAYLOAD with their requestId", async () => {
    const client = await clients.connect();
    const bad: [string, unknown][] = [
      ["machine:add", { url: 5, token: REMOTE_TOKEN }],
      ["machine:add", { url: remote.url }],
      ["machine:add", { url: remote.url, token: "" }],
      ["machine:remove", { machineId: "nope" }],
      ["machine:trust", { machineId: crypto.randomUUID(), fingerprint: "AB:CD" }],
      ["machine:trust", { machineId: "local", fingerprint: "AB:CD" }],
    ];
    for (const [event, payload] of bad) {
      const requestId = crypto.randomUUID();
      (client.socket.emit as (e: string, p: unknown) => void)(event, { ...(payload as object), requestId });
      const error = await client.next("machine:error", (p) => p.requestId === requestId);
      expect(error.code).toBe("INVALID_PAYLOAD");
    }
    // Without a readable requestId: the nil UUID.
    client.socket.emit("machine:list", {} as never);
    expect((await client.next("machine:error", (p) => p.requestId.startsWith("00000000"))).code).toBe(
      "INVALID_PAYLOAD",
    );
    const unknown = await ask(client, "machine:remove", { machineId: crypto.randomUUID() }, "machine:removed");
    expect(unknown).toMatchObject({ type: "error", payload: { code: "MACHINE_NOT_FOUND" } });
    const local = await ask(client, "machine:remove", { machineId: "local" }, "machine:removed");
    expect(local).toMatchObject({ type: "error", payload: { code: "INVALID_PAYLOAD" } });
    const nowhere = await ask(client, "session:create", { machineId: crypto.randomUUID() }, "session:created");
    expect(nowhere).toMatchObject({ type: "error", payload: { code: "MACHINE_NOT_FOUND" } });
  });

  test("links go one way: a link is served the machine's own sessions only, and no machine:*", async () => {
    const client = await clients.connect();
    const machine = await link(client);
    const remoteSession = await client.createSession({ machineId: machine.id });
    const homeSession = await client.createSession({});
    expect(homeSession.machineId).toBe("local");

    // A link into home (as a third server would open) sees home's own session, not the remote's.
    const intoHome = await TestClient.connect(home.url, { auth: { link: true } });
    const seen = intoHome.all("connection")[0]?.sessions.map((s) => s.id);
    expect(seen).toEqual([homeSession.id]);
    expect(intoHome.all("connection")[0]?.machines).toBeUndefined();
    const list = await ask(intoHome, "machine:list", {}, "machine:list");
    expect(list).toMatchObject({ type: "error", payload: { code: "MACHINE_LINK_REFUSED" } });
    const sub = await ask(intoHome, "session:subscribe", { sessionId: remoteSession.id }, "session:subscribed");
    expect(sub).toMatchObject({ type: "error", payload: { code: "SESSION_NOT_FOUND" } });
    // A change to the remote's session reaches home's clients, not the link.
    const renamed = await ask(
      client,
      "session:update",
      { sessionId: remoteSession.id, title: "renamed" },
      "session:updated",
    );
    expect(renamed.type).toBe("session:updated");
    expect(intoHome.all("session:updated").some((p) => p.session.id === remoteSession.id)).toBe(false);
    intoHome.close();
  });
});

describe("a remote session through home", () => {
  test(
    "created on the remote, it chats with the remote's agent; replay through home matches the remote's log",
    async () => {
      const client = await clients.connect();
      const machine = await link(client);
      const session = await client.createSession({ machineId: machine.id, title: "remote work" });
      expect(session.machineId).toBe(machine.id);
      // It lives on the remote, not at home.
      expect(remote.service.list().map((s) => s.id)).toEqual([session.id]);
      expect(home.service.list()).toEqual([]);

      const requestId = client.send(session.id, "who are you");
      const response = await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("I am the remote agent.");
      expect(remoteApi.log.some((r) => r.userText === "who are you")).toBe(true);
      expect(homeApi.log.some((r) => r.userText === "who are you")).toBe(false);
      const order = numbered(client, session.id).map((m) => m.type);
      expect(order[0]).toBe("chat:queued");
      expect(order.at(-1)).toBe("chat:response");

      // The seqs are the remote's own: a client of home and a client of the remote replay the same log.
      const direct = await TestClient.connect(remote.url, { token: REMOTE_TOKEN });
      const other = await clients.connect();
      const [viaHome, viaRemote] = await Promise.all([
        ask(other, "session:subscribe", { sessionId: session.id, afterSeq: 0 }, "session:subscribed"),
        ask(direct, "session:subscribe", { sessionId: session.id, afterSeq: 0 }, "session:subscribed"),
      ]);
      expect(viaHome.type).toBe("session:subscribed");
      expect(viaHome.payload).toMatchObject({ lastSeq: (viaRemote.payload as { lastSeq: number }).lastSeq });
      const shape = (c: TestClient) => numbered(c, session.id).map((m) => [m.type, m.payload.seq]);
      expect(shape(other)).toEqual(shape(direct));

      // A second message resumes the remote's conversation, and a subscribe after a seq replays only what follows.
      const mark = Math.max(...numbered(other, session.id).map((m) => m.payload.seq));
      const second = client.send(session.id, "who are you");
      await client.next("chat:response", (p) => p.requestId === second, { timeoutMs: TIMEOUT });
      const again = await clients.connect();
      await ask(again, "session:subscribe", { sessionId: session.id, afterSeq: mark }, "session:subscribed");
      const replayed = numbered(again, session.id);
      expect(replayed.length).toBeGreaterThan(0);
      expect(replayed.every((m) => m.payload.seq > mark)).toBe(true);
      expect(replayed.map((m) => (m.payload as { requestId?: string }).requestId)).toContain(second);
      direct.close();
    },
    TIMEOUT,
  );

  test(
    "a client of home approves the remote agent's permission request: the file appears on the remote",
    async () => {
      remoteApi.when(
        "make a file",
        reply().tool("Bash", { command: "echo x > approved.txt", description: "Write approved.txt" }),
        reply().text("Finished."),
      );
      const client = await clients.connect();
      const machine = await link(client);
      const session = await client.createSession({ machineId: machine.id });
      const requestId = client.send(session.id, "make a file");
      const ask1 = await client.next("permission:request", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(ask1.input.command).toBe("echo x > approved.txt");
      const badge = await client.next(
        "session:updated",
        (p) => p.session.id === session.id && p.session.pendingPermissions === 1,
        { from: 0 },
      );
      expect(badge.session.machineId).toBe(machine.id);

      client.socket.emit("permission:respond", {
        sessionId: session.id,
        permissionId: ask1.permissionId,
        decision: "allow",
        requestId: crypto.randomUUID(),
      });
      const resolved = await client.next("permission:resolved", (p) => p.permissionId === ask1.permissionId);
      expect(resolved.decision).toBe("allow");
      const response = await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("Finished.");
      expect(readFileSync(join(remoteEnv.cwd, "approved.txt"), "utf8").trim()).toBe("x");
      expect(existsSync(join(homeEnv.cwd, "approved.txt"))).toBe(false);

      // Answering again reaches the remote, whose refusal comes back with this request's id.
      const again = crypto.randomUUID();
      client.socket.emit("permission:respond", {
        sessionId: session.id,
        permissionId: ask1.permissionId,
        decision: "deny",
        requestId: again,
      });
      expect(await client.next("permission:error", (p) => p.requestId === again)).toMatchObject({
        code: "PERMISSION_NOT_PENDING",
        sessionId: session.id,
      });
    },
    TIMEOUT,
  );

  test(
    "an approval answered otherwise on the remote while home's answer is on the link: that answer is refused",
    async () => {
      // 300 ms each way between home and the remote: home's answer is still on its way when the remote's own client answers.
      const proxy = await startLatencyProxy(Number(new URL(remote.url).port), 300);
      try {
        remoteApi.when(
          "make a file",
          reply().tool("Bash", { command: "echo x > raced.txt", description: "Write raced.txt" }),
          reply().text("Not written."),
        );
        const client = await clients.connect();
        const machine = await linkRemote(client, `http://127.0.0.1:${proxy.port}`);
        const session = await client.createSession({ machineId: machine.id });
        const requestId = client.send(session.id, "make a file");
        const asked = await client.next("permission:request", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
        const direct = await TestClient.connect(remote.url, { token: REMOTE_TOKEN });

        const ours = crypto.randomUUID();
        const { permissionId } = asked;
        client.socket.emit("permission:respond", {
          sessionId: session.id,
          permissionId,
          decision: "allow",
          requestId: ours,
        });
        direct.socket.emit("permission:respond", {
          sessionId: session.id,
          permissionId,
          decision: "deny",
          requestId: crypto.randomUUID(),
        });
        // The remote's denial settles the request; home's later "allow" is refused, as a second answer is locally.
        const resolved = await client.next("permission:resolved", (p) => p.permissionId === permissionId);
        expect(resolved.decision).toBe("deny");
        expect(await client.next("permission:error", (p) => p.requestId === ours, { from: 0 })).toMatchObject({
          code: "PERMISSION_NOT_PENDING",
          sessionId: session.id,
        });
        await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
        expect(existsSync(join(remoteEnv.cwd, "raced.txt"))).toBe(false);
        expect(client.all("permission:resolved").filter((p) => p.permissionId === permissionId)).toHaveLength(1);
        direct.close();
      } finally {
        proxy.stop();
      }
    },
    TIMEOUT,
  );

  test(
    "a forwarded import waits as long as the app waits for it, not as long as other requests",
    async () => {
      // Home gives other requests 400 ms; through this proxy every answer takes 600 ms.
      await servers.cleanup();
      servers = await startHomeAndRemote(homeApi.url, remoteApi.url, undefined, 400);
      ({ home, remote, homeEnv, remoteEnv } = servers);
      const proxy = await startLatencyProxy(Number(new URL(remote.url).port), 300);
      try {
        const client = await clients.connect();
        const machine = await linkRemote(client, `http://127.0.0.1:${proxy.port}`);
        const listed = await ask(client, "project:list", { machineId: machine.id }, "project:list");
        expect(listed).toMatchObject({ type: "error", payload: { code: "MACHINE_OFFLINE" } });
        // The remote's own answer (it has no such session) arrives: home was still waiting.
        const imported = await ask(
          client,
          "session:import",
          { claudeSessionId: crypto.randomUUID(), path: remoteEnv.cwd, machineId: machine.id },
          "session:created",
        );
        expect(imported).toMatchObject({ type: "error", payload: { code: "SESSION_NOT_FOUND" } });
      } finally {
        proxy.stop();
      }
    },
    TIMEOUT,
  );

  test(
    "a rule revoked by a client of the remote reaches the clients of home watching the session",
    async () => {
      remoteApi.when(
        "touch a file",
        reply().tool("Bash", { command: "touch relayed.txt", description: "Touch relayed.txt" }),
        reply().text("Finished."),
      );
      const client = await clients.connect();
      const machine = await link(client);
      const session = await client.createSession({ machineId: machine.id });
      const requestId = client.send(session.id, "touch a file");
      const asked = await client.next("permission:request", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      client.socket.emit("permission:respond", {
        sessionId: session.id,
        permissionId: asked.permissionId,
        decision: "allow_always",
        scope: { kind: "prefix", prefix: "touch" },
        requestId: crypto.randomUUID(),
      });
      const resolved = await client.next("permission:resolved", (p) => p.permissionId === asked.permissionId);
      const ruleId = resolved.rule?.id ?? "";
      await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      const elsewhere = await clients.connect();

      // Revoked on the remote by one of its own clients, not through home.
      const direct = await TestClient.connect(remote.url, { token: REMOTE_TOKEN });
      const revoke = await ask(direct, "permission:revoke", { sessionId: session.id, ruleId }, "permission:revoked");
      expect(revoke.type).toBe("permission:revoked");
      const relayed = await client.next("permission:revoked", (p) => p.ruleId === ruleId, { from: 0 });
      expect(relayed).toEqual({ sessionId: session.id, ruleId, requestId: relayed.requestId });
      expect(relayed.requestId).toBe((revoke.payload as { requestId: string }).requestId);
      // Exactly once, and only to the session's watchers.
      await ask(client, "machine:list", {}, "machine:list");
      expect(client.all("permission:revoked")).toHaveLength(1);
      expect(elsewhere.all("permission:revoked")).toEqual([]);
      direct.close();
    },
    TIMEOUT,
  );

  test(
    "settings, history, commands' errors and delete go to the remote; unlinking forgets its sessions here",
    async () => {
      const client = await clients.connect();
      const machine = await link(client);
      const session = await client.createSession({ machineId: machine.id });
      const requestId = client.send(session.id, "who are you");
      await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });

      const pinned = await ask(client, "session:update", { sessionId: session.id, pinned: true }, "session:updated");
      expect(pinned.type === "session:updated" && pinned.payload.session).toMatchObject({
        pinned: true,
        machineId: machine.id,
      });
      expect(remote.service.get(session.id).pinned).toBe(true);

      const history = await ask(client, "session:history", { sessionId: session.id, beforeSeq: 3 }, "session:history");
      expect(history.type === "session:history" && history.payload.events.map((e) => e.payload.seq)).toEqual([1, 2]);

      const missing = await ask(client, "file:read", { sessionId: session.id, path: "nope.txt" }, "file:content");
      expect(missing).toMatchObject({ type: "error", payload: { code: "FILE_NOT_FOUND", sessionId: session.id } });

      const deleted = await ask(client, "session:delete", { sessionId: session.id }, "session:deleted");
      expect(deleted.type).toBe("session:deleted");
      expect(remote.service.list()).toEqual([]);
      const gone = await ask(client, "session:subscribe", { sessionId: session.id }, "session:subscribed");
      expect(gone).toMatchObject({ type: "error", payload: { code: "SESSION_NOT_FOUND" } });

      const kept = await client.createSession({ machineId: machine.id });
      const removed = await ask(client, "machine:remove", { machineId: machine.id }, "machine:removed");
      expect(removed.type).toBe("machine:removed");
      await client.next("session:deleted", (p) => p.sessionId === kept.id, { from: 0 });
      const list = await ask(client, "session:list", {}, "session:list");
      expect(list.type === "session:list" && list.payload.sessions).toEqual([]);
      // Unlinking forgets the session here only: it is still on the remote.
      expect(remote.service.list().map((s) => s.id)).toEqual([kept.id]);
    },
    TIMEOUT,
  );
});
