import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getSessionMessages } from "@anthropic-ai/claude-agent-sdk";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import type { TranscriptMirror } from "../../src/server/agent/transcriptMirror.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import type { ServerPayload } from "../../src/shared/messages.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type DeskClaude, startDeskClaude } from "../fixtures/deskClaude.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { git, makeRepo } from "../fixtures/gitRepos.ts";
import { startTestServer, type TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Projects and Claude Code's own sessions, end to end: a desk session made by the real `claude`
 * run interactively in a pseudo-terminal, read by the server through the Agent SDK, listed,
 * imported and continued through the protocol by the real CLI, against the fake Anthropic API.
 * The server and the desk share CLAUDE_CONFIG_DIR, as on a workstation.
 */
const TIMEOUT = 90_000;
let api: FakeAnthropic;
let agentEnv: AgentEnv;
let root: string;
let outside: string;
let server: TestServer;
const desks: DeskClaude[] = [];
const clients = new TestClients(() => server.url);
const savedConfigDir = process.env.CLAUDE_CONFIG_DIR;

/** The first desk session (made once): "the secret fruit is quince", in the `shop` repository. */
let quince: string;

const shop = () => join(root, "shop");
const notes = () => join(root, "notes");

async function desk(cwd: string, prompt: string, options: { keepRunning?: boolean } = {}): Promise<string> {
  const claude = await startDeskClaude({ cwd, env: agentEnv.env, timeoutMs: 45_000 });
  desks.push(claude);
  await claude.ask(prompt, `Echo: ${prompt}`);
  const id = claude.sessionId();
  if (!options.keepRunning) await claude.exit();
  return id;
}

/** The desk transcript of a session (found by name only: its content is Claude Code's to read). */
function transcriptFile(sessionId: string): string {
  const projects = join(agentEnv.configDir, "projects");
  for (const dir of readdirSync(projects)) {
    const file = join(projects, dir, `${sessionId}.jsonl`);
    try {
      statSync(file);
      return file;
    } catch {}
  }
  throw new Error(`no transcript for ${sessionId}`);
}

function age(sessionId: string, ms: number): void {
  const when = new Date(Date.now() - ms);
  utimesSync(transcriptFile(sessionId), when, when);
}

function request<K extends "project:list" | "project:sessions">(
  client: TestClient,
  event: K,
  payload: Record<string, unknown> = {},
): Promise<ServerPayload<K>> {
  const requestId = crypto.randomUUID();
  (client.socket.emit as (e: string, p: unknown) => void)(event, { ...payload, requestId });
  return client.next(event, (p) => p.requestId === requestId, { timeoutMs: TIMEOUT }) as Promise<ServerPayload<K>>;
}

function importSession(client: TestClient, claudeSessionId: string, path: string) {
  const requestId = crypto.randomUUID();
  client.socket.emit("session:import", { claudeSessionId, path, requestId });
  return {
    requestId,
    created: client.next("session:created", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT }),
  };
}

