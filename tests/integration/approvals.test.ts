import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import type { AllowScope } from "../../src/shared/messages.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { startTestServer, type TestClient, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Approvals on the phone, with the real Claude Code CLI: its `canUseTool`
 * becomes `permission:request`, the client's `permission:respond` decides,
 * `permission:resolved` reaches every device.
 */
const TIMEOUT = 60_000;
let api: FakeAnthropic;
let agentEnv: AgentEnv;
let server: TestServer;
const clients = new TestClients(() => server.url);

beforeAll(async () => {
  setLogLevel("error");
  api = await startFakeAnthropic();
});
beforeEach(async () => {
  api.reset();
  agentEnv = makeAgentEnv(api.url);
  server = await startTestServer({
    runner: createSdkRunner({ maxTurns: 4, env: agentEnv.env }),
    workdir: agentEnv.cwd,
  });
});
afterEach(async () => {
  clients.closeAll();
  await server.cleanup();
  agentEnv.cleanup();
});
afterAll(async () => {
  await api.close();
  setLogLevel("info");
});

function respond(
  client: TestClient,
  sessionId: string,
  permissionId: string,
  decision: "allow" | "deny" | "allow_always",
  message?: string,
): string {
  const requestId = crypto.randomUUID();
  client.socket.emit("permission:respond", {
    sessionId,
    permissionId,
    decision,
    requestId,
    ...(message ? { message } : {}),
  });
  return requestId;
}

/** A Bash step that writes a file: Claude Code asks before running it. */
function scriptWrite(prompt: string, file: string, times = 1) {
  for (let i = 0; i < times; i++) {
    api.when(
      prompt,
      reply().tool("Bash", { command: `echo x > ${file}`, description: `Write ${file}` }),
      reply().text("Finished."),
    );
  }
}

