import type { Page } from "@playwright/test";
import { expect, type Frames, test } from "./fixtures.ts";
import {
  awaitCreated,
  conversation,
  marker,
  newSession,
  sendMessage,
  sessionRow,
  turnDone,
  UUID_V4,
} from "./helpers.ts";

/** Sends `text` and waits until its reply is on screen. */
async function exchange(page: Page, frames: Frames, text: string): Promise<void> {
  const sent = await sendMessage(page, frames, text);
  await turnDone(frames, sent.requestId);
  await expect(conversation(page).getByText(`Echo: ${text}`)).toBeVisible();
}

/** Opens the sessions sheet and taps the session whose title is `title`; asserts the subscribe round trip. */
async function switchTo(page: Page, frames: Frames, sessionId: string, title: string): Promise<void> {
  await page.getByRole("button", { name: "Sessions" }).click();
  const sheet = page.getByRole("dialog", { name: "Sessions" });
  await expect(sheet).toBeVisible();
  const mark = frames.mark();
  await sessionRow(sheet, title).click();
  await expect(sheet).toBeHidden();
  const subscribe = await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId === sessionId, 30_000, mark);
  expect(subscribe.requestId).toMatch(UUID_V4);
  const subscribed = await frames.waitFor("received", "session:subscribed", (p) => p.requestId === subscribe.requestId);
  expect(subscribed.sessionId).toBe(sessionId);
  // From the device's saved copy on (afterSeq), or the tail: either way up to the last event, and
  // fromSeq = lastSeq + 1 when there was nothing new to replay.
  if (subscribe.afterSeq !== undefined)
    expect(subscribed.fromSeq as number).toBeGreaterThan(subscribe.afterSeq as number);
  expect(subscribed.fromSeq as number).toBeLessThanOrEqual((subscribed.lastSeq as number) + 1);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(title);
}

/**
 * From now on, records every moment (each DOM change, as it is about to paint) in which the top bar
 * names the session titled `title` while the conversation shows `foreign`: another session's text.
 */
async function watchForForeignText(page: Page, title: string, foreign: string): Promise<() => Promise<string[]>> {
  await page.evaluate(
    ([title, foreign]) => {
      const seen: string[] = [];
      Object.assign(window, { foreignTextSeen: seen });
      new MutationObserver(() => {
        const heading = document.querySelector("h1")?.textContent ?? "";
        const log = document.querySelector('[role="log"]')?.textContent ?? "";
        if (heading.includes(title) && log.includes(foreign)) seen.push(heading);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    },
    [title, foreign] as const,
  );
  return () => page.evaluate(() => (window as unknown as { foreignTextSeen: string[] }).foreignTextSeen);
}

test.describe("sessions", () => {
  test("create sessions from the top bar and the sessions sheet, switch by tap: each shows only its own messages", async ({
    page,
    frames,
  }) => {
    // A: from the sessions sheet, with the model picker set to Haiku.
    await page.getByRole("button", { name: "Sessions" }).click();
    const sheet = page.getByRole("dialog", { name: "Sessions" });
    await expect(sheet).toBeVisible();
    await sheet.getByRole("button", { name: "New", exact: true }).click();
    const newSheet = page.getByRole("dialog", { name: "New session" });
    const models = newSheet.getByRole("radiogroup", { name: "Model" });
    await models.getByRole("radio", { name: "Haiku" }).click();
    await expect(models.getByRole("radio", { name: "Haiku" })).toBeChecked();
    const markA = frames.mark();
    await newSheet.getByRole("button", { name: "Create Haiku session" }).click();
    await expect(newSheet).toBeHidden();
    await expect(sheet).toBeHidden();
    const sessionA = await awaitCreated(page, frames, markA);
    const createA = await frames.waitFor("sent", "session:create", () => true, 1_000, markA);
    expect(createA.model).toBe("haiku");
    const createdA = await frames.waitFor("received", "session:created", (p) => p.requestId === createA.requestId);
    expect(createdA).toMatchObject({ id: sessionA, model: "haiku", status: "idle", queued: 0 });
    await expect(page.getByRole("banner")).toContainText("haiku");

    const alpha = marker("alpha");
    await exchange(page, frames, alpha);

    // B: from the top bar's "New session" (it uses the model chosen in the sheet).
    const sessionB = await newSession(page, frames);
    expect(sessionB).not.toBe(sessionA);
    const createB = frames.sent("session:create").at(-1);
    expect(createB?.model).toBe("haiku");
    expect(frames.received("session:created").filter((p) => p.requestId === createB?.requestId)).toHaveLength(1);
    // A new session starts empty: nothing of A is shown.
    await expect(page.getByRole("heading", { name: "Nothing here yet" })).toBeVisible();
    await expect(conversation(page)).not.toContainText(alpha);

    const bravo = marker("bravo");
    await exchange(page, frames, bravo);
    await expect(conversation(page)).not.toContainText(alpha);
    const sendB = frames.sent("chat:send").find((p) => p.message === bravo);
    expect(sendB?.sessionId).toBe(sessionB);

    // Each session is titled after its first message; the current one is marked in the list.
    await page.getByRole("button", { name: "Sessions" }).click();
    await expect(sessionRow(sheet, alpha)).toBeVisible();
    await expect(sessionRow(sheet, bravo)).toHaveAttribute("aria-current", "true");
    await expect(sessionRow(sheet, alpha)).not.toHaveAttribute("aria-current", "true");
    await page.keyboard.press("Escape");
    await expect(sheet).toBeHidden();

    // Switch to A: its history is replayed from the server, and only its own. B's messages are
    // gone from the moment the top bar names A, not even left for a frame while A's replay renders.
    const foreignTextSeen = await watchForForeignText(page, alpha, bravo);
    await switchTo(page, frames, sessionA, alpha);
    await expect(conversation(page).getByText(`Echo: ${alpha}`)).toBeVisible();
    await expect(conversation(page)).not.toContainText(bravo);
    expect(await foreignTextSeen()).toEqual([]);
    // Messages now go to A.
    const alpha2 = marker("alpha-again");
    await exchange(page, frames, alpha2);
    expect(frames.sent("chat:send").find((p) => p.message === alpha2)?.sessionId).toBe(sessionA);
    await expect(conversation(page)).not.toContainText(bravo);

    // And back to B.
    await switchTo(page, frames, sessionB, bravo);
    await expect(conversation(page).getByText(`Echo: ${bravo}`)).toBeVisible();
    await expect(conversation(page)).not.toContainText(alpha);

    // Every request got exactly one answer with its requestId, and no errors.
    for (const create of frames.sent("session:create")) {
      expect(frames.received("session:created").filter((p) => p.requestId === create.requestId)).toHaveLength(1);
    }
    for (const subscribe of frames.sent("session:subscribe")) {
      expect(frames.received("session:subscribed").filter((p) => p.requestId === subscribe.requestId)).toHaveLength(1);
    }
    expect(frames.received("session:error")).toHaveLength(0);
    expect(frames.received("chat:error")).toHaveLength(0);
  });
});
