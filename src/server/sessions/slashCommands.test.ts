import { describe, expect, test } from "bun:test";
import { localCommandOutput, noticeFor, sortCommands } from "./sessionService.ts";

describe("what slash commands leave in the conversation", () => {
  test("a compact boundary is 'Context compacted', with the tokens it started from", () => {
    const notice = noticeFor({
      type: "system",
      subtype: "compact_boundary",
      compact_metadata: { trigger: "manual", pre_tokens: 2568 },
    });
    expect(notice?.kind).toBe("compacted");
    expect(notice?.message).toBe("Context compacted (2,568 tokens before)");
    expect(
      noticeFor({ type: "system", subtype: "compact_boundary", compact_metadata: { trigger: "auto" } })?.message,
    ).toBe("Context compacted automatically");
  });

  test("a conversation reset is 'Context cleared'; other messages say nothing", () => {
    expect(noticeFor({ type: "conversation_reset", trigger: "clear" })?.kind).toBe("cleared");
    expect(noticeFor({ type: "system", subtype: "init" })).toBeNull();
    expect(noticeFor({ type: "assistant" })).toBeNull();
  });

  test("a local command's output is read from either form, and only from those", () => {
    expect(
      localCommandOutput({ type: "system", subtype: "local_command_output", content: " Total cost: $0.01 " }),
    ).toBe("Total cost: $0.01");
    expect(
      localCommandOutput({
        type: "user",
        isReplay: true,
        message: { role: "user", content: "<local-command-stdout>Compacted </local-command-stdout>" },
      }),
    ).toBe("Compacted");
    // A prompt the user typed that merely mentions the tag is not command output.
    expect(
      localCommandOutput({
        type: "user",
        message: { role: "user", content: "<local-command-stdout>x</local-command-stdout>" },
      }),
    ).toBe("");
  });
});

describe("sortCommands", () => {
  const command = (name: string, builtin: boolean, description = name) => ({
    name,
    description,
    argumentHint: "",
    builtin,
  });

  test("the project's own first, then Claude Code's, each by name; a shared name keeps the built-in row", () => {
    const sorted = sortCommands([
      command("compact", true),
      command("review", false),
      command("clear", true),
      command("compact", false, "the project's compact"),
      command("deploy", false),
      command("__remote-workflow", true),
    ]);
    expect(sorted.map((c) => `${c.builtin ? "b" : "p"}:${c.name}`)).toEqual([
      "p:deploy",
      "p:review",
      "b:clear",
      "b:compact",
    ]);
    expect(sorted.find((c) => c.name === "compact")?.description).toBe("compact");
  });
});
