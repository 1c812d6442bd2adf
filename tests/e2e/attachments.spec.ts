import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pngBytes } from "../fixtures/images.ts";
import { expect, test } from "./fixtures.ts";
import { conversation, marker, newSession, TURN_TIMEOUT_MS, turnDone, UUID_V4 } from "./helpers.ts";
import { CHUNK_URL } from "./support/app.ts";

test.describe.configure({ timeout: 120_000 });

const SHOTS = process.env.POCKET_SHOTS_DIR ?? join(tmpdir(), "pocket-shots");

test.describe("images and slash commands from the composer", () => {
  test("an image is attached, shown, removable, sent as a binary attachment and shown in the conversation", async ({
    page,
    frames,
    stack,
  }, testInfo) => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = testInfo.outputPath("files");
    mkdirSync(dir, { recursive: true });
    const red = pngBytes(240, 160, [220, 40, 40]);
    const blue = pngBytes(120, 120, [40, 80, 220]);
    writeFileSync(join(dir, "red.png"), red);
    writeFileSync(join(dir, "blue.png"), blue);

    await newSession(page, frames);
    const prompt = marker("what-is-this");
    await stack.script([{ kind: "message", blocks: [{ type: "text", text: "A red rectangle." }] }], prompt);

    const input = page.getByTestId("image-input");
    await expect(page.getByRole("button", { name: "Attach images" })).toBeVisible();
    await input.setInputFiles([join(dir, "red.png"), join(dir, "blue.png")]);
    const thumbs = page.getByRole("list", { name: "Images to send" });
    await expect(thumbs.getByRole("img")).toHaveCount(2);
    await expect(thumbs.getByRole("img", { name: "red.png" })).toBeVisible();
    await page.screenshot({ path: join(SHOTS, `attach-composer-${testInfo.project.name}.png`) });

    // Removable: the blue one goes.
    await thumbs.getByRole("button", { name: "Remove blue.png" }).click();
    await expect(thumbs.getByRole("img")).toHaveCount(1);
    await expect(thumbs.getByRole("img", { name: "red.png" })).toBeVisible();

    await page.getByRole("textbox", { name: "Message" }).fill(prompt);
    await page.getByRole("button", { name: "Send" }).click();
    const sent = await frames.waitFor("sent", "chat:send", (p) => p.message === prompt);
    expect(sent.requestId).toMatch(UUID_V4);
    // The frame is a Socket.IO binary event: the bytes travel as a binary attachment, not base64 text.
    const frame = frames.all.find(
      (f) => f.direction === "sent" && f.event === "chat:send" && f.payload.message === prompt,
    );
    expect(frame?.binaries).toHaveLength(1);
    expect(frame?.binaries?.[0]?.equals(Buffer.from(red))).toBe(true);
    expect(sent.attachments).toEqual([
      { name: "red.png", mediaType: "image/png", data: { _placeholder: true, num: 0 } },
    ]);
    await expect(thumbs).toHaveCount(0);

    const queued = await frames.waitFor("received", "chat:queued", (p) => p.requestId === sent.requestId);
    const info = (queued.attachments as { id: string; mediaType: string; size: number }[])[0];
    expect(info).toMatchObject({ name: "red.png", mediaType: "image/png", size: red.byteLength });
    await turnDone(frames, sent.requestId);

    // The model was given the image.
    const requests = (await (await fetch(`${stack.apiUrl}/__requests`)).json()) as { body: { messages: unknown } }[];
    expect(JSON.stringify(requests.map((r) => r.body.messages))).toContain(
      Buffer.from(red).toString("base64").slice(0, 60),
    );

    // The conversation shows the server's copy, loaded by its URL with the pairing cookie.
    const turn = conversation(page).locator(`[data-turn="${sent.requestId}"]`);
    const shown = turn.getByRole("img", { name: "red.png" });
    await expect(shown).toBeVisible();
    await expect(shown).toHaveAttribute("src", `/api/attachments/${info?.id}`);
    await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(240);
    await expect(turn.getByText("A red rectangle.")).toBeVisible();
    await page.screenshot({ path: join(SHOTS, `attach-conversation-${testInfo.project.name}.png`) });

    // After a reload the image comes back from history (the URL, not the bytes, in the frames).
    await page.reload();
    const again = conversation(page).locator(`[data-turn="${sent.requestId}"]`).getByRole("img", { name: "red.png" });
    await expect
      .poll(() => again.evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: TURN_TIMEOUT_MS })
      .toBe(240);
  });

  test("a file that is not an image is refused on the device, with a plain message", async ({
    page,
    frames,
  }, testInfo) => {
    const dir = testInfo.outputPath("files");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "notes.png"), "not really a picture");
    await newSession(page, frames);
    await page.getByTestId("image-input").setInputFiles(join(dir, "notes.png"));
    await expect(page.getByRole("alert")).toContainText("notes.png is not an image this app can send.");
    await expect(page.getByRole("list", { name: "Images to send" })).toHaveCount(0);
    expect(frames.sent("chat:send")).toHaveLength(0);
  });

  test.describe("when the image code cannot load", () => {
    // Without the service worker, the page's own requests for the downscaler's chunk reach the route.
    test.use({ serviceWorkers: "block" });

    test("attaching says so, and the composer still sends", async ({ page, frames }, testInfo) => {
      const dir = testInfo.outputPath("files");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "red.png"), pngBytes(40, 40, [220, 40, 40]));
      await newSession(page, frames);
      // The downscaler loads on first use; from here on no script chunk loads (a deploy removed it).
      await page.route(CHUNK_URL, (route) => route.abort());
      await page.getByTestId("image-input").setInputFiles(join(dir, "red.png"));
      await expect(page.getByRole("alert")).toContainText("could not load what it needs to attach images");
      await expect(page.getByRole("list", { name: "Images to send" })).toHaveCount(0);
      // Nothing is left preparing: a message can still go.
      await page.getByRole("textbox", { name: "Message" }).fill("no picture after all");
      await expect(page.getByRole("button", { name: "Send" })).toBeEnabled();
    });
  });

  test("typing / suggests the session's commands with descriptions; the keyboard chooses one", async ({
    page,
    frames,
    stack,
  }, testInfo) => {
    mkdirSync(SHOTS, { recursive: true });
    const commandsDir = join(stack.workdir, ".claude", "commands");
    mkdirSync(commandsDir, { recursive: true });
    writeFileSync(join(commandsDir, "e2e-check.md"), "---\ndescription: Check the e2e suite\n---\nRun the checks.\n");
    try {
      const sessionId = await newSession(page, frames);
      const box = page.getByRole("textbox", { name: "Message" });
      await box.fill("/");
      const list = await frames.waitFor("sent", "commands:list", (p) => p.sessionId === sessionId);
      const result = await frames.waitFor(
        "received",
        "commands:result",
        (p) => p.requestId === list.requestId,
        TURN_TIMEOUT_MS,
      );
      const names = (result.commands as { name: string }[]).map((c) => c.name);
      expect(names).toContain("compact");
      expect(names).toContain("e2e-check");

      const listbox = page.getByRole("listbox", { name: "Commands" });
      await expect(listbox.getByRole("option", { name: /\/e2e-check/ })).toContainText("Check the e2e suite");
      await page.screenshot({ path: join(SHOTS, `slash-all-${testInfo.project.name}.png`) });

      await box.pressSequentially("comp");
      await expect(listbox.getByRole("option").first()).toContainText("/compact");
      await expect(box).toHaveAttribute("aria-activedescendant", /slash-option-compact/);
      await page.screenshot({ path: join(SHOTS, `slash-filtered-${testInfo.project.name}.png`) });
      await box.press("Enter");
      await expect(box).toHaveValue("/compact ");
      await expect(listbox).toHaveCount(0);
      // Asked once per session: typing / again uses the list it has.
      await box.fill("/e2e");
      await expect(listbox.getByRole("option")).toHaveCount(1);
      await box.press("Escape");
      await expect(listbox).toHaveCount(0);
      expect(frames.sent("commands:list")).toHaveLength(1);

      // /compact from the phone: passed through, and the conversation says what it did.
      const first = marker("remember");
      await box.fill(first);
      await page.getByRole("button", { name: "Send" }).click();
      const a = await frames.waitFor("sent", "chat:send", (p) => p.message === first);
      await turnDone(frames, a.requestId);
      await box.fill("/compact");
      await box.press("Escape");
      await page.getByRole("button", { name: "Send" }).click();
      const compact = await frames.waitFor("sent", "chat:send", (p) => p.message === "/compact");
      const notice = await frames.waitFor(
        "received",
        "chat:notice",
        (p) => p.requestId === compact.requestId,
        TURN_TIMEOUT_MS,
      );
      expect(notice.kind).toBe("compacted");
      await turnDone(frames, compact.requestId);
      const turn = conversation(page).locator(`[data-turn="${compact.requestId}"]`);
      await expect(turn.locator('[data-notice="compacted"]')).toContainText("Context compacted");
      await page.screenshot({ path: join(SHOTS, `slash-compacted-${testInfo.project.name}.png`) });
    } finally {
      rmSync(join(stack.workdir, ".claude"), { recursive: true, force: true });
    }
  });
});
