import { LIMITS } from "../../src/shared/constants.ts";
import { expect, test } from "./fixtures.ts";
import {
  conversation,
  expectStrictlyIncreasing,
  marker,
  newSession,
  SESSION_EVENTS,
  savedCopy,
  sendMessage,
  seqs,
  TURN_TIMEOUT_MS,
  turnDone,
  UUID_V4,
} from "./helpers.ts";

test.describe("chat", () => {
  test("a message goes out as chat:send and its turn comes back correlated by requestId", async ({ page, frames }) => {
    const sessionId = await newSession(page, frames);
    const text = marker("hello");

    const sent = await sendMessage(page, frames, text);
    expect(sent.requestId).toMatch(UUID_V4);
    expect(sent.sessionId).toBe(sessionId);
    expect(sent.message).toBe(text);
    const requestId = sent.requestId;

    const response = await turnDone(frames, requestId);
    expect(response.response).toBe(`Echo: ${text}`);
    await expect(conversation(page).getByText(`Echo: ${text}`)).toBeVisible();

    // Every numbered event of the turn: same requestId and session, strictly increasing seq.
    const turn = frames.turn(requestId).filter((f) => SESSION_EVENTS.has(f.event));
    const events = turn.map((f) => f.event);
    expect(events[0]).toBe("chat:queued");
    expect(events[1]).toBe("chat:started");
    expect(events.at(-1)).toBe("chat:response");
    expect(events).toContain("chat:delta");
    expect(events).toContain("log");
    expect(events.filter((e) => e === "chat:response")).toHaveLength(1);
    expect(events).not.toContain("chat:error");
    for (const frame of turn) {
      expect(frame.payload.sessionId, frame.event).toBe(sessionId);
      expect(Number.isInteger(frame.payload.seq), frame.event).toBe(true);
    }
    expectStrictlyIncreasing(seqs(turn));
    expect(turn[0]?.payload.message).toBe(text);

    // The deltas spell the reply; the response carries this turn's logs.
    const deltas = turn.filter((f) => f.event === "chat:delta").map((f) => f.payload.text);
    expect(deltas.join("")).toBe(`Echo: ${text}`);
    const logs = turn.filter((f) => f.event === "log").map((f) => f.payload.data);
    expect(response.logs).toEqual(logs);

    // Nothing answered with an error anywhere in this test.
    expect(frames.received("chat:error")).toHaveLength(0);
    expect(frames.received("session:error")).toHaveLength(0);
  });

  test("the conversation follows the newest text, and opens at its end after a reload", async ({ page, frames }) => {
    await newSession(page, frames);
    const log = conversation(page);
    const distanceFromEnd = () => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    const overflows = () => log.evaluate((el) => el.scrollHeight > el.clientHeight * 2);

    // Taller than the screen: paragraphs in the message, and again in its echo.
    const paragraphs = Array.from({ length: 30 }, (_, i) => `paragraph ${i + 1}`).join("\n\n");
    const first = await sendMessage(page, frames, `${marker("long")}\n\n${paragraphs}`);
    await turnDone(frames, String(first.requestId));
    await expect(log.getByText("paragraph 30")).toHaveCount(2);
    expect(await overflows()).toBe(true);
    await expect.poll(distanceFromEnd).toBeLessThan(2);

    const second = await sendMessage(page, frames, marker("after"));
    await turnDone(frames, String(second.requestId));
    await expect(log.getByText(`Echo: ${second.message}`)).toBeVisible();
    await expect.poll(distanceFromEnd).toBeLessThan(2);

    // More text can land below between the view's own scroll to the end and that scroll's event (a
    // burst on a busy phone; made by hand here, as blocks after the conversation's own content): the
    // view still follows the next reply to its end.
    await log.evaluate(
      (el) =>
        new Promise((resolve) => {
          const block = (height: number) => {
            const div = document.createElement("div");
            div.className = "burst";
            div.style.height = `${height}px`;
            el.append(div);
          };
          block(200);
          el.scrollTop = el.scrollHeight;
          block(600);
          el.addEventListener("scroll", resolve, { once: true });
        }),
    );
    const third = await sendMessage(page, frames, marker("burst"));
    await turnDone(frames, String(third.requestId));
    await expect(log.getByText(`Echo: ${third.message}`)).toBeVisible();
    await expect.poll(distanceFromEnd).toBeLessThan(2);
    await log.evaluate((el) => {
      for (const block of el.querySelectorAll(".burst")) block.remove();
    });

    // A reload replays the session (one step) and renders it: it opens at its newest message, and
    // no empty state shows meanwhile (not even for a frame while the replay renders).
    await page.addInitScript(() => {
      const seen = new Set<string>();
      Object.assign(window, { emptyStatesSeen: seen });
      new MutationObserver(() => {
        const text = document.body?.textContent ?? "";
        for (const title of ["Nothing here yet", "Start a session"]) if (text.includes(title)) seen.add(title);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await page.reload();
    await expect(log.getByText(`Echo: ${third.message}`)).toBeVisible();
    await expect.poll(distanceFromEnd).toBeLessThan(2);
    const emptyStatesSeen = await page.evaluate(() => [
      ...(window as unknown as { emptyStatesSeen: Set<string> }).emptyStatesSeen,
    ]);
    expect(emptyStatesSeen).toEqual([]);
  });

  test("Load earlier pages older turns in with session:history, and what was on screen stays put", async ({
    page,
    frames,
  }) => {
    const sessionId = await newSession(page, frames);
    const log = conversation(page);
    // A first turn older than the replayed tail (the last LIMITS.tailTurns turns), then enough turns
    // to push it out of the tail; the last one taller than the screen, so what is on screen has a
    // place to keep.
    const paragraphs = Array.from({ length: 60 }, (_, i) => `paragraph ${i + 1} of the long first message`).join(
      "\n\n",
    );
    const long = await sendMessage(page, frames, `${marker("long")}\n\n${paragraphs}`);
    await turnDone(frames, String(long.requestId));
    for (let i = 1; i < LIMITS.tailTurns; i++) {
      const short = await sendMessage(page, frames, marker(`short ${i}`));
      await turnDone(frames, String(short.requestId));
    }
    const second = Array.from({ length: 30 }, (_, i) => `second message, paragraph ${i + 1}`).join("\n\n");
    const secondTurn = await sendMessage(page, frames, `${marker("second")}\n\n${second}`);
    await turnDone(frames, String(secondTurn.requestId));

    // Reopened, the device's saved copy holds the last turns (as many as the server's tail), with
    // the first one behind "Load earlier". Wait until the copy is written from the last turn.
    await expect
      .poll(async () => {
        const saved = await savedCopy(page, sessionId);
        return saved?.responses.length === LIMITS.tailTurns && saved.responses.at(-1)?.includes("paragraph 30");
      })
      .toBe(true);
    await page.reload();
    const lastLine = log.getByText("second message, paragraph 30", { exact: true }).last();
    await expect(lastLine).toBeInViewport();
    await expect(log.getByText("paragraph 60 of the long first message")).toHaveCount(0);
    const loadEarlier = log.getByRole("button", { name: "Load earlier" });
    await loadEarlier.scrollIntoViewIfNeeded();
    await expect(loadEarlier).toBeVisible();
    const before = await lastLine.boundingBox();

    const mark = frames.mark();
    await loadEarlier.click();
    const request = await frames.waitFor("sent", "session:history", (p) => p.sessionId === sessionId, 5_000, mark);
    const page1 = await frames.waitFor("received", "session:history", (p) => p.requestId === request.requestId);
    expect((page1.events as unknown[]).length).toBeGreaterThan(0);
    // A page holds the newest older events: the end of the long echo (its message is further back).
    await expect(log.getByText("paragraph 60 of the long first message").first()).toBeAttached();
    // The older turn went in above: the text that was on screen did not move.
    await expect
      .poll(async () => Math.abs(((await lastLine.boundingBox())?.y ?? 0) - (before?.y ?? -1)))
      .toBeLessThan(2);
  });

  test("markdown replies render safely: code scrolls in its block, links open a new tab, HTML stays text", async ({
    page,
    frames,
    stack,
  }) => {
    await newSession(page, frames);
    const prompt = marker("markdown");
    const longLine = `const veryLongLine = "${"x".repeat(400)}";`;
    const markdown = [
      "# Release notes",
      "",
      "- first item",
      "- second item",
      "",
      "```ts",
      longLine,
      "```",
      "",
      "Run `npm test` and read [the docs](https://example.com/docs).",
      "",
      'Raw: <img src=x onerror="window.__pwned = 1"> and <script>window.__pwned = 2</script>',
    ].join("\n");
    await stack.script([{ kind: "message", blocks: [{ type: "text", text: markdown }] }], prompt);

    const sent = await sendMessage(page, frames, prompt);
    const response = await turnDone(frames, sent.requestId);
    expect(response.response).toBe(markdown);

    const log = conversation(page);
    const turn = log.locator(`[data-turn="${sent.requestId}"]`);
    await expect(turn.getByRole("heading", { name: "Release notes" })).toBeVisible();
    await expect(turn.getByRole("listitem")).toHaveText(["first item", "second item"]);
    await expect(turn.locator("code", { hasText: "npm test" })).toBeVisible();

    // The code block scrolls sideways inside itself; the page does not.
    const pre = turn.locator("pre");
    await expect(pre).toContainText("veryLongLine");
    const block = await pre.evaluate((el) => ({
      scrollWidth: el.scrollWidth,
      clientWidth: el.clientWidth,
      overflowX: getComputedStyle(el).overflowX,
    }));
    expect(block.scrollWidth).toBeGreaterThan(block.clientWidth);
    expect(["auto", "scroll"]).toContain(block.overflowX);
    const pageWidth = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    expect(pageWidth.scrollWidth).toBeLessThanOrEqual(pageWidth.clientWidth);
    await pre.evaluate((el) => {
      el.scrollLeft = 200;
    });
    expect(await pre.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
    expect(await page.evaluate(() => window.scrollX)).toBe(0);

    const link = turn.getByRole("link", { name: "the docs" });
    await expect(link).toHaveAttribute("href", "https://example.com/docs");
    await expect(link).toHaveAttribute("target", "_blank");
    await expect(link).toHaveAttribute("rel", /\bnoopener\b/);

    // HTML in the reply is text: no element, no script ran.
    await expect(turn).toContainText('<img src=x onerror="window.__pwned = 1">');
    await expect(turn).toContainText("<script>window.__pwned = 2</script>");
    await expect(log.locator("img")).toHaveCount(0);
    await expect(log.locator("script")).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test("a long reply's blocks sit in groups that change nothing on screen", async ({ page, frames, stack }) => {
    await newSession(page, frames);
    const prompt = marker("long-reply");
    // Every kind of block, and headings of several levels, first and not first in their groups.
    const section = (n: number) =>
      [
        n % 3 === 0 ? `#### Detail ${n}` : `## Step ${n}`,
        `Ran \`npm test\` in **packages/${n}**: _2 failed_.`,
        "",
        "- `orders.test.ts` › refund",
        "- `checkout.test.ts` › coupon",
        "",
        "```ts",
        "expect(total).toBe(90);",
        "```",
        "",
        "| file | before | after |",
        "|---|---:|---:|",
        "| a.ts | 1.2 s | 0.4 s |",
        "",
        n % 4 === 0 ? "> quoted **text**\n\n---\n" : "",
      ].join("\n");
    const markdown = Array.from({ length: 14 }, (_, n) => section(n + 1)).join("\n");
    await stack.script([{ kind: "message", blocks: [{ type: "text", text: markdown }] }], prompt);
    const sent = await sendMessage(page, frames, prompt);
    expect((await turnDone(frames, sent.requestId)).response).toBe(markdown);

    const reply = conversation(page).locator(`[data-turn="${sent.requestId}"] .md`);
    await expect(reply.getByRole("heading", { name: "Step 14" })).toBeVisible();
    // Each block's place and size, then again with the groups' boxes taken out of the page.
    const layout = await reply.evaluate((md) => {
      const blocks = () =>
        [...md.querySelectorAll(":scope :is(p, li, pre, table, h2, h3, h4, hr, blockquote)")].map((block) => {
          const box = block.getBoundingClientRect();
          return `${block.tagName} ${Math.round(box.top - md.getBoundingClientRect().top)} ${Math.round(box.height)}`;
        });
      const grouped = blocks();
      const groups = md.querySelectorAll(".md-group").length;
      for (const group of [...md.querySelectorAll(".md-group")].reverse()) group.replaceWith(...group.childNodes);
      return { grouped, flat: blocks(), groups, left: md.querySelectorAll(".md-group").length };
    });
    expect(layout.groups).toBeGreaterThan(8);
    expect(layout.left).toBe(0);
    expect(layout.grouped.length).toBeGreaterThan(14 * 6);
    expect(layout.grouped).toEqual(layout.flat);
  });

  test("live activity shows the running command, then the logs sheet opens with collapsible JSON", async ({
    page,
    frames,
    stack,
  }) => {
    await newSession(page, frames);
    const prompt = marker("activity");
    const command = `echo ${marker("activity-cmd")}`;
    const reply = `Listed everything for ${prompt}. ${"All good. ".repeat(12)}`;
    await stack.script(
      [
        { kind: "message", blocks: [{ type: "tool_use", name: "Bash", input: { command, description: "Print it" } }] },
        // Slow enough (≈2.5 s) to see the turn while it runs.
        { kind: "message", blocks: [{ type: "text", text: reply, chunkChars: 4, delayMs: 60 }] },
      ],
      prompt,
    );

    const sent = await sendMessage(page, frames, prompt);
    const turn = conversation(page).locator(`[data-turn="${sent.requestId}"]`);

    // While it runs: the activity line names the command, and the turn is busy.
    await frames.waitFor(
      "received",
      "log",
      (p) => p.requestId === sent.requestId && String(p.data).includes('"tool_use"'),
      TURN_TIMEOUT_MS,
    );
    await expect(turn.locator("[aria-busy=true]")).toBeVisible();
    await expect(turn.locator("[aria-busy=true]").getByText(command)).toBeVisible();
    // "Ran" once its result is back (before, the row says "Running"), while the reply still streams.
    await frames.waitFor(
      "received",
      "log",
      (p) => p.requestId === sent.requestId && String(p.data).includes('"tool_result"'),
      TURN_TIMEOUT_MS,
    );
    await expect(turn.locator("[aria-busy=true]").getByText("Ran", { exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Stop" })).toBeVisible();

    const response = await turnDone(frames, sent.requestId);
    expect(response.response).toContain(`Listed everything for ${prompt}.`);
    await expect(turn.getByText(`Listed everything for ${prompt}.`)).toBeVisible();
    await expect(turn.locator("[aria-busy=true]")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Send" })).toBeVisible();

    // The work stays in the conversation after the turn: the summary line and the command.
    await expect(turn.getByRole("button", { name: /^Ran 1 command/ })).toHaveAttribute("aria-expanded", "true");
    const steps = turn.getByRole("list", { name: "Steps" });
    await expect(steps.getByText(command)).toBeVisible();
    await expect(steps.getByText("Ran", { exact: true })).toBeVisible();
    // The row says how long the step took: from its tool_use to its tool_result, as the server stamped them.
    const messages = (response.logs as string[]).map((data) => JSON.parse(data) as { type: string; timestamp: string });
    const asked = messages.find((m) => m.type === "assistant" && JSON.stringify(m).includes('"tool_use"'));
    const answered = messages.find((m) => m.type === "user" && JSON.stringify(m).includes('"tool_result"'));
    expect(asked?.timestamp && answered?.timestamp).toBeTruthy();
    const took = Date.parse(answered?.timestamp ?? "") - Date.parse(asked?.timestamp ?? "");
    await expect(steps.locator("[data-step-duration]")).toHaveAttribute("data-step-duration", String(took));
    // A step opens to its command, exit code and output, read from the turn's own logs.
    await steps.getByRole("button", { name: new RegExp(`Ran .*${command.split(" ")[0]}`) }).click();
    await expect(steps.getByText("Exit code 0")).toBeVisible();
    await expect(steps.getByRole("figure", { name: "Command output" })).toBeVisible();

    // "Developer details" opens the turn's raw logs, one collapsible entry per log event.
    const logCount = (response.logs as unknown[]).length;
    expect(logCount).toBeGreaterThan(1);
    const view = turn.getByRole("button", { name: `Developer details: the turn's ${logCount} raw agent messages` });
    await expect(view).toBeVisible();
    await view.click();
    const sheet = page.getByRole("dialog", { name: "Agent logs" });
    await expect(sheet).toBeVisible();
    await expect(sheet.getByText(`${logCount} messages from this reply`)).toBeVisible();
    const entries = sheet.locator("ol > li > details");
    await expect(entries).toHaveCount(logCount);

    // The tool call's entry: closed at first; a tap opens it as readable JSON, nested levels fold.
    const toolEntry = entries.filter({ hasText: command }).first();
    await expect(toolEntry).not.toHaveAttribute("open");
    await toolEntry.locator("summary").first().click();
    await expect(toolEntry).toHaveAttribute("open");
    const tree = toolEntry.locator("details").first();
    await expect(tree).toHaveAttribute("open");
    await expect(tree.getByText("type:").first()).toBeVisible();
    const commandValue = tree.getByText(`"${command}"`);
    // Deep levels start folded: unfold the path down to the command (message → content → 0 → input).
    const closedOnPath = tree.locator("details:not([open])", { hasText: command });
    expect(await closedOnPath.count()).toBeGreaterThan(0);
    await expect(commandValue).toBeHidden();
    for (let depth = 0; depth < 8 && (await closedOnPath.count()) > 0; depth++) {
      await closedOnPath.first().locator("summary").first().click();
    }
    await expect(commandValue).toBeVisible();
    // And fold again from the top.
    await tree.locator("summary").first().click();
    await expect(tree).not.toHaveAttribute("open");
    await expect(commandValue).toBeHidden();

    await page.keyboard.press("Escape");
    await expect(sheet).toBeHidden();
  });
});
