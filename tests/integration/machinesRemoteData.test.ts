import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setLogLevel } from "../../src/server/logger.ts";
import type { Machine } from "../../src/shared/messages.ts";
import type { AgentEnv } from "../fixtures/agentEnv.ts";
import { startDeskClaude } from "../fixtures/deskClaude.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { pngBytes } from "../fixtures/images.ts";
import { ask, type HomeAndRemote, linkRemote, REMOTE_TOKEN, startHomeAndRemote } from "../fixtures/machines.ts";
import { TEST_TOKEN, type TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * What else a home serves of a linked machine (decisions 063, 064): the images of its sessions'
 * messages, its projects and Claude Code sessions, imports there, and search over its mirrored
 * sessions. Two real servers on 127.0.0.1, each with its own fake Anthropic API and real CLI.
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
const savedConfigDir = process.env.CLAUDE_CONFIG_DIR;

beforeAll(async () => {
  setLogLevel("error");
  [homeApi, remoteApi] = await Promise.all([startFakeAnthropic(), startFakeAnthropic()]);
});
beforeEach(async () => {
  homeApi.reset();
  remoteApi.reset();
  // Both servers run in this process and read Claude Code's sessions from its environment: the
  // remote's, as on the workstation it stands for (home's root holds none of them).
  servers = await startHomeAndRemote(homeApi.url, remoteApi.url, (envs) => {
    process.env.CLAUDE_CONFIG_DIR = envs.remoteEnv.configDir;
  });
  ({ home, remote, homeEnv, remoteEnv } = servers);
});
afterEach(async () => {
  clients.closeAll();
  await servers.cleanup();
});
afterAll(async () => {
  await Promise.all([homeApi.close(), remoteApi.close()]);
  if (savedConfigDir === undefined) delete process.env.CLAUDE_CONFIG_DIR;
  else process.env.CLAUDE_CONFIG_DIR = savedConfigDir;
  setLogLevel("info");
});

const link = (client: TestClient): Promise<Machine> => linkRemote(client, remote.url, "build box");

/** Stops the remote and resolves once home's clients hear it is offline. */
async function remoteGone(client: TestClient, machineId: string): Promise<void> {
  const from = client.received.length;
  await remote.stop();
  await client.next("machine:updated", (p) => p.machine.id === machineId && p.machine.status === "offline", {
    from,
  });
}

const getFrom = (server: { url: string }, token: string, id: string) =>
  fetch(`${server.url}/api/attachments/${id}`, { headers: { authorization: `Bearer ${token}` } });

describe("images of a remote session", () => {
  test(
    "sent through home, stored by the remote, served by home with the same bytes and headers; offline → 503",
    async () => {
      remoteApi.when("what is in this picture", reply().text("A green square, says the remote."));
      const png = pngBytes(64, 48, [30, 200, 60]);
      const client = await clients.connect();
      const machine = await link(client);
      const session = await client.createSession({ machineId: machine.id });
      const requestId = crypto.randomUUID();
      client.socket.emit("chat:send", {
        message: "what is in this picture",
        sessionId: session.id,
        requestId,
        attachments: [{ name: "green.png", mediaType: "image/png", data: png }],
      });
      const queued = await client.next("chat:queued", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      const response = await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("A green square, says the remote.");
      expect(queued.attachments).toEqual([
        { id: expect.any(String), name: "green.png", mediaType: "image/png", size: png.byteLength },
      ]);
      const id = queued.attachments?.[0]?.id ?? "";

      // The remote stored it (its own database and endpoint), the remote's agent saw it.
      const db = new Database(join(remote.dataDir, "pocket-agent.sqlite"), { readonly: true });
      const stored = db.query<{ session_id: string; size: number }, [string]>(
        "SELECT session_id, size FROM attachments WHERE id = ?",
      );
      expect(stored.get(id)).toEqual({ session_id: session.id, size: png.byteLength });
      db.close();
      const direct = await getFrom(remote, REMOTE_TOKEN, id);
      expect(Buffer.from(await direct.arrayBuffer()).equals(Buffer.from(png))).toBe(true);
      const homeDb = new Database(join(home.dataDir, "pocket-agent.sqlite"), { readonly: true });
      expect(homeDb.query("SELECT id FROM attachments").all()).toEqual([]);
      homeDb.close();

      // Home serves it as it serves its own: same bytes, type, safety and cache headers.
      const served = await getFrom(home, TEST_TOKEN, id);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(png))).toBe(true);
      expect(served.headers.get("content-type")).toBe("image/png");
      expect(served.headers.get("x-content-type-options")).toBe("nosniff");
      expect(served.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
      expect(served.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''green.png");
      const head = await fetch(`${home.url}/api/attachments/${id}`, {
        method: "HEAD",
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      expect(head.status).toBe(200);
      // Home's credentials only: the remote's token opens nothing at home, and no token nothing at all.
      expect((await getFrom(home, REMOTE_TOKEN, id)).status).toBe(401);
      expect((await fetch(`${home.url}/api/attachments/${id}`)).status).toBe(401);
      const unknown = await getFrom(home, TEST_TOKEN, crypto.randomUUID());
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ code: "NOT_FOUND" });

      // Its machine gone: a clear, uncached "unavailable", never a hang or a 404.
      await remoteGone(client, machine.id);
      const offline = await getFrom(home, TEST_TOKEN, id);
      expect(offline.status).toBe(503);
      expect(offline.headers.get("cache-control")).toBe("no-store");
      expect(await offline.json()).toMatchObject({ code: "MACHINE_OFFLINE" });
    },
    TIMEOUT,
  );
});

describe("projects, Claude Code sessions and imports on a machine", () => {
  test(
    "project:list and project:sessions go to the machine named; session:import makes its session there",
    async () => {
      const deskFolder = join(remoteEnv.cwd, "remote-app");
      mkdirSync(deskFolder, { recursive: true });
      const desk = await startDeskClaude({ cwd: deskFolder, env: remoteEnv.env, timeoutMs: 45_000 });
      let claudeSessionId: string;
      try {
        await desk.ask("remember the remote desk", "Echo: remember the remote desk");
        claudeSessionId = desk.sessionId();
        await desk.exit();
      } finally {
        await desk.kill();
      }

      const client = await clients.connect();
      const machine = await link(client);
      const local = await ask(client, "project:list", {}, "project:list");
      const onRemote = await ask(client, "project:list", { machineId: machine.id }, "project:list");
      if (local.type !== "project:list" || onRemote.type !== "project:list") throw new Error("project:list failed");
      expect(local.payload.projects.map((p) => p.root)).toEqual(local.payload.projects.map(() => homeEnv.cwd));
      expect(onRemote.payload.projects.every((p) => p.root === remoteEnv.cwd)).toBe(true);
      const app = onRemote.payload.projects.find((p) => p.path === deskFolder);
      expect(app).toMatchObject({ name: "remote-app", claudeSessionCount: 1 });
      expect(local.payload.projects.some((p) => p.path === deskFolder)).toBe(false);

      const listed = await ask(
        client,
        "project:sessions",
        { path: deskFolder, machineId: machine.id },
        "project:sessions",
      );
      expect(listed.type === "project:sessions" && listed.payload.sessions.map((s) => s.claudeSessionId)).toEqual([
        claudeSessionId,
      ]);
      // Home itself refuses that folder: it is not inside home's root.
      const atHome = await ask(client, "project:sessions", { path: deskFolder }, "project:sessions");
      expect(atHome).toMatchObject({ type: "error", payload: { code: "INVALID_WORKDIR" } });

      const imported = await ask(
        client,
        "session:import",
        { claudeSessionId, path: deskFolder, machineId: machine.id },
        "session:created",
      );
      if (imported.type !== "session:created") throw new Error(`import failed: ${JSON.stringify(imported.payload)}`);
      expect(imported.payload).toMatchObject({
        machineId: machine.id,
        cwd: deskFolder,
        title: "remember the remote desk",
      });
      // Just used at the desk, it is continued as a fork (decision 031): either way it names the desk's session.
      expect(imported.payload.forkedFrom ?? imported.payload.claudeSessionId).toBe(claudeSessionId);
      // It is the remote's session: listed by the remote itself, and home routes to it.
      expect(remote.service.get(imported.payload.id).cwd).toBe(deskFolder);
      remoteApi.when("what did I ask you to remember", reply().text("The remote desk, from the remote agent."));
      const turn = client.send(imported.payload.id, "what did I ask you to remember");
      const answered = await client.next("chat:response", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });
      expect(answered.response).toBe("The remote desk, from the remote agent.");
      const again = await ask(
        client,
        "project:sessions",
        { path: deskFolder, machineId: machine.id },
        "project:sessions",
      );
      expect(again.type === "project:sessions" && again.payload.sessions[0]?.importedAs).toBe(imported.payload.id);
    },
    TIMEOUT,
  );

  test("an unknown machine is MACHINE_NOT_FOUND, an offline one MACHINE_OFFLINE at once", async () => {
    const client = await clients.connect();
    const machine = await link(client);
    const nowhere = crypto.randomUUID();
    for (const [event, reply, payload] of [
      ["project:list", "project:list", {}],
      ["project:sessions", "project:sessions", { path: "/x" }],
      ["session:import", "session:created", { path: "/x", claudeSessionId: crypto.randomUUID() }],
    ] as const) {
      const unknown = await ask(client, event, { ...payload, machineId: nowhere } as never, reply);
      expect(unknown).toMatchObject({ type: "error", payload: { code: "MACHINE_NOT_FOUND" } });
    }
    await remoteGone(client, machine.id);
    const started = Date.now();
    const offline = await ask(client, "project:list", { machineId: machine.id }, "project:list");
    expect(offline).toMatchObject({ type: "error", payload: { code: "MACHINE_OFFLINE" } });
    expect(Date.now() - started).toBeLessThan(2_000);
    // This server's own still answer.
    expect((await ask(client, "project:list", {}, "project:list")).type).toBe("project:list");
  });
});

describe("session:search across machines", () => {
  test(
    "finds remote sessions by title and message in the mirror, with their machineId, also while offline",
    async () => {
      // The word is in the agents' answers only: a session's title comes from its first message.
      remoteApi.when("which sweet", reply().text("Marzipan, says the remote."));
      homeApi.when("which sweet", reply().text("Marzipan, says home."));
      const client = await clients.connect();
      const machine = await link(client);
      const byTitle = await client.createSession({ machineId: machine.id, title: "Marzipan plans" });
      const byMessage = await client.createSession({ machineId: machine.id });
      const homeSession = await client.createSession({});
      for (const sessionId of [byMessage.id, homeSession.id]) {
        const turn = client.send(sessionId, "which sweet");
        await client.next("chat:response", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });
      }

      const expected = [
        { sessionId: byTitle.id, machineId: machine.id },
        { sessionId: homeSession.id, machineId: "local", snippet: "Marzipan, says home." },
        { sessionId: byMessage.id, machineId: machine.id, snippet: "Marzipan, says the remote." },
      ];
      const found = await ask(client, "session:search", { query: "MARZIPAN" }, "session:found");
      expect(found.type === "session:found" && found.payload.results).toEqual(expected);

      // Found in home's mirror: the machine being offline changes nothing.
      await remoteGone(client, machine.id);
      const offline = await ask(client, "session:search", { query: "marzipan" }, "session:found");
      expect(offline.type === "session:found" && offline.payload.results).toEqual(expected);
      const none = await ask(client, "session:search", { query: "quince" }, "session:found");
      expect(none.type === "session:found" && none.payload.results).toEqual([]);
    },
    TIMEOUT,
  );
});
