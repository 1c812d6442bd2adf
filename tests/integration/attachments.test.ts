import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import type { TranscriptMirror } from "../../src/server/agent/transcriptMirror.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import { LIMITS } from "../../src/shared/messages.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { fakePngBytes, pngBytes } from "../fixtures/images.ts";
import { startTestServer, TEST_TOKEN, TestClients, type TestServer } from "../fixtures/testServer.ts";

/**
 * Images and slash commands through the real stack: socket.io-client (binary attachments) → the
 * server → the real Claude Code CLI → the fake Anthropic API, which records what it was sent.
 */
const TIMEOUT = 60_000;
let api: FakeAnthropic;
let agentEnv: AgentEnv;
let server: TestServer;
const clients = new TestClients(() => server.url);

type Block = { type: string; source?: { type: string; media_type: string; data: string }; text?: string };

/** The content blocks of every user message the fake API was sent in main-loop requests. */
function userBlocks(): Block[] {
  return api.log
    .filter((r) => !r.auxiliary)
    .flatMap((r) => (r.body.messages as { role: string; content: string | Block[] }[]) ?? [])
    .filter((m) => m.role === "user" && Array.isArray(m.content))
    .flatMap((m) => m.content as Block[]);
}

beforeAll(async () => {
  setLogLevel("error");
  api = await startFakeAnthropic();
});
beforeEach(async () => {
  api.reset();
  agentEnv = makeAgentEnv(api.url);
  const runner = ({ transcripts }: { transcripts: TranscriptMirror }) =>
    createSdkRunner({ maxTurns: 4, env: agentEnv.env, transcripts });
  server = await startTestServer({ runner, workdir: agentEnv.cwd });
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

describe("images", () => {
  test(
    "an attached PNG reaches the API as an image block with its media type, is stored and served by URL",
    async () => {
      api.when("what is in this picture", reply().text("A red square."));
      const png = pngBytes(320, 240);
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const requestId = crypto.randomUUID();
      client.socket.emit("chat:send", {
        message: "what is in this picture",
        sessionId: session.id,
        requestId,
        attachments: [{ name: "square.png", mediaType: "image/png", data: png }],
      });
      const queued = await client.next("chat:queued", (p) => p.requestId === requestId);
      expect(queued.attachments).toEqual([
        { id: expect.any(String), name: "square.png", mediaType: "image/png", size: png.byteLength },
      ]);
      const response = await client.next("chat:response", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      expect(response.response).toBe("A red square.");

      const images = userBlocks().filter((b) => b.type === "image");
      expect(images).toHaveLength(1);
      expect(images[0]?.source?.type).toBe("base64");
      expect(images[0]?.source?.media_type).toBe("image/png");
      expect(Buffer.from(images[0]?.source?.data ?? "", "base64").equals(Buffer.from(png))).toBe(true);
      // The text follows the image in the same message.
      const texts = userBlocks().map((b) => b.text ?? "");
      expect(texts.some((t) => t.includes("what is in this picture"))).toBe(true);

      // Stored with the session: served by its URL to a paired client, not to anyone else.
      const id = queued.attachments?.[0]?.id ?? "";
      const served = await fetch(`${server.url}/api/attachments/${id}`, {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      expect(served.status).toBe(200);
      expect(served.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(png))).toBe(true);
      expect((await fetch(`${server.url}/api/attachments/${id}`)).status).toBe(401);
      const missing = await fetch(`${server.url}/api/attachments/${crypto.randomUUID()}`, {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      expect(missing.status).toBe(404);

      // Replay names the image, without its bytes or the base64 the CLI was given.
      const again = await clients.connect();
      const subscribed = crypto.randomUUID();
      again.socket.emit("session:subscribe", { sessionId: session.id, requestId: subscribed, afterSeq: 0 });
      await again.next("session:subscribed", (p) => p.requestId === subscribed);
      const replayed = again.all("chat:queued").find((p) => p.requestId === requestId);
      expect(replayed?.attachments?.[0]?.id).toBe(id);
      const db = new Database(join(server.dataDir, "pocket-agent.sqlite"), { readonly: true });
      const base64 = Buffer.from(png).toString("base64");
      const withBytes = db
        .query<{ n: number }, [string]>("SELECT count(*) AS n FROM events WHERE instr(payload, ?) > 0")
        .get(base64.slice(0, 40));
      const stored = db.query<{ data: Uint8Array }, [string]>("SELECT data FROM attachments WHERE id = ?").get(id);
      db.close();
      expect(withBytes?.n).toBe(0);
      expect(Buffer.from(stored?.data ?? []).equals(Buffer.from(png))).toBe(true);
    },
    TIMEOUT,
  );

  test("a file that only claims to be a PNG is refused with INVALID_ATTACHMENT and its requestId", async () => {
    const client = await clients.connect();
    const session = await client.createSession({ model: "haiku" });
    const requestId = crypto.randomUUID();
    client.socket.emit("chat:send", {
      message: "look",
      sessionId: session.id,
      requestId,
      attachments: [{ name: "evil.png", mediaType: "image/png", data: fakePngBytes() }],
    });
    const error = await client.next("chat:error", (p) => p.requestId === requestId);
    expect(error.code).toBe("INVALID_ATTACHMENT");
    expect(error.message).toContain("evil.png");
    // A real JPEG declared as a PNG is refused too: the bytes decide, not the label.
    const mislabelled = crypto.randomUUID();
    client.socket.emit("chat:send", {
      message: "look",
      sessionId: session.id,
      requestId: mislabelled,
      attachments: [
        { name: "photo.png", mediaType: "image/png", data: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]) },
      ],
    });
    expect((await client.next("chat:error", (p) => p.requestId === mislabelled)).code).toBe("INVALID_ATTACHMENT");
    // Base64 text instead of binary is refused: data must be a binary attachment.
    const asText = crypto.randomUUID();
    client.socket.emit("chat:send", {
      message: "look",
      sessionId: session.id,
      requestId: asText,
      attachments: [{ name: "a.png", mediaType: "image/png", data: Buffer.from(pngBytes(2, 2)).toString("base64") }],
    } as never);
    expect((await client.next("chat:error", (p) => p.requestId === asText)).code).toBe("INVALID_ATTACHMENT");
    expect(client.all("chat:queued")).toHaveLength(0);
    expect(api.log.filter((r) => !r.auxiliary)).toHaveLength(0);
  });

  test("more than 5 images, or one over 5 MB, is refused with INVALID_ATTACHMENT", async () => {
    const client = await clients.connect();
    const session = await client.createSession({ model: "haiku" });
    const six = crypto.randomUUID();
    const png = pngBytes(4, 4);
    client.socket.emit("chat:send", {
      message: "six",
      sessionId: session.id,
      requestId: six,
      attachments: Array.from({ length: LIMITS.attachments + 1 }, (_, i) => ({
        name: `${i}.png`,
        mediaType: "image/png" as const,
        data: png,
      })),
    });
    expect((await client.next("chat:error", (p) => p.requestId === six)).code).toBe("INVALID_ATTACHMENT");

    const big = crypto.randomUUID();
    const huge = new Uint8Array(LIMITS.attachmentBytes + 1);
    huge.set(png);
    client.socket.emit("chat:send", {
      message: "big",
      sessionId: session.id,
      requestId: big,
      attachments: [{ name: "big.png", mediaType: "image/png", data: huge }],
    });
    const error = await client.next("chat:error", (p) => p.requestId === big);
    expect(error.code).toBe("INVALID_ATTACHMENT");
    expect(client.socket.connected).toBe(true);
    expect(client.all("chat:queued")).toHaveLength(0);
  });
});

describe("slash commands", () => {
  test(
    "commands:list names the built-in commands and the project's own, with descriptions",
    async () => {
      mkdirSync(join(agentEnv.cwd, ".claude", "commands"), { recursive: true });
      writeFileSync(
        join(agentEnv.cwd, ".claude", "commands", "deploy-check.md"),
        "---\ndescription: Check the deploy is green\nargument-hint: <env>\n---\nCheck the deploy of $ARGUMENTS.\n",
      );
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const requestId = crypto.randomUUID();
      client.socket.emit("commands:list", { sessionId: session.id, requestId });
      const result = await client.next("commands:result", (p) => p.requestId === requestId, { timeoutMs: TIMEOUT });
      const custom = result.commands.find((c) => c.name === "deploy-check");
      expect(custom).toMatchObject({ argumentHint: "<env>", builtin: false });
      expect(custom?.description).toContain("Check the deploy is green");
      const compact = result.commands.find((c) => c.name === "compact");
      expect(compact?.builtin).toBe(true);
      expect(compact?.description.length).toBeGreaterThan(0);
      // The project's own come first.
      expect(result.commands[0]?.builtin).toBe(false);

      const unknown = crypto.randomUUID();
      client.socket.emit("commands:list", { sessionId: crypto.randomUUID(), requestId: unknown });
      expect((await client.next("commands:error", (p) => p.requestId === unknown)).code).toBe("SESSION_NOT_FOUND");
      const bad = crypto.randomUUID();
      client.socket.emit("commands:list", { sessionId: "nope", requestId: bad } as never);
      expect((await client.next("commands:error", (p) => p.requestId === bad)).code).toBe("INVALID_PAYLOAD");
    },
    TIMEOUT,
  );

  test(
    "/compact is passed through: the CLI compacts and the conversation says so",
    async () => {
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const first = client.send(session.id, "remember the number 42");
      await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
      const before = api.log.length;
      const compact = client.send(session.id, "/compact");
      const outcome = await Promise.race([
        client.next("chat:response", (p) => p.requestId === compact, { timeoutMs: TIMEOUT }),
        client.next("chat:error", (p) => p.requestId === compact, { timeoutMs: TIMEOUT }),
      ]);
      expect("code" in outcome ? outcome.code : "ok").toBe("ok");
      // The command's own output is the turn's answer (the model wrote none).
      expect("response" in outcome ? outcome.response : "").toContain("Compacted");
      const notice = await client.next("chat:notice", (p) => p.requestId === compact, { from: 0 });
      expect(notice.kind).toBe("compacted");
      expect(notice.message).toContain("Context compacted");
      const logs = client.all("log").filter((l) => l.requestId === compact);
      expect(logs.some((l) => JSON.parse(l.data).subtype === "compact_boundary")).toBe(true);
      // The CLI asked the API for the summary itself.
      const summary = api.log.slice(before);
      expect(summary.length).toBeGreaterThan(0);
      expect(JSON.stringify(summary.map((r) => r.body.messages))).toContain("summary");
    },
    TIMEOUT,
  );

  test(
    "/clear and a project command from the phone: the conversation says the context was cleared; the command's prompt reaches the API",
    async () => {
      mkdirSync(join(agentEnv.cwd, ".claude", "commands"), { recursive: true });
      writeFileSync(
        join(agentEnv.cwd, ".claude", "commands", "shout.md"),
        "---\ndescription: Shout it\n---\nSay LOUDLY: $ARGUMENTS\n",
      );
      const client = await clients.connect();
      const session = await client.createSession({ model: "haiku" });
      const first = client.send(session.id, "the secret is plum");
      await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });

      const clear = client.send(session.id, "/clear");
      await client.next("chat:response", (p) => p.requestId === clear, { timeoutMs: TIMEOUT });
      const notice = await client.next("chat:notice", (p) => p.requestId === clear, { from: 0 });
      expect(notice.kind).toBe("cleared");

      const shout = client.send(session.id, "/shout hello there");
      const response = await client.next("chat:response", (p) => p.requestId === shout, { timeoutMs: TIMEOUT });
      expect(response.response).toContain("Say LOUDLY: hello there");
      // After /clear the model no longer sees the earlier turn.
      const last = api.log.filter((r) => !r.auxiliary).at(-1);
      expect(JSON.stringify(last?.body.messages)).not.toContain("the secret is plum");
    },
    TIMEOUT,
  );
});
