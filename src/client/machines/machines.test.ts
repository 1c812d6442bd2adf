import { describe, expect, test } from "bun:test";
import type { Machine, Session } from "../../shared/messages.ts";
import { machineStatusText, readAddForm, remoteMachineOf, shortFingerprint } from "./machines.ts";

describe("readAddForm", () => {
  test("a pasted pairing link gives the address and the token", () => {
    expect(readAddForm({ address: " https://desk.local:8443/?token=abc%2Bdef ", token: "", name: "" })).toEqual({
      url: "https://desk.local:8443",
      token: "abc+def",
    });
  });

  test("an address with a token field, and a name", () => {
    expect(readAddForm({ address: "http://127.0.0.1:4001/", token: " tok ", name: " Desk " })).toEqual({
      url: "http://127.0.0.1:4001",
      token: "tok",
      name: "Desk",
    });
  });

  test("clear text off this computer, no address or no token are sentences, not codes", () => {
    expect(readAddForm({ address: "http://192.168.1.20:4000", token: "t", name: "" })).toEqual({
      error: expect.stringContaining("https://"),
    });
    expect(readAddForm({ address: "", token: "t", name: "" })).toEqual({
      error: expect.stringContaining("pairing link"),
    });
    expect(readAddForm({ address: "https://desk.local", token: "", name: "" })).toEqual({
      error: expect.stringContaining("token"),
    });
  });
});

const machine = (over: Partial<Machine>): Machine => ({
  id: "6f9c1c5e-8a0b-4f55-9d57-0c4a0d3c6a11",
  name: "desk",
  url: "https://desk.local",
  status: "online",
  ...over,
});

describe("what a machine says", () => {
  test("status lines name the problem in words", () => {
    expect(machineStatusText(machine({ id: "local" }))).toBe("This server");
    expect(machineStatusText(machine({}))).toBe("Online");
    expect(machineStatusText(machine({ status: "offline", problem: "MACHINE_TOKEN_REFUSED" }))).toContain("token");
    expect(machineStatusText(machine({ status: "offline", problem: "MACHINE_CERT_CHANGED" }))).toContain("certificate");
    expect(machineStatusText(machine({ status: "offline" }))).toContain("not reachable");
    expect(machineStatusText(machine({ status: "connecting" }))).toBe("Connecting…");
    expect(machineStatusText(machine({ status: "connecting", lastSeenAt: "2026-12-03T22:00:00.000Z" }))).toBe(
      "Reconnecting…",
    );
  });

  test("a session's machine: null for local ones, a stand-in when the list does not have it yet", () => {
    const session = { machineId: "local" } as Session;
    expect(remoteMachineOf(session, [])).toBeNull();
    expect(remoteMachineOf({ machineId: undefined } as unknown as Session, [])).toBeNull();
    const desk = machine({});
    expect(remoteMachineOf({ machineId: desk.id } as Session, [desk])).toBe(desk);
    expect(remoteMachineOf({ machineId: "other" } as Session, [desk])).toMatchObject({ status: "offline" });
  });

  test("fingerprints are shortened to their ends", () => {
    const full = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0").toUpperCase()).join(":");
    expect(shortFingerprint(full)).toBe("00:01:02:03…1C:1D:1E:1F");
  });
});
