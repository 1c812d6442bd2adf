/**
 * Linked machines on the phone (issue 21): what the sheet and the session rows say about each
 * machine, and how what the user typed becomes a `machine:add`. Pure: tested beside it.
 */
import { checkMachineUrl, LOCAL_MACHINE_ID, parsePairingUrl } from "../../shared/machines.ts";
import type { Machine, Session } from "../../shared/messages.ts";

export type AddInput = { url: string; token: string; name?: string };

/**
 * The machine to add from the form: a pasted pairing link carries the address and the token;
 * otherwise the address and the token field. An error is a sentence for the form.
 */
export function readAddForm(form: { address: string; token: string; name: string }): AddInput | { error: string } {
  const name = form.name.trim();
  const fromLink = parsePairingUrl(form.address);
  const url = fromLink?.url ?? form.address.trim();
  const token = fromLink?.token ?? form.token.trim();
  if (!url) return { error: "Paste the machine's pairing link, or type its address." };
  const checked = checkMachineUrl(url);
  if (!checked.ok) {
    return { error: "The address must start with https:// (http:// only for this computer, e.g. 127.0.0.1)." };
  }
  if (!token) return { error: "Paste the machine's pairing link, or its access token." };
  return { url: checked.url, token, ...(name ? { name } : {}) };
}

/** One line about the machine's state, for people (never a code). */
export function machineStatusText(machine: Machine): string {
  if (machine.id === LOCAL_MACHINE_ID) return "This server";
  if (machine.status === "online") return "Online";
  // Seen before: the home lost it and is trying again (decision 061).
  if (machine.status === "connecting") return machine.lastSeenAt ? "Reconnecting…" : "Connecting…";
  switch (machine.problem) {
    case "MACHINE_TOKEN_REFUSED":
      return "Offline: its token was refused. Add it again with its current pairing link.";
    case "MACHINE_CERT_CHANGED":
      return "Offline: its certificate changed.";
    default:
      return "Offline: not reachable now. Its sessions are shown as they were.";
  }
}

/** The machine a session runs on, when it is not this server (null for local sessions). */
export function remoteMachineOf(session: Session, machines: readonly Machine[]): Machine | null {
  if (!session.machineId || session.machineId === LOCAL_MACHINE_ID) return null;
  return (
    machines.find((m) => m.id === session.machineId) ?? {
      // Listed before the machine list arrived (or just unlinked): still not this server's.
      id: session.machineId,
      name: "Another machine",
      url: "",
      status: "offline",
    }
  );
}

/** Short fingerprint for the screen: the first and last pairs are what people compare. */
export function shortFingerprint(fingerprint: string): string {
  const pairs = fingerprint.split(":");
  return pairs.length > 8 ? `${pairs.slice(0, 4).join(":")}…${pairs.slice(-4).join(":")}` : fingerprint;
}
