import { describe, expect, test } from "bun:test";
import { insertCommand, matchCommands, slashQuery } from "./slashCommands.ts";

const command = (name: string, builtin = true, aliases?: string[]) => ({
  name,
  description: `${name} it`,
  argumentHint: "",
  builtin,
  ...(aliases ? { aliases } : {}),
});

describe("slash suggestions", () => {
  test("only a leading slash and a name so far asks for suggestions", () => {
    expect(slashQuery("/")).toBe("");
    expect(slashQuery("/Com")).toBe("com");
    expect(slashQuery("/compact ")).toBeNull();
    expect(slashQuery("/compact focus on tests")).toBeNull();
    expect(slashQuery("say /compact")).toBeNull();
    expect(slashQuery("/usr/bin")).toBeNull();
    expect(slashQuery("")).toBeNull();
  });

  test("names and aliases that start with the query come before names that contain it", () => {
    const commands = [
      command("deploy-check", false),
      command("compact"),
      command("clear", true, ["reset"]),
      command("recompile"),
    ];
    expect(matchCommands(commands, "").map((c) => c.name)).toEqual(["deploy-check", "compact", "clear", "recompile"]);
    expect(matchCommands(commands, "c").map((c) => c.name)).toEqual(["compact", "clear", "deploy-check", "recompile"]);
    expect(matchCommands(commands, "comp").map((c) => c.name)).toEqual(["compact", "recompile"]);
    expect(matchCommands(commands, "res").map((c) => c.name)).toEqual(["clear"]);
    expect(matchCommands(commands, "zzz")).toEqual([]);
  });

  test("choosing a command leaves it and a space in the composer", () => {
    expect(insertCommand(command("compact"))).toBe("/compact ");
  });
});
