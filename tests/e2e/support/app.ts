import type { Page } from "@playwright/test";
import { expect, type Frames } from "../fixtures.ts";

/**
 * Helpers for the pairing, approval, session-settings and voice specs. They
 * drive the app the way a user does (roles and names), and read the real
 * Socket.IO frames through the `frames` fixture.
 */

/** Creates a session from the empty state or the top bar; resolves with its id (from the `session:created` frame). */
export async function createSession(page: Page, frames: Frames): Promise<string> {
  const before = frames.received("session:created").length;
  const start = page.getByRole("button", { name: "Start a session" });
  if (await start.isVisible()) await start.click();
  else await page.getByRole("button", { name: "New session", exact: true }).click();
  await expect.poll(() => frames.received("session:created").length).toBeGreaterThan(before);
  const created = frames.received("session:created").at(-1);
  const id = created?.id;
  if (typeof id !== "string") throw new Error("session:created without an id");
  await expect(page.getByRole("textbox", { name: "Message" })).toBeEnabled();
  return id;
}

/** Types a message and sends it with the Send button; resolves with the chat:send payload. */
export async function sendMessage(page: Page, frames: Frames, text: string): Promise<Record<string, unknown>> {
  await page.getByRole("textbox", { name: "Message" }).fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  return frames.waitFor("sent", "chat:send", (p) => p.message === text);
}
