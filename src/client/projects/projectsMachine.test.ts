import { afterEach, describe, expect, test } from "bun:test";
import { type Actor, createActor, type SnapshotFrom, waitFor } from "xstate";
import type { ClaudeSession, Project } from "../../shared/messages.ts";
import { checkedSocket } from "../connection/checkedSocket.ts";
import { FakeServer, FakeSocket, tick } from "../testing/fakeSocket.ts";
import { CLAUDE_PAGE, DIRTY_RETRIES, projectsMachine } from "./projectsMachine.ts";

type ProjectsActor = Actor<typeof quick>;
const running: ProjectsActor[] = [];
afterEach(() => {
  for (const actor of running.splice(0)) actor.stop();
});

const project = (path: string, extra: Partial<Project> = {}): Project => ({
  path,
  name: path.slice(path.lastIndexOf("/") + 1),
  root: "/code",
  isGit: true,
  dirty: false,
  sessionCount: 0,
  claudeSessionCount: 0,
  ...extra,
});

const claude = (n: number): ClaudeSession => ({
  claudeSessionId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  summary: `desk session ${n}`,
  lastModified: new Date(Date.UTC(2026, 11, 3, 12, 0, 0) - n * 60_000).toISOString(),
  inUse: false,
});

async function connected(server = new FakeServer()) {
  const socket = new FakeSocket(server);
  socket.connect();
  await tick(5);
  return { server, socket: checkedSocket(socket) };
}

/** Asking again for dirty states after 20 ms instead of 1.5 s. */
const quick = projectsMachine.provide({ delays: { dirtyRetry: 20 } });

function start(socket: ReturnType<typeof checkedSocket>, timeoutMs = 500, machineId?: string) {
  const actor = createActor(quick, { input: { socket, timeoutMs, ...(machineId ? { machineId } : {}) } });
  running.push(actor);
  actor.start();
  const until = (predicate: (s: SnapshotFrom<typeof quick>) => boolean) =>
    waitFor(actor, predicate, { timeout: 3_000 });
  return { actor, until };
}

describe("projects machine", () => {
  test("lists the projects when it starts", async () => {
    const { server, socket } = await connected();
    server.projects = [project("/code/shop"), project("/code", { isGit: false })];
    const { until } = start(socket);
    const ready = await until((s) => s.matches({ list: "ready" }));
    expect(ready.context.projects?.map((p) => p.name)).toEqual(["shop", "code"]);
    expect(server.requests("project:list")).toHaveLength(1);
  });

  test("asks again, a few times at most, while a work tree's dirty state is unknown", async () => {
    const { server, socket } = await connected();
    server.projects = [project("/code/shop", { dirty: undefined })];
    const { until } = start(socket);
    await until((s) => s.context.listRounds === 2);
    server.projects = [project("/code/shop", { dirty: true })];
    const known = await until((s) => s.matches({ list: "ready" }) && s.context.projects?.[0]?.dirty === true);
    expect(known.context.listRounds).toBeLessThanOrEqual(DIRTY_RETRIES);
    // Known now: no more asking (ten retry delays later).
    await tick(200);
    expect(server.requests("project:list").length).toBe(known.context.listRounds);
  });

  test("stops asking after a few rounds when the dirty state never comes", async () => {
    const { server, socket } = await connected();
    server.projects = [project("/code/shop", { dirty: undefined })];
    const { until } = start(socket);
    await until((s) => s.context.listRounds === DIRTY_RETRIES && s.matches({ list: "ready" }));
    await tick(200);
    expect(server.requests("project:list")).toHaveLength(DIRTY_RETRIES);
  });

  test("a failed list says why, and REFRESH tries again", async () => {
    const { server, socket } = await connected();
    server.muted.add("project:list");
    const { actor, until } = start(socket, 50);
    const failed = await until((s) => s.matches({ list: "failed" }));
    expect(failed.context.listError?.code).toBe("TIMEOUT");
    server.muted.delete("project:list");
    server.projects = [project("/code/shop")];
    actor.send({ type: "REFRESH" });
    const ready = await until((s) => s.matches({ list: "ready" }));
    expect(ready.context.listError).toBeNull();
  });

  test("another machine's projects: every request names it; this server's name none", async () => {
    const { server, socket } = await connected();
    const box = crypto.randomUUID();
    server.projects = [project("/code/shop")];
    server.claudeSessions.set("/code/shop", [claude(1)]);
    const { actor, until } = start(socket, 500, box);
    await until((s) => s.matches({ list: "ready" }));
    actor.send({ type: "OPEN_PROJECT", path: "/code/shop" });
    await until((s) => s.matches({ claude: "ready" }));
    const asked = [...server.requests("project:list"), ...server.requests("project:sessions")];
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked.every((r) => r.machineId === box)).toBe(true);

    const here = await connected();
    here.server.projects = [project("/code/shop")];
    await start(here.socket, 500, "local").until((s) => s.matches({ list: "ready" }));
    expect(here.server.requests("project:list")[0]).toEqual({ requestId: expect.any(String) });
  });

  test("a project's desk sessions, a page at a time; opening another project drops the first one's", async () => {
    const { server, socket } = await connected();
    server.claudeSessions.set(
      "/code/shop",
      Array.from({ length: CLAUDE_PAGE + 5 }, (_, i) => claude(i)),
    );
    server.claudeSessions.set("/code/api", [claude(100)]);
    const { actor, until } = start(socket);
    actor.send({ type: "OPEN_PROJECT", path: "/code/shop" });
    const first = await until((s) => s.matches({ claude: "ready" }));
    expect(first.context.claudeSessions).toHaveLength(CLAUDE_PAGE);
    expect(first.context.hasMore).toBe(true);
    actor.send({ type: "LOAD_MORE" });
    const all = await until((s) => s.matches({ claude: "ready" }) && !s.context.hasMore);
    expect(all.context.claudeSessions).toHaveLength(CLAUDE_PAGE + 5);
    expect(server.requests("project:sessions").map((r) => r.offset)).toEqual([0, CLAUDE_PAGE]);

    actor.send({ type: "OPEN_PROJECT", path: "/code/api" });
    expect(actor.getSnapshot().context.claudeSessions).toEqual([]);
    const api = await until((s) => s.matches({ claude: "ready" }));
    expect(api.context.claudeSessions.map((c) => c.summary)).toEqual(["desk session 100"]);
    actor.send({ type: "CLOSE_PROJECT" });
    expect(actor.getSnapshot().context.path).toBeNull();
  });

  test("a project outside the roots: its error, and the list is untouched", async () => {
    const { server, socket } = await connected();
    server.projects = [project("/code/shop")];
    const { actor, until } = start(socket);
    await until((s) => s.matches({ list: "ready" }));
    actor.send({ type: "OPEN_PROJECT", path: "/etc" });
    const failed = await until((s) => s.matches({ claude: "failed" }));
    expect(failed.context.claudeError?.code).toBe("INVALID_WORKDIR");
    expect(failed.context.projects).toHaveLength(1);
  });
});
