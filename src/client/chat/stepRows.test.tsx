import { describe, expect, test } from "bun:test";
import { renderToStaticMarkup } from "react-dom/server";
import { Activity } from "./Activity.tsx";
import { TurnSteps } from "./TurnSteps.tsx";

const assistant = (...content: unknown[]) => JSON.stringify({ type: "assistant", message: { content } });
const results = (...content: unknown[]) => JSON.stringify({ type: "user", message: { content } });
const bash = (id: string, command: string) => ({ type: "tool_use", id, name: "Bash", input: { command } });
const done = (id: string) => ({ type: "tool_result", tool_use_id: id, content: "ok", is_error: false });

/** Each row's text, tags stripped. */
const rows = (html: string) =>
  [...html.matchAll(/<li[^>]*>(.*?)<\/li>/gs)].map((m) => m[1]?.replace(/<[^>]+>/g, "").trim());

const logs = [assistant(bash("t1", "ls")), results(done("t1")), assistant(bash("t2", "touch marker"))];

describe("a step row's verb says where the step is", () => {
  test("while the agent works: the finished step Ran, the next one is Running", () => {
    const html = renderToStaticMarkup(<Activity logs={logs} running={true} />);
    expect(rows(html)).toEqual(["Ran ls", "Running touch marker"]);
  });

  test("while the agent waits for approval: the step Wants to run, under a clock named for it", () => {
    const html = renderToStaticMarkup(<Activity logs={logs} running={false} />);
    expect(rows(html)).toEqual(["Ran ls", "Wants to run touch marker"]);
    expect(html).toContain('aria-label="waiting for you"');
  });

  test("in a finished turn, a step whose result never came back Tried to run, and is marked not finished", () => {
    const html = renderToStaticMarkup(<TurnSteps logs={logs} durationMs={null} />);
    expect(rows(html)).toEqual(["Ran ls", "Tried to run touch marker"]);
    expect(html).toContain('aria-label="not finished"');
    expect(html).not.toContain("animate-spin");
  });

  test("a call the user denied Tried to run, marked not run, with no run time, while the turn runs and after it", () => {
    const at = (iso: string, json: string) => JSON.stringify({ ...JSON.parse(json), timestamp: iso });
    const denied = [
      at("2026-12-03T10:00:00.000Z", logs[0] ?? ""),
      at("2026-12-03T10:00:01.500Z", logs[1] ?? ""),
      at("2026-12-03T10:00:02.000Z", logs[2] ?? ""),
      at(
        "2026-12-03T10:00:40.000Z",
        results({
          type: "tool_result",
          tool_use_id: "t2",
          content: "The user doesn't want to proceed.",
          is_error: true,
        }),
      ),
    ];
    for (const html of [
      renderToStaticMarkup(<Activity logs={denied} running={true} refused="t2" />),
      renderToStaticMarkup(<TurnSteps logs={denied} durationMs={null} refused="t2" />),
    ]) {
      // ls ran for 1.5 s; the 38 s the user took to answer is not a run time.
      expect(rows(html)).toEqual(["Ran ls1.5 s", "Tried to run touch marker"]);
      expect(html).toContain('aria-label="not run"');
      expect(html).not.toContain('aria-label="failed"');
    }
  });
});
