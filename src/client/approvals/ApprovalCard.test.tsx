import { describe, expect, test } from "bun:test";
import { renderToStaticMarkup } from "react-dom/server";
import { testPermission } from "../testing/permission.ts";
import { ApprovalCard, type ApprovalCardProps } from "./ApprovalCard.tsx";

const render = (props: Partial<ApprovalCardProps> & Pick<ApprovalCardProps, "permission">) =>
  renderToStaticMarkup(<ApprovalCard offline={false} onRespond={() => {}} {...props} />);

/** The accessible names of the buttons, in order. */
const buttons = (html: string) =>
  [...html.matchAll(/<button[^>]*>(.*?)<\/button>/gs)].map((m) => m[1]?.replace(/<[^>]+>/g, "").trim());

describe("ApprovalCard", () => {
  test("a region named by its heading; Bash shows the command; Always allow… offered, not for questions", () => {
    const html = render({
      permission: testPermission(
        "Bash",
        { command: "rm -rf build", description: "Clean" },
        { title: "Claude wants to run rm" },
      ),
    });
    expect(html).toMatch(/<section aria-labelledby="([^"]+)"[^>]*>[\s\S]*<h2 id="\1"/);
    expect(html).toContain("Claude wants to run rm</h2>");
    expect(html).toContain("<code>rm -rf build</code>");
    expect(html).toContain("Clean");
    expect(buttons(html)).toEqual(["Allow", "Deny", "Always allow…"]);

    const plan = render({ permission: testPermission("ExitPlanMode", { plan: "Refactor" }) });
    expect(buttons(plan)).toEqual(["Allow", "Deny"]);
  });

  test("Edit: the path and red/green lines, each announced as removed or added", () => {
    const html = render({
      permission: testPermission("Edit", {
        file_path: "/p/src/a.ts",
        old_string: "let a = 1;",
        new_string: "let a = 2;",
      }),
      cwd: "/p",
    });
    expect(html).toContain("src/a.ts");
    expect(html).toMatch(/data-diff="del"[^>]*>[\s\S]*?Removed: <\/span>let a = 1;/);
    expect(html).toMatch(/data-diff="add"[^>]*>[\s\S]*?Added: <\/span>let a = 2;/);
  });

  test("Write: long content is cut with Show all", () => {
    const content = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n");
    const html = render({ permission: testPermission("Write", { file_path: "/p/long.txt", content }) });
    expect(html).toContain("line 12");
    expect(html).not.toContain("line 13<");
    expect(html).toContain("Show all (30 lines)");
  });

  test("other tools: the input as key/value fields", () => {
    const html = render({ permission: testPermission("WebFetch", { url: "https://example.com", prompt: "Sum up" }) });
    expect(html).toContain("<dt");
    expect(html).toContain(">url</dt>");
    expect(html).toContain("https://example.com");
  });

  test("AskUserQuestion: radio choices, a disabled Send answer until chosen, and Decline", () => {
    const html = render({
      permission: testPermission("AskUserQuestion", {
        questions: [
          {
            question: "Which one?",
            header: "Pick",
            options: [{ label: "A", description: "first" }, { label: "B" }],
            multiSelect: false,
          },
        ],
      }),
    });
    expect(html).toContain("<legend");
    expect(html.match(/type="radio"/g)).toHaveLength(2);
    expect(buttons(html)).toEqual(["Send answer", "Decline"]);
    expect(html).toMatch(/<button type="submit"[^>]*disabled=""/);
  });

  test("sending disables the buttons; a refused answer explains itself; offline says so", () => {
    const sending = render({
      permission: testPermission("Bash", { command: "ls" }),
      answer: { status: "sending", decision: "allow" },
    });
    expect(sending.match(/disabled=""/g)?.length).toBe(3);
    const late = render({
      permission: testPermission("Bash", { command: "ls" }),
      answer: {
        status: "failed",
        decision: "allow",
        error: { code: "PERMISSION_NOT_PENDING", message: "That request was already answered." },
      },
    });
    expect(late).toContain('role="alert"');
    expect(late).toContain("already answered on another device");
    expect(render({ permission: testPermission("Bash", { command: "ls" }), offline: true })).toContain(
      "Reconnect to answer.",
    );
  });
});