async function errorFor(client: TestClient, event: "project:error" | "session:error", requestId: string) {
  return client.next(event, (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
}

async function start() {
  const runner = ({ transcripts }: { transcripts: TranscriptMirror }) =>
    createSdkRunner({ maxTurns: 4, env: agentEnv.env, transcripts });
  return startTestServer({ runner, workdir: root });
}

beforeAll(async () => {
  setLogLevel("error");
  api = await startFakeAnthropic();
  agentEnv = makeAgentEnv(api.url);
  // The server reads Claude Code's sessions from its own environment's config dir, like the desk's.
  process.env.CLAUDE_CONFIG_DIR = agentEnv.configDir;
  root = join(agentEnv.root, "code");
  outside = join(agentEnv.root, "elsewhere");
  mkdirSync(outside, { recursive: true });
  makeRepo(shop(), { branch: "main" });
  mkdirSync(notes(), { recursive: true });
  makeRepo(join(root, "clients", "acme", "portal"), { branch: "feature/login" }); // depth 3: listed
  makeRepo(join(root, "deep", "a", "b", "repo")); // depth 4: too deep
  makeRepo(join(root, ".config", "repo")); // hidden
  makeRepo(join(root, "web", "node_modules", "dep")); // node_modules
  makeRepo(join(outside, "secret"));
  symlinkSync(outside, join(root, "escape")); // a symlink out of the root
  symlinkSync(shop(), join(root, "shop-link")); // a symlink inside: listed once, where it really is
  writeFileSync(join(shop(), "README.md"), "shop\n");
  git(shop(), "add", "README.md");
  git(shop(), "commit", "-qm", "readme");
  writeFileSync(join(shop(), "todo.txt"), "uncommitted\n");

  quince = await desk(shop(), "the secret fruit is quince");
  await desk(notes(), "notes from the desk");
}, TIMEOUT);

beforeEach(async () => {
  api.reset();
  server = await start();
});

afterEach(async () => {
  clients.closeAll();
  for (const claude of desks.splice(0)) await claude.kill();
  await server.cleanup();
});

afterAll(async () => {
  await api.close();
  agentEnv.cleanup();
  if (savedConfigDir === undefined) delete process.env.CLAUDE_CONFIG_DIR;
  else process.env.CLAUDE_CONFIG_DIR = savedConfigDir;
  setLogLevel("info");
});

describe("project:list", () => {
  test(
    "the root, git work trees up to depth 3 with branch and dirty state, directories with desk history; nothing hidden, in node_modules, deeper or outside",
    async () => {
      const client = await clients.connect();
      const first = await request(client, "project:list");
      const paths = first.projects.map((p) => p.path);
      expect(paths.sort()).toEqual([root, join(root, "clients", "acme", "portal"), notes(), shop()].sort());
      const shopProject = first.projects.find((p) => p.path === shop());
      expect(shopProject).toMatchObject({ name: "shop", root, isGit: true, branch: "main", claudeSessionCount: 1 });
      expect(first.projects.find((p) => p.path === notes())).toMatchObject({ isGit: false, claudeSessionCount: 1 });
      expect(first.projects.find((p) => p.name === "portal")?.branch).toBe("feature/login");
      expect(first.projects.find((p) => p.path === root)).toMatchObject({ isGit: false, claudeSessionCount: 0 });

      // Uncommitted changes are found out in the background; the next answer has them.
      await server.projects.index.settled();
      const second = await request(client, "project:list");
      expect(second.projects.find((p) => p.path === shop())?.dirty).toBe(true);
      expect(second.projects.find((p) => p.name === "portal")?.dirty).toBe(false);
      expect(second.projects.find((p) => p.path === notes())?.dirty).toBeUndefined();
    },
    TIMEOUT,
  );

  test(
    "Pocket Agent's own sessions count in their project, and their directories are projects",
    async () => {
      const client = await clients.connect();
      const nested = join(root, "deep", "a", "b", "repo");
      await client.createSession({ cwd: shop() });
      await client.createSession({ cwd: shop() });
      const deep = await client.createSession({ cwd: nested });
      expect(deep.project).toBe(nested);
      const list = await request(client, "project:list");
      expect(list.projects.find((p) => p.path === shop())?.sessionCount).toBe(2);
      expect(list.projects.find((p) => p.path === nested)).toMatchObject({ sessionCount: 1, root });
      // The most recently active first.
      expect(list.projects[0]?.path).toBe(nested);
    },
    TIMEOUT,
  );
});

describe("project:sessions", () => {
  test(
    "Claude Code's interactive sessions of a project, with summary, first prompt, time and branch; not the server's own",
    async () => {
      age(quince, 60 * 60_000);
      const client = await clients.connect();
      // A session the server's agent ran in the same project: programmatic, so not listed.
      const own = await client.createSession({ cwd: shop() });
      const turn = client.send(own.id, "an agent turn from the phone");
      await client.next("chat:response", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });

      const page = await request(client, "project:sessions", { path: shop() });
      expect(page.path).toBe(shop());
      expect(page.hasMore).toBe(false);
      expect(page.sessions).toHaveLength(1);
      expect(page.sessions[0]).toMatchObject({
        claudeSessionId: quince,
        summary: "the secret fruit is quince",
        firstPrompt: "the secret fruit is quince",
        gitBranch: "main",
        inUse: false,
      });
      expect(page.sessions[0]?.importedAs).toBeUndefined();
      expect(Date.now() - Date.parse(page.sessions[0]?.lastModified ?? "")).toBeGreaterThan(59 * 60_000);
    },
    TIMEOUT,
  );

  test(
    "paged with limit and offset, newest first",
    async () => {
      const second = await desk(notes(), "a second note");
      const client = await clients.connect();
      const page1 = await request(client, "project:sessions", { path: notes(), limit: 1 });
      expect(page1.sessions.map((s) => s.claudeSessionId)).toEqual([second]);
      expect(page1.hasMore).toBe(true);
      const page2 = await request(client, "project:sessions", { path: notes(), limit: 1, offset: 1 });
      expect(page2.sessions.map((s) => s.summary)).toEqual(["notes from the desk"]);
      expect(page2.hasMore).toBe(false);
    },
    TIMEOUT,
  );

  test(
    "escapes are refused with INVALID_WORKDIR: .., a symlink out of the root, an absolute path outside",
    async () => {
      const client = await clients.connect();
      for (const path of [join(root, "..", "elsewhere", "secret"), join(root, "escape", "secret"), outside, "/etc"]) {
        const requestId = crypto.randomUUID();
        client.socket.emit("project:sessions", { path, requestId });
        const error = await errorFor(client, "project:error", requestId);
        expect(error.code).toBe("INVALID_WORKDIR");
      }
      const importId = crypto.randomUUID();
      client.socket.emit("session:import", {
        claudeSessionId: quince,
        path: join(root, "escape"),
        requestId: importId,
      });
      expect((await errorFor(client, "session:error", importId)).code).toBe("INVALID_WORKDIR");
    },
    TIMEOUT,
  );

  test(
    "malformed requests get INVALID_PAYLOAD with their requestId; the server goes on",
    async () => {
      const client = await clients.connect();
      const badLimit = crypto.randomUUID();
      client.socket.emit("project:sessions", { path: shop(), limit: 0, requestId: badLimit });
      expect((await errorFor(client, "project:error", badLimit)).code).toBe("INVALID_PAYLOAD");
      const badId = crypto.randomUUID();
      client.socket.emit("session:import", { claudeSessionId: "../../etc/passwd", path: shop(), requestId: badId });
      expect((await errorFor(client, "session:error", badId)).code).toBe("INVALID_PAYLOAD");
      const unknown = crypto.randomUUID();
      (client.socket.emit as (e: string, p: unknown) => void)("project:nope", { requestId: unknown });
      expect((await errorFor(client, "project:error", unknown)).code).toBe("UNKNOWN_EVENT");
      expect((await request(client, "project:list")).projects.length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});

describe("session:import", () => {
  test(
    "continues a desk session: its conversation is the history, and the next message resumes it",
    async () => {
      const id = await desk(shop(), "the secret word is marmalade");
      age(id, 10 * 60_000);
      const client = await clients.connect();
      const { created } = importSession(client, id, shop());
      const session = await created;
      expect(session).toMatchObject({
        cwd: shop(),
        project: shop(),
        claudeSessionId: id,
        title: "the secret word is marmalade",
        // The sessions list's last line: the desk's last answer.
        lastMessage: { from: "agent", text: "Echo: the secret word is marmalade" },
      });
      expect(session.forkedFrom).toBeUndefined();

      // The desk's prompt and answer, as history.
      const subscribed = crypto.randomUUID();
      client.socket.emit("session:subscribe", { sessionId: session.id, requestId: subscribed, afterSeq: 0 });
      await client.next("session:subscribed", (p) => p.requestId === subscribed);
      const queued = client.all("chat:queued").filter((q) => q.sessionId === session.id);
      expect(queued.map((q) => q.message)).toEqual(["the secret word is marmalade"]);
      const answered = client.all("chat:response").filter((r) => r.sessionId === session.id);
      expect(answered.map((r) => r.response)).toEqual(["Echo: the secret word is marmalade"]);

      // The next message resumes the desk's conversation: the API sees the earlier turn.
      const next = client.send(session.id, "which word did I say");
      const response = await client.next("chat:response", (p) => p.requestId === next, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("Echo: which word did I say");
      const sent = api.log.findLast((r) => r.userText === "which word did I say");
      expect(JSON.stringify(sent?.body.messages)).toContain("the secret word is marmalade");
      // Not a fork: the desk's own transcript goes on (`claude --resume` at the desk sees the phone's turn).
      const desked = await getSessionMessages(id, { dir: shop() });
      expect(JSON.stringify(desked)).toContain("which word did I say");

      // Listed as continued; importing again gives the same session.
      const listed = await request(client, "project:sessions", { path: shop() });
      expect(listed.sessions.find((s) => s.claudeSessionId === id)?.importedAs).toBe(session.id);
      const again = await importSession(client, id, shop()).created;
      expect(again.id).toBe(session.id);
    },
    TIMEOUT,
  );

  test(
    "importing twice at once makes one session",
    async () => {
      age(quince, 60 * 60_000);
      const client = await clients.connect();
      const a = importSession(client, quince, shop());
      const b = importSession(client, quince, shop());
      const [first, second] = await Promise.all([a.created, b.created]);
      expect(second.id).toBe(first.id);
      const list = crypto.randomUUID();
      client.socket.emit("session:list", { requestId: list });
      const sessions = (await client.next("session:list", (p) => p.requestId === list)).sessions;
      expect(sessions.filter((s) => s.claudeSessionId === quince)).toHaveLength(1);
    },
    TIMEOUT,
  );

  test(
    "a session a live claude process holds is continued as a fork; the desk's transcript is never written",
    async () => {
      const id = await desk(notes(), "the password is tangerine", { keepRunning: true });
      // Old enough on disk: only the live process says it is in use.
      age(id, 60 * 60_000);
      const file = transcriptFile(id);
      const before = { bytes: readFileSync(file) };
      const client = await clients.connect();
      const listed = await request(client, "project:sessions", { path: notes() });
      expect(listed.sessions.find((s) => s.claudeSessionId === id)?.inUse).toBe(true);

      const session = await importSession(client, id, notes()).created;
      expect(session.forkedFrom).toBe(id);
      expect(session.claudeSessionId).toBeDefined();
      expect(session.claudeSessionId).not.toBe(id);

      const next = client.send(session.id, "what is the password");
      await client.next("chat:response", (p) => p.requestId === next, { timeoutMs: TIMEOUT });
      const sent = api.log.findLast((r) => r.userText === "what is the password");
      expect(JSON.stringify(sent?.body.messages)).toContain("the password is tangerine");
      // Nothing of ours reached the desk's transcript. (The live desk process itself may still append
      // its own trailing entries after its answer showed on its terminal: what was there stays as it was.)
      const after = readFileSync(file);
      expect(after.subarray(0, before.bytes.length).equals(before.bytes)).toBe(true);
      expect(after.toString("utf8")).not.toContain("what is the password");
      // The same conversation, importing again, is the same session.
      expect((await importSession(client, id, notes()).created).id).toBe(session.id);
    },
    TIMEOUT,
  );

  test(
    "a transcript changed in the last 2 minutes is continued as a fork",
    async () => {
      age(quince, 30_000);
      const client = await clients.connect();
      const listed = await request(client, "project:sessions", { path: shop() });
      expect(listed.sessions.find((s) => s.claudeSessionId === quince)?.inUse).toBe(true);
      const session = await importSession(client, quince, shop()).created;
      expect(session.forkedFrom).toBe(quince);
      expect(session.claudeSessionId).not.toBe(quince);
      // The fork holds the conversation.
      const forked = await getSessionMessages(session.claudeSessionId ?? "", { dir: shop() });
      expect(JSON.stringify(forked)).toContain("the secret fruit is quince");
    },
    TIMEOUT,
  );

  test(
    "an unknown Claude Code session is SESSION_NOT_FOUND",
    async () => {
      const client = await clients.connect();
      const requestId = crypto.randomUUID();
      // A real session, but of another project.
      client.socket.emit("session:import", { claudeSessionId: quince, path: notes(), requestId });
      expect((await errorFor(client, "session:error", requestId)).code).toBe("SESSION_NOT_FOUND");
      const missing = crypto.randomUUID();
      client.socket.emit("session:import", { claudeSessionId: crypto.randomUUID(), path: shop(), requestId: missing });
      expect((await errorFor(client, "session:error", missing)).code).toBe("SESSION_NOT_FOUND");
    },
    TIMEOUT,
  );
});

describe("a session's branch", () => {
  test(
    "a session in a repository carries its branch (none outside git); after a turn, the branch it is on now",
    async () => {
      const portal = join(root, "clients", "acme", "portal");
      const client = await clients.connect();
      const session = await client.createSession({ cwd: portal, model: "haiku" });
      expect(session.branch).toBe("feature/login");
      expect((await client.createSession({ cwd: notes(), model: "haiku" })).branch).toBeUndefined();

      // Switched at the desk (or by the agent): the next turn's end shows it.
      git(portal, "checkout", "-q", "-b", "fix/login-redirect");
      try {
        api.when("which branch", reply().text("On it."));
        const before = client.received.length;
        const requestId = client.send(session.id, "which branch");
        await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
        // Announced when the turn ends (as the session goes idle), not before.
        const updated = await client.next(
          "session:updated",
          (p) => p.session.id === session.id && p.session.branch === "fix/login-redirect",
          { from: before },
        );
        expect(updated.session.status).toBe("idle");
        const listed = crypto.randomUUID();
        client.socket.emit("session:list", { requestId: listed });
        const { sessions } = await client.next("session:list", (p) => p.requestId === listed);
        expect(sessions.find((s) => s.id === session.id)?.branch).toBe("fix/login-redirect");
      } finally {
        git(portal, "checkout", "-q", "feature/login");
      }
    },
    TIMEOUT,
  );
});
