import { describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { join } from "node:path";
import { LIMITS } from "../shared/constants.ts";
import { ConfigError, parseConfig } from "./config.ts";

describe("parseConfig with command-line flags", () => {
  const env = { PORT: "3000", HOST: "127.0.0.1", POCKET_DATA_DIR: "/env/data", POCKET_WORKDIR: "/env/work" };

  test("flags override their environment variables; the rest still comes from the environment", () => {
    const config = parseConfig({ ...env, POCKET_MAX_TURNS: "7" }, [], {
      port: "4100",
      host: "::1",
      workdir: "/flag/a:/flag/b",
      dataDir: "relative/data",
    });
    expect(config.port).toBe(4100);
    expect(config.host).toBe("::1");
    expect(config.workdirRoots).toEqual(["/flag/a", "/flag/b"]);
    expect(config.dataDir).toBe(join(process.cwd(), "relative/data"));
    expect(config.maxTurns).toBe(7);
  });

  test("without flags nor POCKET_WORKDIR the working root is the folder it was started in", () => {
    expect(parseConfig({}, [], {}).workdirRoots).toEqual([process.cwd()]);
  });

  test("--lan with the default host listens on every interface", () => {
    expect(parseConfig(env, ["--lan"], {}).host).toBe("0.0.0.0");
    expect(parseConfig(env, ["--lan"], { host: "192.168.1.5" }).host).toBe("192.168.1.5");
  });

  test("a bad flag is reported under the flag's name, a bad variable under its own", () => {
    expect(() => parseConfig(env, [], { port: "70000" })).toThrow(ConfigError);
    expect(() => parseConfig(env, [], { port: "70000" })).toThrow(/--port: Too big/);
    expect(() => parseConfig({ ...env, PORT: "x" }, [], {})).toThrow(/ {2}PORT: /);
    expect(() => parseConfig(env, [], { host: "" })).toThrow(/--host: /);
  });
});

describe("the machine's name", () => {
  test("POCKET_MACHINE_NAME names this machine; unset or blank, its host name does", () => {
    expect(parseConfig({ POCKET_MACHINE_NAME: "  desk " }).machineName).toBe("desk");
    expect(parseConfig({}).machineName).toBe(hostname());
    expect(parseConfig({ POCKET_MACHINE_NAME: "   " }).machineName).toBe(hostname());
    // `pocket-agent start --name` overrides the variable.
    expect(parseConfig({ POCKET_MACHINE_NAME: "desk" }, [], { name: "laptop" }).machineName).toBe("laptop");
  });

  test("a name longer than the app shows is refused at start, naming the variable", () => {
    const long = "d".repeat(LIMITS.machineNameChars + 1);
    expect(() => parseConfig({ POCKET_MACHINE_NAME: long })).toThrow(
      / {2}POCKET_MACHINE_NAME: must be at most 60 characters/,
    );
    expect(() => parseConfig({}, [], { name: long })).toThrow(/ {2}--name: must be at most 60 characters/);
  });
});
