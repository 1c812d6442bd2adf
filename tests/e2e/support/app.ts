import type { Page } from "@playwright/test";
import { expect, type Frames } from "../fixtures.ts";

/**
 * Helpers for the pairing, approval, session-settings and voice specs. They
 * drive the app the way a user does (roles and names), and read the real
 * Socket.IO frames through the `frames` fixture.
 */

/** Creates a session from the empty state or the top bar; resolves with its id (from the `session:created` frame). */
/**
 * Any of the bundle's script chunks, also when asked for again under a new address after a failure
 * (`?retry=N`, src/client/ui/chunkImport.ts).
 */
export const CHUNK_URL = /\/chunk-[a-z0-9]+\.js(?:\?|$)/;

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

/** The model runs `command` with Bash, then (after the tool result) says `done`. */
export function scriptBash(command: string, done: string) {
  return [
    {
      kind: "message",
      blocks: [{ type: "tool_use", name: "Bash", input: { command, description: "Create the marker file" } }],
    },
    { kind: "message", blocks: [{ type: "text", text: done }] },
  ];
}

/** Starts a session and sends `prompt` (scripted with `scriptBash`); resolves once the CLI asks permission. */
export async function askForBash(page: Page, frames: Frames, prompt: string) {
  const sessionId = await createSession(page, frames);
  const sent = await sendMessage(page, frames, prompt);
  const request = await frames.waitFor("received", "permission:request", (p) => p.requestId === sent.requestId, 45_000);
  return { sessionId, sent, request };
}

/** Answers every approval card the turn raises with Allow, until the turn has ended. */
export async function allowUntilDone(page: Page, frames: Frames, requestId: unknown): Promise<Record<string, unknown>> {
  const done = frames.waitFor("received", "chat:response", (p) => p.requestId === requestId, 45_000);
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  const allow = page.getByRole("button", { name: "Allow", exact: true });
  while (!finished) {
    await Promise.race([
      allow
        .first()
        .waitFor({ state: "visible", timeout: 45_000 })
        .catch(() => {}),
      done,
    ]);
    if (finished) break;
    await allow
      .first()
      .click({ timeout: 5_000 })
      .catch(() => {});
  }
  return done;
}

/** Sessions → New → Project: opens the projects sheet and returns it. */
export async function openProjects(page: Page) {
  await page.getByRole("button", { name: "Sessions" }).click();
  await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "New", exact: true }).click();
  await page
    .getByRole("dialog", { name: "New session" })
    .getByRole("button", { name: /^Project:/ })
    .click();
  const projects = page.getByRole("dialog", { name: "Projects" });
  await expect(projects).toBeVisible();
  return projects;
}

/**
 * Switches the emulated system scheme and waits for the app to follow it (it sets `dark` on
 * `<html>`). Shots taken after it should pass `animations: "disabled"`: buttons ease into the new
 * colours, and a shot would otherwise catch them half-way.
 */
export async function inScheme(page: Page, scheme: "light" | "dark"): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  await expect(page.locator("html")).toHaveClass(scheme === "dark" ? /\bdark\b/ : /^(?!.*\bdark\b)/);
}
