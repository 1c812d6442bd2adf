import { afterAll, beforeAll, expect, test } from "bun:test";
import { createSdkRunner } from "../../src/server/agent/sdkRunner.ts";
import { setLogLevel } from "../../src/server/logger.ts";
import type { ServerMessage } from "../../src/shared/messages.ts";
import { type AgentEnv, makeAgentEnv } from "../fixtures/agentEnv.ts";
import { type FakeAnthropic, reply, startFakeAnthropic } from "../fixtures/fakeAnthropic.ts";
import { ask, FAST_LINK, freePort, type RemoteProcess, startServerProcess, tempDir } from "../fixtures/machines.ts";
import { startTestServer, TEST_TOKEN, TestClient, type TestServer } from "../fixtures/testServer.ts";

/**
 * A remote that goes away: SIGKILLed mid-turn (no shutdown code runs), then started again on the
 * same port and data dir. Home shows it offline, answers sends at once with MACHINE_OFFLINE, keeps
 * its sessions listed and readable, reconnects with backoff and catches up: every event the remote
 * stored arrives at home's clients exactly once. Real processes, real CLI, fake APIs.
 */
const TIMEOUT = 120_000;
let homeApi: FakeAnthropic;
let remoteApi: FakeAnthropic;
let homeEnv: AgentEnv;
let remoteEnv: AgentEnv;
let home: TestServer;
let remoteData: { path: string; remove(): void };
let remote: RemoteProcess | null = null;

beforeAll(async () => {
  setLogLevel("error");
  [homeApi, remoteApi] = await Promise.all([startFakeAnthropic(), startFakeAnthropic()]);
  homeEnv = makeAgentEnv(homeApi.url);
  remoteEnv = makeAgentEnv(remoteApi.url);
  remoteData = tempDir("pocket-remote-");
  home = await startTestServer({
    runner: createSdkRunner({ maxTurns: 4, env: homeEnv.env }),
    workdir: homeEnv.cwd,
    machines: FAST_LINK,
  });
});
afterAll(async () => {
  await remote?.kill();
  await home.cleanup();
  await Promise.all([homeApi.close(), remoteApi.close()]);
  homeEnv.cleanup();
  remoteEnv.cleanup();
  remoteData.remove();
  setLogLevel("info");
});

const numbered = (messages: ServerMessage[], sessionId: string) =>
  messages.filter(
    (m): m is ServerMessage & { payload: { sessionId: string; seq: number; requestId?: string } } =>
      typeof (m.payload as { seq?: unknown }).seq === "number" &&
      (m.payload as { sessionId?: string }).sessionId === sessionId,
  );

