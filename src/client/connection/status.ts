/** Where the connection to the server stands, and how the app says it. Pure: the chat machine keeps it in its context. */
import { type ErrorCode, errorCodeMeaning } from "../../shared/constants.ts";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface ConnectionInfo {
  status: ConnectionStatus;
  /** The last connection error, cleared once connected. */
  error: string | null;
  /** The server's reason when it refused the connection (UNAUTHORIZED: not paired; RATE_LIMITED). */
  errorCode: ErrorCode | null;
  /** Failed connection attempts since the last success. */
  attempts: number;
  /** navigator.onLine as last reported. */
  online: boolean;
  serverVersion: string | null;
  /** Web Push: the server's VAPID public key (from `connection`), what this device subscribes with. */
  vapidPublicKey: string | null;
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorCodeMeaning, value);
}

/** The code a server middleware put on a refused handshake (`connect_error` → `error.data.code`). */
export function refusalCode(error: Error): ErrorCode | null {
  const data: unknown = "data" in error ? error.data : undefined;
  const code = typeof data === "object" && data !== null && "code" in data ? data.code : undefined;
  return isErrorCode(code) ? code : null;
}

/** A short human label for the connection, used by the top bar and the sessions sheet. */
export function describeConnection(connection: ConnectionInfo): string {
  if (!connection.online) return "You're offline";
  if (connection.status !== "connected" && connection.errorCode === "UNAUTHORIZED") return "Not paired";
  switch (connection.status) {
    case "connected":
      return "Connected";
    case "connecting":
      return "Connecting…";
    case "reconnecting":
      return connection.attempts > 0 ? "Can't reach the server. Retrying…" : "Reconnecting…";
    case "disconnected":
      return "Disconnected from the server";
    default: {
      const unreachable: never = connection.status;
      return unreachable;
    }
  }
}