describe("permission requests", () => {
  test(
    "allow runs the tool: the request reaches the client, the answer resolves it, the file exists",
    async () => {
      scriptWrite("make a file", "allowed.txt");
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const requestId = client.send(session.id, "make a file");
      const ask = await client.next("permission:request", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(ask.toolName).toBe("Bash");
      expect(ask.input.command).toBe("echo x > allowed.txt");
      const badge = await client.next(
        "session:updated",
        (p) => p.session.id === session.id && p.session.pendingPermissions === 1,
        { from: 0 },
      );
      expect(badge.session.status).toBe("running");

      respond(client, session.id, ask.permissionId, "allow");
      const resolved = await client.next("permission:resolved", (p) => p.permissionId === ask.permissionId);
      expect(resolved.decision).toBe("allow");
      expect(resolved.seq).toBeGreaterThan(ask.seq);
      const response = await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("Finished.");
      expect(readFileSync(join(agentEnv.cwd, "allowed.txt"), "utf8").trim()).toBe("x");

      const again = crypto.randomUUID();
      client.socket.emit("permission:respond", {
        sessionId: session.id,
        permissionId: ask.permissionId,
        decision: "deny",
        requestId: again,
      });
      expect(await client.next("permission:error", (p) => p.requestId === again)).toMatchObject({
        code: "PERMISSION_NOT_PENDING",
      });
    },
    TIMEOUT,
  );

  test(
    "deny does not run it; the agent is told why and the turn still ends with a response",
    async () => {
      scriptWrite("make a file", "denied.txt");
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const requestId = client.send(session.id, "make a file");
      const ask = await client.next("permission:request", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      respond(client, session.id, ask.permissionId, "deny", "not in this folder");
      const response = await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("Finished.");
      expect(existsSync(join(agentEnv.cwd, "denied.txt"))).toBe(false);
      const toolResult = api.log.findLast((r) => JSON.stringify(r.body).includes("not in this folder"));
      expect(toolResult).toBeDefined();

      // The request names the tool call it asks about, as the turn's logs have it: the CLI reports the
      // denied call as a failed result, and the id is how a client tells that it never ran.
      expect(ask.toolUseId).toEqual(expect.any(String));
      type Block = { type?: string; id?: string; tool_use_id?: string; is_error?: boolean };
      const blocks = response.logs.flatMap((data) => {
        const message = JSON.parse(data) as { message?: { content?: unknown } };
        return Array.isArray(message.message?.content) ? (message.message.content as Block[]) : [];
      });
      expect(blocks.filter((b) => b.type === "tool_use").map((b) => b.id)).toEqual([ask.toolUseId]);
      expect(blocks.find((b) => b.type === "tool_result" && b.tool_use_id === ask.toolUseId)?.is_error).toBe(true);
    },
    TIMEOUT,
  );

  test(
    "allow_always skips the next identical request for the rest of the session",
    async () => {
      // A redirect (`> file`) is judged as a file edit on top of the command rule, so use a plain command.
      for (let i = 0; i < 2; i++) {
        api.when(
          "write twice",
          reply().tool("Bash", { command: "touch always.txt", description: "Touch" }),
          reply().text("Finished."),
        );
      }
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const first = client.send(session.id, "write twice");
      const ask = await client.next("permission:request", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
      expect(ask.suggestions.length).toBeGreaterThan(0);
      respond(client, session.id, ask.permissionId, "allow_always");
      await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
      const second = client.send(session.id, "write twice");
      await client.next("chat:response", (p) => p.requestId === second, { timeoutMs: TIMEOUT });
      expect(client.all("permission:request").filter((p) => p.requestId === second)).toHaveLength(0);
      // "For this session" only: nothing was written to the project's settings.
      expect(existsSync(join(agentEnv.cwd, ".claude", "settings.local.json"))).toBe(false);
    },
    TIMEOUT,
  );

  test(
    "a device that subscribes later gets the pending request, answers it, and the first device sees it resolved",
    async () => {
      scriptWrite("make a file", "late.txt");
      const phone = await clients.connect();
      const session = await phone.createSession({ model: "haiku" });
      const requestId = phone.send(session.id, "make a file");
      const ask = await phone.next("permission:request", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });

      const laptop = await clients.connect();
      const sub = crypto.randomUUID();
      laptop.socket.emit("session:subscribe", { sessionId: session.id, requestId: sub });
      await laptop.next("session:subscribed", (p) => p.requestId === sub);
      const replayed = laptop.all("permission:request").find((p) => p.permissionId === ask.permissionId);
      expect(replayed).toEqual(ask);

      respond(laptop, session.id, ask.permissionId, "allow");
      expect((await phone.next("permission:resolved", (p) => p.permissionId === ask.permissionId)).decision).toBe(
        "allow",
      );
      await laptop.next("permission:resolved", (p) => p.permissionId === ask.permissionId, { from: 0 });
      await phone.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(existsSync(join(agentEnv.cwd, "late.txt"))).toBe(true);
    },
    TIMEOUT,
  );

  test(
    "cancel while a request is pending resolves it as cancelled and ends the turn with CANCELLED",
    async () => {
      scriptWrite("make a file", "cancelled.txt");
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const requestId = client.send(session.id, "make a file");
      const ask = await client.next("permission:request", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      client.socket.emit("chat:cancel", {
        sessionId: session.id,
        targetRequestId: requestId,
        requestId: crypto.randomUUID(),
      });
      expect((await client.next("permission:resolved", (p) => p.permissionId === ask.permissionId)).decision).toBe(
        "cancelled",
      );
      expect((await client.next("chat:error", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT })).code).toBe(
        "CANCELLED",
      );
      expect(existsSync(join(agentEnv.cwd, "cancelled.txt"))).toBe(false);
      const next = client.send(session.id, "still there?");
      await client.next("chat:response", (p) => p.requestId === next, { timeoutMs: TIMEOUT });
    },
    TIMEOUT,
  );
});

/** `permission:respond` with allow_always and a scope; resolves with its `permission:resolved` (or error). */
function allowAlways(client: TestClient, sessionId: string, permissionId: string, scope: AllowScope): string {
  const requestId = crypto.randomUUID();
  client.socket.emit("permission:respond", { sessionId, permissionId, decision: "allow_always", scope, requestId });
  return requestId;
}

/** A turn that runs one tool and then says "Finished.". */
function scriptTool(prompt: string, tool: "Bash" | "Write", input: Record<string, unknown>) {
  api.when(prompt, reply().tool(tool, input), reply().text("Finished."));
}

/** The rules stored for a session, straight from the database. */
function storedRules(sessionId: string): { kind: string; content: string | null }[] {
  const db = new Database(join(server.dataDir, "pocket-agent.sqlite"), { readonly: true });
  try {
    return db
      .query<{ kind: string; content: string | null }, [string]>(
        "SELECT kind, content FROM allow_rules WHERE session_id = ? ORDER BY created_at",
      )
      .all(sessionId);
  } finally {
    db.close();
  }
}

describe("always allow, with a scope the user chose (decision 034)", () => {
  test(
    "a prefix rule allows the next command that starts with it, not a compound one; listed, revoked, it asks again",
    async () => {
      scriptTool("first", "Bash", { command: "touch one.txt", description: "Touch" });
      scriptTool("second", "Bash", { command: "touch two.txt", description: "Touch" });
      scriptTool("compound", "Bash", { command: "touch three.txt && touch four.txt", description: "Touch" });
      scriptTool("after revoke", "Bash", { command: "touch five.txt", description: "Touch" });
      const client = await clients.connect();
      const watcher = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const subscribed = crypto.randomUUID();
      watcher.socket.emit("session:subscribe", { sessionId: session.id, requestId: subscribed });
      await watcher.next("session:subscribed", (p) => p.requestId === subscribed);

      const first = client.send(session.id, "first");
      const ask = await client.next("permission:request", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
      allowAlways(client, session.id, ask.permissionId, { kind: "prefix", prefix: "touch" });
      const resolved = await watcher.next("permission:resolved", (p) => p.permissionId === ask.permissionId);
      expect(resolved).toMatchObject({
        decision: "allow_always",
        rule: { toolName: "Bash", kind: "prefix", content: "touch" },
      });
      await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
      expect(storedRules(session.id)).toEqual([{ kind: "prefix", content: "touch" }]);

      // Allowed by the rule: no request, and the command ran.
      const second = client.send(session.id, "second");
      await client.next("chat:response", (p) => p.requestId === second, { timeoutMs: TIMEOUT });
      expect(client.all("permission:request").filter((p) => p.requestId === second)).toHaveLength(0);
      expect(existsSync(join(agentEnv.cwd, "two.txt"))).toBe(true);

      // Starts with `touch`, but runs a second command: asked.
      const compound = client.send(session.id, "compound");
      const compoundAsk = await client.next("permission:request", (p) => p.requestId === compound, {
        timeoutMs: TIMEOUT,
      });
      respond(client, session.id, compoundAsk.permissionId, "deny");
      await client.next("chat:response", (p) => p.requestId === compound, { timeoutMs: TIMEOUT });

      const list = crypto.randomUUID();
      client.socket.emit("permission:rules", { sessionId: session.id, requestId: list });
      const { rules } = await client.next("permission:rules", (p) => p.requestId === list);
      expect(rules).toEqual([expect.objectContaining({ id: resolved.rule?.id, kind: "prefix", content: "touch" })]);

      const revoke = crypto.randomUUID();
      client.socket.emit("permission:revoke", { sessionId: session.id, ruleId: rules[0]?.id ?? "", requestId: revoke });
      await client.next("permission:revoked", (p) => p.requestId === revoke);
      // The other device watching the session hears it too.
      expect(await watcher.next("permission:revoked", (p) => p.requestId === revoke, { from: 0 })).toEqual({
        sessionId: session.id,
        ruleId: rules[0]?.id ?? "",
        requestId: revoke,
      });
      expect(storedRules(session.id)).toEqual([]);
      const again = crypto.randomUUID();
      client.socket.emit("permission:revoke", { sessionId: session.id, ruleId: rules[0]?.id ?? "", requestId: again });
      expect(await client.next("permission:error", (p) => p.requestId === again)).toMatchObject({
        code: "RULE_NOT_FOUND",
      });

      const afterRevoke = client.send(session.id, "after revoke");
      const askedAgain = await client.next("permission:request", (p) => p.requestId === afterRevoke, {
        timeoutMs: TIMEOUT,
      });
      expect(askedAgain.input.command).toBe("touch five.txt");
      respond(client, session.id, askedAgain.permissionId, "allow");
      await client.next("chat:response", (p) => p.requestId === afterRevoke, { timeoutMs: TIMEOUT });
    },
    TIMEOUT * 2,
  );

  test(
    "a folder rule allows edits under it, and not through a symbolic link that leaves it",
    async () => {
      const src = join(agentEnv.cwd, "src");
      const outside = mkdtempSync(join(tmpdir(), "pocket-outside-"));
      mkdirSync(src);
      symlinkSync(outside, join(src, "linked"));
      scriptTool("first edit", "Write", { file_path: join(src, "a.ts"), content: "export const a = 1;\n" });
      scriptTool("second edit", "Write", { file_path: join(src, "deep", "b.ts"), content: "export const b = 2;\n" });
      scriptTool("linked edit", "Write", { file_path: join(src, "linked", "c.ts"), content: "export const c = 3;\n" });
      try {
        const client = await clients.connect();
        const session = await client.createSession({ model: "haiku" });
        const first = client.send(session.id, "first edit");
        const ask = await client.next("permission:request", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
        allowAlways(client, session.id, ask.permissionId, { kind: "folder", path: src });
        const resolved = await client.next("permission:resolved", (p) => p.permissionId === ask.permissionId);
        expect(resolved.rule).toMatchObject({ toolName: "Edit", kind: "folder", content: src });
        await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });

        const second = client.send(session.id, "second edit");
        await client.next("chat:response", (p) => p.requestId === second, { timeoutMs: TIMEOUT });
        expect(client.all("permission:request").filter((p) => p.requestId === second)).toHaveLength(0);
        expect(readFileSync(join(src, "deep", "b.ts"), "utf8")).toContain("b = 2");

        const linked = client.send(session.id, "linked edit");
        const asked = await client.next("permission:request", (p) => p.requestId === linked, { timeoutMs: TIMEOUT });
        respond(client, session.id, asked.permissionId, "deny");
        await client.next("chat:response", (p) => p.requestId === linked, { timeoutMs: TIMEOUT });
        expect(existsSync(join(outside, "c.ts"))).toBe(false);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    },
    TIMEOUT * 2,
  );

  test(
    "a scope that does not fit the request is refused with its requestId, and the request can still be answered",
    async () => {
      scriptWrite("make a file", "scoped.txt");
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const turn = client.send(session.id, "make a file");
      const ask = await client.next("permission:request", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });

      const wrongPrefix = allowAlways(client, session.id, ask.permissionId, { kind: "prefix", prefix: "rm" });
      expect(await client.next("permission:error", (p) => p.requestId === wrongPrefix)).toMatchObject({
        code: "INVALID_PAYLOAD",
        message: expect.stringContaining("does not start with"),
      });
      const folderForCommand = allowAlways(client, session.id, ask.permissionId, { kind: "folder", path: "/" });
      expect(await client.next("permission:error", (p) => p.requestId === folderForCommand)).toMatchObject({
        code: "INVALID_PAYLOAD",
      });
      const scopeWithAllow = crypto.randomUUID();
      client.socket.emit("permission:respond", {
        sessionId: session.id,
        permissionId: ask.permissionId,
        decision: "allow",
        scope: { kind: "tool" },
        requestId: scopeWithAllow,
      });
      expect(await client.next("permission:error", (p) => p.requestId === scopeWithAllow)).toMatchObject({
        code: "INVALID_PAYLOAD",
      });
      expect(storedRules(session.id)).toEqual([]);

      respond(client, session.id, ask.permissionId, "allow");
      await client.next("chat:response", (p) => p.requestId === turn, { timeoutMs: TIMEOUT });
      expect(existsSync(join(agentEnv.cwd, "scoped.txt"))).toBe(true);
    },
    TIMEOUT,
  );
});

describe("permission modes", () => {
  test(
    "acceptEdits writes files without asking; default asks for the same edit",
    async () => {
      const client = await clients.connect();
      const edits = await client.createSession({ model: "haiku", permissionMode: "acceptEdits" });
      expect(edits.permissionMode).toBe("acceptEdits");
      api.when(
        "write notes",
        reply().tool("Write", { file_path: join(agentEnv.cwd, "notes.md"), content: "hi\n" }),
        reply().text("Wrote."),
      );
      const r = client.send(edits.id, "write notes");
      await client.next("chat:response", (p) => p.requestId === r, { timeoutMs: TIMEOUT });
      expect(client.all("permission:request").filter((p) => p.requestId === r)).toHaveLength(0);
      expect(readFileSync(join(agentEnv.cwd, "notes.md"), "utf8")).toBe("hi\n");

      const asking = await client.createSession({ model: "haiku" });
      api.when(
        "write more",
        reply().tool("Write", { file_path: join(agentEnv.cwd, "more.md"), content: "x\n" }),
        reply().text("Wrote."),
      );
      const r2 = client.send(asking.id, "write more");
      const ask = await client.next("permission:request", (p) => p.requestId === r2, { timeoutMs: TIMEOUT });
      expect(ask.toolName).toBe("Write");
      respond(client, asking.id, ask.permissionId, "deny");
      await client.next("chat:response", (p) => p.requestId === r2, { timeoutMs: TIMEOUT });
      expect(existsSync(join(agentEnv.cwd, "more.md"))).toBe(false);
    },
    TIMEOUT,
  );

  test(
    "plan mode does not run the tool; the mode can be changed later, and bypass is guarded",
    async () => {
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku", permissionMode: "plan" });
      scriptWrite("plan a file", "planned.txt");
      const r = client.send(session.id, "plan a file");
      await client.next("chat:response", (p) => p.requestId === r, { timeoutMs: TIMEOUT });
      expect(existsSync(join(agentEnv.cwd, "planned.txt"))).toBe(false);

      const change = crypto.randomUUID();
      client.socket.emit("session:update", { sessionId: session.id, permissionMode: "acceptEdits", requestId: change });
      const updated = await client.next("session:updated", (p) => p.requestId === change);
      expect(updated.session.permissionMode).toBe("acceptEdits");

      const unconfirmed = crypto.randomUUID();
      client.socket.emit("session:update", {
        sessionId: session.id,
        permissionMode: "bypassPermissions",
        requestId: unconfirmed,
      });
      expect((await client.next("session:error", (p) => p.requestId === unconfirmed)).code).toBe("INVALID_PAYLOAD");
      if (process.getuid?.() === 0 && process.env.IS_SANDBOX !== "1") {
        const asRoot = crypto.randomUUID();
        client.socket.emit("session:update", {
          sessionId: session.id,
          permissionMode: "bypassPermissions",
          confirmBypass: true,
          requestId: asRoot,
        });
        expect((await client.next("session:error", (p) => p.requestId === asRoot)).code).toBe("BYPASS_NOT_ALLOWED");
      }
    },
    TIMEOUT,
  );
});

describe("session management", () => {
  test(
    "rename and change model over the socket; the next turn uses the new model; delete removes everything",
    async () => {
      const client = await clients.connect();
      const other = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const r1 = client.send(session.id, "hello");
      await client.next("chat:response", (p) => p.requestId === r1, { timeoutMs: TIMEOUT });

      const rename = crypto.randomUUID();
      client.socket.emit("session:update", {
        sessionId: session.id,
        title: "Refactor auth",
        model: "opus",
        requestId: rename,
      });
      const updated = await client.next("session:updated", (p) => p.requestId === rename);
      expect(updated.session).toMatchObject({ title: "Refactor auth", model: "opus" });
      await other.next("session:updated", (p) => p.requestId === rename, { from: 0 });

      const r2 = client.send(session.id, "which model");
      await client.next("chat:response", (p) => p.requestId === r2, { timeoutMs: TIMEOUT });
      const request = api.log.findLast((r) => r.userText === "which model");
      expect(String(request?.body.model)).toContain("opus");
      // The conversation went on (resumed) after the process restart.
      expect(JSON.stringify(request?.body.messages)).toContain("hello");

      const del = crypto.randomUUID();
      client.socket.emit("session:delete", { sessionId: session.id, requestId: del });
      await client.next("session:deleted", (p) => p.requestId === del);
      await other.next("session:deleted", (p) => p.sessionId === session.id, { from: 0 });
      const list = crypto.randomUUID();
      client.socket.emit("session:list", { requestId: list });
      expect((await client.next("session:list", (p) => p.requestId === list)).sessions.map((s) => s.id)).not.toContain(
        session.id,
      );
      const sub = crypto.randomUUID();
      client.socket.emit("session:subscribe", { sessionId: session.id, afterSeq: 0, requestId: sub });
      expect((await client.next("session:error", (p) => p.requestId === sub)).code).toBe("SESSION_NOT_FOUND");
    },
    TIMEOUT,
  );
});
