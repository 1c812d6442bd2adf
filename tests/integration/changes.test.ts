import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import type { TranscriptMirror } from "../../src/server/agent/transcriptMirror.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import type { ServerPayload } from "../../src/shared/messages.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { git, makeRepo } from "../fixtures/gitRepos.ts";
import { startTestServer, type TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Changes and files through the real stack: the real Claude Code CLI edits files (on the fake
 * API's script), the server works out each turn's changes and the folder's changes with git, and
 * the file viewer refuses what it must.
 */
const TIMEOUT = 60_000;
let api: FakeAnthropic;
let agentEnv: AgentEnv;
let server: TestServer;
const clients = new TestClients(() => server.url);

async function start(workdir: string) {
  const runner = ({ transcripts }: { transcripts: TranscriptMirror }) =>
    createSdkRunner({ maxTurns: 8, env: agentEnv.env, transcripts });
  return startTestServer({ runner, workdir });
}

beforeAll(async () => {
  setLogLevel("error");
  api = await startFakeAnthropic();
});
beforeEach(() => {
  api.reset();
  agentEnv = makeAgentEnv(api.url);
});
afterEach(async () => {
  clients.closeAll();
  await server?.cleanup();
  agentEnv.cleanup();
});
afterAll(async () => {
  await api.close();
  setLogLevel("info");
});

/** Allows every tool the turn asks for, until it ends. */
function allowEverything(client: TestClient, sessionId: string, turn: string): void {
  client.socket.on("permission:request", (ask) => {
    if (ask.requestId !== turn) return;
    client.socket.emit("permission:respond", {
      sessionId,
      permissionId: ask.permissionId,
      decision: "allow",
      requestId: crypto.randomUUID(),
    });
  });
}

function request<K extends "changes:result" | "file:content">(
  client: TestClient,
  event: "changes:get" | "file:read",
  payload: Record<string, unknown>,
  reply: K,
): { requestId: string; answer: Promise<ServerPayload<K> | ServerPayload<"changes:error">> } {
  const requestId = crypto.randomUUID();
  const errorEvent = event === "changes:get" ? "changes:error" : "file:error";
  const answer = Promise.race([
    client.next(reply, (p) => p.requestId === requestId),
    client.next(errorEvent, (p) => p.requestId === requestId),
  ]);
  (client.socket.emit as (name: string, payload: unknown) => void)(event, { ...payload, requestId });
  return { requestId, answer };
}

describe("a turn's changes and the folder's changes (git)", () => {
  test(
    "an approved Edit and a Bash write: turn:changes stored and replayed, changes:get shows git's diff",
    async () => {
      const repo = makeRepo(join(agentEnv.cwd, "repo"));
      writeFileSync(join(repo, "notes.txt"), "one\ntwo\nthree\n");
      git(repo, "add", "notes.txt");
      git(repo, "commit", "-qm", "notes");
      server = await start(repo);
      const notes = join(repo, "notes.txt");
      api.when(
        "change the notes",
        reply().tool("Read", { file_path: notes }),
        reply().tool("Edit", { file_path: notes, old_string: "two", new_string: "TWO" }),
        reply().tool("Bash", { command: "echo made by bash > from-bash.txt", description: "Write a file" }),
        reply().text("Changed."),
      );
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const turn = client.send(session.id, "change the notes please");
      allowEverything(client, session.id, turn);
      const response = await client.next("chat:response", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });
      expect(readFileSync(notes, "utf8")).toBe("one\nTWO\nthree\n");

      const changes = await client.next("turn:changes", (p) => p.requestId === turn, { from: 0 });
      expect(changes.seq).toBeLessThan(response.seq);
      const byPath = Object.fromEntries(changes.files.map((f) => [f.path, f]));
      expect(Object.keys(byPath).sort()).toEqual(["from-bash.txt", "notes.txt"]);
      expect(byPath["notes.txt"]).toMatchObject({ status: "modified", additions: 1, deletions: 1 });
      expect(byPath["notes.txt"]?.diff).toContain("-two\n+TWO\n");
      expect(byPath["from-bash.txt"]).toMatchObject({ status: "added", additions: 1, deletions: 0 });
      expect(byPath["from-bash.txt"]?.diff).toContain("+made by bash");

      // Stored like the other session events: a new subscriber gets it replayed, in its place.
      const other = await clients.connect();
      const subscribed = crypto.randomUUID();
      other.socket.emit("session:subscribe", { sessionId: session.id, requestId: subscribed, afterSeq: 0 });
      await other.next("session:subscribed", (p) => p.requestId === subscribed);
      expect(other.all("turn:changes")).toEqual([changes]);

      const { answer } = request(client, "changes:get", { sessionId: session.id }, "changes:result");
      const result = (await answer) as ServerPayload<"changes:result">;
      expect(result).toMatchObject({ sessionId: session.id, isGit: true, branch: "main" });
      const files = Object.fromEntries(result.files.map((f) => [f.path, f]));
      expect(files["notes.txt"]).toMatchObject({ status: "modified", additions: 1, deletions: 1, truncated: false });
      expect(files["notes.txt"]?.diff).toContain("diff --git a/notes.txt b/notes.txt");
      expect(files["notes.txt"]?.diff).toContain("-two\n+TWO\n");
      expect(files["from-bash.txt"]).toMatchObject({ status: "untracked", additions: 1, deletions: 0 });
      expect(files["from-bash.txt"]?.diff).toContain("+made by bash");
    },
    TIMEOUT,
  );

  test(
    "a turn that only reads writes no turn:changes; a file dirty before the turn is not counted",
    async () => {
      const repo = makeRepo(join(agentEnv.cwd, "repo"));
      writeFileSync(join(repo, "dirty.txt"), "already changed\n");
      server = await start(repo);
      api.when("just look", reply().tool("Read", { file_path: join(repo, "dirty.txt") }), reply().text("Seen."));
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const turn = client.send(session.id, "just look at it");
      await client.next("chat:response", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });
      expect(client.all("turn:changes")).toEqual([]);
    },
    TIMEOUT,
  );
});

