import { describe, expect, expectTypeOf, test } from "bun:test";
import type { Server, Socket as ServerSocket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import {
  ChatSend,
  type ClientMessage,
  type ClientToServerEvents,
  clientEvents,
  ErrorCode,
  errorCodeMeaning,
  errorEventFor,
  NIL_REQUEST_ID,
  PushSubscribe,
  PushSubscriptionJson,
  requestIdOf,
  type ServerMessage,
  type ServerToClientEvents,
  serverEvents,
} from "./messages.ts";

/**
 * Type-level tests run by `tsc` (npm run typecheck, part of validate and test):
 * every `@ts-expect-error` below must stay an error, so a wrong event name or
 * payload cannot compile on either side.
 */
declare const serverSocket: ServerSocket<ClientToServerEvents, ServerToClientEvents>;
declare const clientSocket: ClientSocket<ServerToClientEvents, ClientToServerEvents>;
declare const io: Server<ClientToServerEvents, ServerToClientEvents>;

function typeLevelChecks() {
  const requestId = crypto.randomUUID();
  const sessionId = crypto.randomUUID();
  clientSocket.emit("chat:send", { message: "hi", sessionId, requestId });
  clientSocket.emit("session:list", { requestId });
  // @ts-expect-error unknown event name
  clientSocket.emit("chat:sned", { message: "hi", sessionId, requestId });
  // @ts-expect-error payload missing sessionId
  clientSocket.emit("chat:send", { message: "hi", requestId });
  // @ts-expect-error a server→client event cannot be sent by the client
  clientSocket.emit("chat:response", { response: "", logs: [], sessionId, requestId, seq: 1, durationMs: 0 });
  // @ts-expect-error payload wrapped in { type, payload } is not the wire shape
  clientSocket.emit("session:list", { type: "session:list", payload: { requestId } });

  serverSocket.emit("chat:error", { message: "x", code: "INVALID_PAYLOAD", requestId });
  // @ts-expect-error codes are a closed set
  serverSocket.emit("chat:error", { message: "x", code: "WHATEVER", requestId });
  // @ts-expect-error log needs seq and requestId
  io.emit("log", { sessionId, data: "{}" });
  clientSocket.on("chat:response", (payload) => {
    expectTypeOf(payload.logs).toEqualTypeOf<string[]>();
  });
  serverSocket.on("session:create", (payload) => {
    expectTypeOf(payload.requestId).toEqualTypeOf<string>();
  });
}
void typeLevelChecks;

describe("protocol module", () => {
  test("event names follow namespace:action (log and connection are the seed's own)", () => {
    const names = [...Object.keys(clientEvents), ...Object.keys(serverEvents)];
    for (const name of names) {
      expect(name === "log" || name === "connection" || /^[a-z]+:[a-z]+$/.test(name)).toBe(true);
    }
  });

  test("the seed's unions are derived from the registries", () => {
    expectTypeOf<Extract<ClientMessage, { type: "chat:send" }>["payload"]>().toEqualTypeOf<ChatSend>();
    expectTypeOf<ServerMessage["type"]>().toEqualTypeOf<keyof typeof serverEvents>();
    expectTypeOf<ClientMessage["type"]>().toEqualTypeOf<keyof typeof clientEvents>();
  });

  test("every error code has a human meaning", () => {
    for (const code of ErrorCode.options) expect(errorCodeMeaning[code].length).toBeGreaterThan(10);
  });

  test("requestIdOf reads a valid id from an otherwise invalid payload, else the nil id", () => {
    const id = crypto.randomUUID();
    expect(requestIdOf({ requestId: id, junk: true })).toBe(id);
    expect(requestIdOf({ requestId: "nope" })).toBe(NIL_REQUEST_ID);
    expect(requestIdOf("string")).toBe(NIL_REQUEST_ID);
    expect(requestIdOf(null)).toBe(NIL_REQUEST_ID);
  });

  test("errors are answered in the request's namespace", () => {
    expect(errorEventFor("chat:send")).toBe("chat:error");
    expect(errorEventFor("session:create")).toBe("session:error");
    expect(errorEventFor("anything")).toBe("session:error");
    expect(errorEventFor("push:subscribe")).toBe("push:error");
    expect(errorEventFor("presence:update")).toBe("push:error");
  });

  test("a push subscription needs an uncompressed P-256 key and a 16-byte secret", () => {
    const keys = {
      p256dh: `B${"A".repeat(86)}`,
      auth: "A".repeat(22),
    };
    const base = { endpoint: "https://push.example/abc", keys };
    expect(PushSubscriptionJson.safeParse(base).success).toBe(true);
    expect(PushSubscriptionJson.safeParse({ ...base, expirationTime: null }).success).toBe(true);
    // A compressed key (33 bytes) or one that is not base64url is refused.
    expect(PushSubscriptionJson.safeParse({ ...base, keys: { ...keys, p256dh: `A${"A".repeat(43)}` } }).success).toBe(
      false,
    );
    expect(PushSubscriptionJson.safeParse({ ...base, keys: { ...keys, auth: "not base64url!!!!!!!!!" } }).success).toBe(
      false,
    );
    expect(
      PushSubscribe.safeParse({ subscription: base, requestId: crypto.randomUUID(), events: ["nope"] }).success,
    ).toBe(false);
  });

  test("chat:send trims and bounds the message", () => {
    const base = { sessionId: crypto.randomUUID(), requestId: crypto.randomUUID() };
    expect(ChatSend.safeParse({ ...base, message: "  hi  " }).data?.message).toBe("hi");
    expect(ChatSend.safeParse({ ...base, message: " " }).success).toBe(false);
    expect(ChatSend.safeParse({ ...base, message: "x".repeat(100_001) }).success).toBe(false);
  });
});