test(
  "SIGKILL mid-turn: offline within 5 s, MACHINE_OFFLINE at once, sessions kept; restarted: caught up exactly once",
  async () => {
    remoteApi.when("slow essay", reply().textSlow("tick ".repeat(2000), { chunkChars: 5, delayMs: 20 }));
    remoteApi.when("while home was away", reply().text("Answered while home was away."));
    const port = freePort();
    remote = await startServerProcess({ port, dataDir: remoteData.path, agentEnv: remoteEnv });
    const client = await TestClient.connect(home.url);
    const added = await ask(
      client,
      "machine:add",
      { name: "desk", url: remote.url, token: TEST_TOKEN },
      "machine:added",
    );
    if (added.type !== "machine:added") throw new Error(JSON.stringify(added.payload));
    const machine = added.payload.machine;
    const session = await client.createSession({ machineId: machine.id });
    const first = client.send(session.id, "who are you");
    await client.next("chat:response", (p) => p.requestId === first, { timeoutMs: TIMEOUT });
    const running = client.send(session.id, "slow essay");
    await client.next("chat:delta", (p) => p.requestId === running, { timeoutMs: TIMEOUT });

    // Marked before the kill: home may see the connection close before `exited` resolves here.
    const beforeKill = client.received.length;
    remote.proc.kill("SIGKILL");
    await remote.proc.exited;
    // The link's heartbeat and the closed connection both say so; 5 s is the promise to the user.
    const offline = await client.next(
      "machine:updated",
      (p) => p.machine.id === machine.id && p.machine.status === "offline",
      {
        timeoutMs: 5_000,
        from: beforeKill,
      },
    );
    const wentOffline = client.received.length;
    expect(offline.machine.problem).toBe("MACHINE_UNREACHABLE");
    expect(offline.machine.lastSeenAt).toBeDefined();

    // Sending now fails at once, with the request's id: never a silent wait.
    const refused = client.send(session.id, "are you there");
    const error = await client.next("chat:error", (p) => p.requestId === refused, { timeoutMs: 1_000 });
    expect(error).toMatchObject({ code: "MACHINE_OFFLINE", sessionId: session.id });
    expect(error.seq).toBeUndefined();
    const stop = await ask(client, "chat:cancel", { sessionId: session.id, targetRequestId: running }, "chat:error");
    expect(stop.payload).toMatchObject({ code: "MACHINE_OFFLINE" });
    // Its sessions stay listed, and what home holds of them still replays.
    const list = await ask(client, "session:list", {}, "session:list");
    expect(list.type === "session:list" && list.payload.sessions.map((s) => s.id)).toContain(session.id);
    const reader = await TestClient.connect(home.url);
    expect(reader.all("connection")[0]?.machines?.find((m) => m.id === machine.id)?.status).toBe("offline");
    await ask(reader, "session:subscribe", { sessionId: session.id, afterSeq: 0 }, "session:subscribed");
    expect(numbered(reader.received, session.id).some((m) => m.type === "chat:response")).toBe(true);
    reader.close();

    // Back on the same port and data dir; a client of the remote itself sends a turn meanwhile.
    remote = await startServerProcess({ port, dataDir: remoteData.path, agentEnv: remoteEnv });
    const direct = await TestClient.connect(remote.url);
    const meanwhile = direct.send(session.id, "while home was away");
    await direct.next("chat:response", (p) => p.requestId === meanwhile, { timeoutMs: TIMEOUT });
    await client.next("machine:updated", (p) => p.machine.id === machine.id && p.machine.status === "online", {
      timeoutMs: 15_000,
      from: wentOffline,
    });
    // Decision 061: while home retries, each attempt is announced `connecting`, then `offline` again or
    // `online`; never twice the same status in a row, and never online without an attempt before it.
    const statuses = client
      .all("machine:updated")
      .filter((p) => p.machine.id === machine.id)
      .map((p) => p.machine.status);
    const sinceKill = statuses.slice(statuses.lastIndexOf("offline", statuses.indexOf("connecting")));
    expect(sinceKill[0]).toBe("offline");
    expect(sinceKill.at(-1)).toBe("online");
    expect(sinceKill.at(-2)).toBe("connecting");
    expect(sinceKill.filter((s, i) => i > 0 && sinceKill[i - 1] === s)).toEqual([]);
    expect(sinceKill.filter((s, i) => s !== "connecting" && i > 0 && sinceKill[i - 1] !== "connecting")).toEqual([]);
    await client.next("chat:response", (p) => p.requestId === meanwhile, { timeoutMs: 15_000, from: wentOffline });
    const interrupted = await client.next("chat:error", (p) => p.requestId === running, { from: 0 });
    expect(interrupted.code).toBe("INTERRUPTED");

    // Everything the remote stored reached the client that watched all along, each seq once.
    const replayFrom = direct.received.length;
    await ask(direct, "session:subscribe", { sessionId: session.id, afterSeq: 0 }, "session:subscribed");
    const stored = numbered(direct.received.slice(replayFrom), session.id).filter((m) => m.type !== "chat:delta");
    const seen = numbered(client.received, session.id);
    const seqs = seen.map((m) => m.payload.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const seenSet = new Set(seqs);
    expect(stored.map((m) => m.payload.seq).filter((seq) => !seenSet.has(seq))).toEqual([]);
    // And home answers a new subscriber with the same log, on the remote's seqs.
    const late = await TestClient.connect(home.url);
    await ask(late, "session:subscribe", { sessionId: session.id, afterSeq: 0 }, "session:subscribed");
    expect(
      numbered(late.received, session.id)
        .filter((m) => m.type !== "chat:delta")
        .map((m) => [m.type, m.payload.seq]),
    ).toEqual(stored.map((m) => [m.type, m.payload.seq]));

    // The link works again: a new turn from home runs on the remote.
    const after = client.send(session.id, "who are you");
    const answer = await client.next("chat:response", (p) => p.requestId === after, { timeoutMs: TIMEOUT });
    expect(answer.response).toContain("Echo: who are you");
    late.close();
    direct.close();
    client.close();
  },
  TIMEOUT,
);
