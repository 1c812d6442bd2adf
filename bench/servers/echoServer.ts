/**
 * Baseline for bench/protocol-throughput: a bare Socket.IO server on
 * bun-engine that answers `session:list` with a canned list of the same size
 * as the full server's (BENCH_SESSIONS sessions), with no validation, storage
 * or auth. Prints `URL=…` when listening.
 */
import { Server as Engine } from "@socket.io/bun-engine";
import { Server } from "socket.io";

const now = new Date().toISOString();
const sessions = Array.from({ length: Number(process.env.BENCH_SESSIONS ?? 20) }, (_, i) => ({
  id: crypto.randomUUID(),
  title: "New session",
  model: "haiku",
  cwd: `/tmp/pocket-work-${i}`,
  permissionMode: "default",
  status: "idle",
  queued: 0,
  lastSeq: 0,
  createdAt: now,
  updatedAt: now,
}));
const io = new Server();
const engine = new Engine({ path: "/socket.io/" });
io.bind(engine);
io.on("connection", (socket) => {
  socket.on("session:list", (payload: { requestId: string }) => {
    socket.emit("session:list", { sessions, requestId: payload.requestId });
  });
});
const handler = engine.handler();
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: handler.idleTimeout,
  maxRequestBodySize: handler.maxRequestBodySize,
  websocket: handler.websocket,
  fetch: (req, srv) => engine.handleRequest(req, srv),
});
console.log(`URL=http://127.0.0.1:${server.port}`);
