import { describe, expect, test } from "bun:test";
import { HELP, parseCommand, UsageError } from "./args.ts";

describe("parseCommand", () => {
  test("no command is start; flags alone are start's", () => {
    expect(parseCommand([])).toEqual({ name: "start", flags: {}, lan: false });
    expect(parseCommand(["--port", "4000", "--lan"])).toEqual({ name: "start", flags: { port: "4000" }, lan: true });
  });

  test("start takes every server flag, in both spellings", () => {
    expect(
      parseCommand(["start", "--port=4001", "--host", "0.0.0.0", "--workdir", "/w", "--data-dir", "/d", "--name=desk"]),
    ).toEqual({
      name: "start",
      flags: { port: "4001", host: "0.0.0.0", workdir: "/w", dataDir: "/d", name: "desk" },
      lan: false,
    });
  });

  test("each command has its --help", () => {
    for (const [argv, topic] of [
      [["--help"], undefined],
      [["-h"], undefined],
      [["start", "--help"], "start"],
      [["doctor", "-h"], "doctor"],
      [["pair", "--help"], "pair"],
      [["token", "rotate", "--help"], "token"],
      [["login", "--help"], "login"],
      [["service", "install", "--help"], "service"],
      [["help", "doctor"], "doctor"],
    ] as const) {
      expect(parseCommand([...argv])).toEqual(topic ? { name: "help", topic } : { name: "help" });
      expect(HELP[topic ?? "main"]).toContain("Usage: pocket-agent");
    }
  });

  test("token rotate, pair and login", () => {
    expect(parseCommand(["token", "rotate", "--data-dir", "/d"])).toEqual({
      name: "token rotate",
      flags: { dataDir: "/d" },
    });
    expect(parseCommand(["pair"])).toEqual({ name: "pair", flags: {} });
    expect(parseCommand(["login", "--console"])).toEqual({ name: "login", args: ["--console"] });
  });

  test("service actions; install takes the server flags and --no-start", () => {
    expect(parseCommand(["service", "install", "--port", "5000", "--no-start"])).toEqual({
      name: "service install",
      flags: { port: "5000" },
      lan: false,
      start: false,
    });
    expect(parseCommand(["service", "status"])).toEqual({ name: "service status" });
    expect(parseCommand(["service", "uninstall"])).toEqual({ name: "service uninstall" });
  });

  test("mistakes are usage errors that name what is wrong", () => {
    const cases: [string[], RegExp][] = [
      [["bogus"], /Unknown command "bogus"/],
      [["start", "--prot", "1"], /Unknown option '--prot'/],
      [["start", "--port"], /--port/],
      [["start", "extra"], /Unexpected argument "extra"/],
      [["token"], /Missing action: pocket-agent token rotate/],
      [["token", "renew"], /Unknown action "renew"/],
      [["service"], /Missing action/],
      [["service", "restart"], /Unknown action "restart"/],
      [["service", "status", "--port", "1"], /takes no options/],
      [["pair", "--lan"], /Unknown option '--lan'/],
      [["doctor", "--lan=yes"], /--lan/],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseCommand(argv)).toThrow(UsageError);
      expect(() => parseCommand(argv)).toThrow(message);
    }
  });
});