describe("outside git", () => {
  test(
    "changes:get lists the files the agent wrote in this session, with their diff",
    async () => {
      const folder = join(agentEnv.cwd, "plain");
      mkdirSync(folder);
      server = await start(folder);
      api.when(
        "write a file",
        reply().tool("Write", { file_path: join(folder, "hello.md"), content: "# Hello\nworld\n" }),
        reply().text("Written."),
      );
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const turn = client.send(session.id, "write a file please");
      allowEverything(client, session.id, turn);
      await client.next("chat:response", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });
      const changes = await client.next("turn:changes", (p) => p.requestId === turn, { from: 0 });
      expect(changes.files).toMatchObject([{ path: "hello.md", status: "added", additions: 2, deletions: 0 }]);

      const { answer } = request(client, "changes:get", { sessionId: session.id }, "changes:result");
      const result = (await answer) as ServerPayload<"changes:result">;
      expect(result.isGit).toBe(false);
      expect(result.branch).toBeUndefined();
      expect(result.files).toHaveLength(1);
      expect(result.files[0]).toMatchObject({ path: "hello.md", status: "added", additions: 2, deletions: 0 });
      expect(result.files[0]?.diff).toContain("+# Hello\n+world");
    },
    TIMEOUT,
  );
});

describe("the file viewer", () => {
  test("reads text inside the folder; refuses escapes, binary files and bad requests with typed errors", async () => {
    const folder = join(agentEnv.cwd, "viewed");
    mkdirSync(join(folder, "src"), { recursive: true });
    writeFileSync(join(folder, "src", "main.ts"), "export const answer = 42;\n");
    writeFileSync(join(agentEnv.cwd, "secret.txt"), "outside\n");
    symlinkSync(join(agentEnv.cwd, "secret.txt"), join(folder, "link-out.txt"));
    writeFileSync(join(folder, "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    writeFileSync(join(folder, "big.txt"), "x".repeat(1_048_576 + 10));
    server = await startTestServer({ workdir: folder });
    const client = await clients.connect();
    const session = await client.createSession({});

    const read = async (payload: Record<string, unknown>) => {
      const { requestId, answer } = request(client, "file:read", { sessionId: session.id, ...payload }, "file:content");
      return { requestId, answer: (await answer) as Record<string, unknown> };
    };

    const ok = await read({ path: "src/main.ts" });
    expect(ok.answer).toEqual({
      sessionId: session.id,
      path: "src/main.ts",
      content: "export const answer = 42;\n",
      truncated: false,
      size: 26,
      requestId: ok.requestId,
    });
    const big = await read({ path: "big.txt" });
    expect(big.answer).toMatchObject({ truncated: true, size: 1_048_586 });
    expect((big.answer.content as string).length).toBe(1_048_576);

    for (const path of ["../secret.txt", "src/../../secret.txt", join(agentEnv.cwd, "secret.txt"), "link-out.txt"]) {
      const refused = await read({ path });
      expect(refused.answer).toMatchObject({ code: "PATH_OUTSIDE_SESSION", requestId: refused.requestId });
      expect(String(refused.answer.message)).not.toContain("outside\n");
    }
    expect((await read({ path: "logo.png" })).answer).toMatchObject({ code: "FILE_NOT_TEXT" });
    expect((await read({ path: "nope.txt" })).answer).toMatchObject({ code: "FILE_NOT_FOUND" });
    expect((await read({ path: "src" })).answer).toMatchObject({ code: "FILE_NOT_FOUND" });

    const noPath = await read({});
    expect(noPath.answer).toMatchObject({ code: "INVALID_PAYLOAD", requestId: noPath.requestId });
    const unknown = await read({ sessionId: crypto.randomUUID(), path: "src/main.ts" });
    expect(unknown.answer).toMatchObject({ code: "SESSION_NOT_FOUND", requestId: unknown.requestId });

    const badChanges = request(client, "changes:get", { sessionId: "not-a-uuid" }, "changes:result");
    expect(await badChanges.answer).toMatchObject({ code: "INVALID_PAYLOAD", requestId: badChanges.requestId });
    const goneChanges = request(client, "changes:get", { sessionId: crypto.randomUUID() }, "changes:result");
    expect(await goneChanges.answer).toMatchObject({ code: "SESSION_NOT_FOUND", requestId: goneChanges.requestId });
  });
});
