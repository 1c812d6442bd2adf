import { randomUUID } from "node:crypto";
import type { Locator, Page } from "@playwright/test";
import { expect, type Frame, type Frames } from "./fixtures.ts";

/** A version-4 UUID as `crypto.randomUUID()` makes it. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The stored, numbered events of a turn (they carry `seq`). */
export const SESSION_EVENTS = new Set([
  "chat:queued",
  "chat:started",
  "chat:delta",
  "log",
  "chat:response",
  "chat:error",
  "permission:request",
  "permission:resolved",
]);

/** The real CLI answers in 1–2 s on this machine; leave plenty of room on 2 busy cores. */
export const TURN_TIMEOUT_MS = 45_000;

/** A short unique marker, so that each test's prompts and replies are its own. */
export function marker(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Creates a session with the top bar's "New session" button and waits until the app has
 * subscribed to it: `session:create` → `session:created` (same requestId) → `session:subscribe`
 * → `session:subscribed` (same requestId). Returns the new session's id.
 */
export async function newSession(page: Page, frames: Frames): Promise<string> {
  const mark = frames.mark();
  await page.getByRole("button", { name: "New session" }).click();
  return awaitCreated(page, frames, mark);
}

/** The frames of a session creation started after `mark`; resolves once the app subscribed to it. */
export async function awaitCreated(page: Page, frames: Frames, mark: number): Promise<string> {
  const create = await frames.waitFor("sent", "session:create", () => true, 30_000, mark);
  expect(create.requestId).toMatch(UUID_V4);
  const created = await frames.waitFor("received", "session:created", (p) => p.requestId === create.requestId);
  const sessionId = created.id;
  expect(typeof sessionId).toBe("string");
  const subscribe = await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId === sessionId, 30_000, mark);
  await frames.waitFor("received", "session:subscribed", (p) => p.requestId === subscribe.requestId);
  // The composer has switched to the new session's draft: text typed before that is the old one's.
  // (Seen on a loaded CI machine: the frame had arrived, the render had not, and the text typed for
  // the new session stayed with the old one, leaving Send disabled.)
  await expect(page.locator(`form[data-session-id="${sessionId}"]`)).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Message" })).toBeEnabled();
  return sessionId as string;
}

/** Types `text` in the composer and presses Send; returns the `chat:send` frame's payload. */
export async function sendMessage(page: Page, frames: Frames, text: string): Promise<Record<string, unknown>> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  const sent = await frames.waitFor("sent", "chat:send", (p) => p.message === text);
  await expect(box).toHaveValue("");
  return sent;
}

/** Waits for the end of a turn (`chat:response`) and returns its payload. */
export function turnDone(frames: Frames, requestId: unknown): Promise<Record<string, unknown>> {
  return frames.waitFor("received", "chat:response", (p) => p.requestId === requestId, TURN_TIMEOUT_MS);
}

/** Seqs of the numbered events among `frames`, in arrival order. */
export function seqs(frames: readonly Frame[]): number[] {
  return frames.filter((f) => SESSION_EVENTS.has(f.event)).map((f) => f.payload.seq as number);
}

/** Asserts `values` is strictly increasing. */
export function expectStrictlyIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) {
    expect(values[i], `seq #${i} (${values.join(",")})`).toBeGreaterThan(values[i - 1] as number);
  }
}

/** The page's conversation (`role=log`, "Conversation"). */
export function conversation(page: Page) {
  return page.getByRole("log", { name: "Conversation" });
}

/** Occurrences of `needle` in the conversation's text (hidden text included: stricter than what is seen). */
export async function occurrences(page: Page, needle: string): Promise<number> {
  const text = (await conversation(page).textContent()) ?? "";
  return text.split(needle).length - 1;
}

/** A session's row (the button that opens it) in the sessions sheet, by the session's title. */
export function sessionRow(sheet: Locator, title: string): Locator {
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return sheet.getByRole("button", { name: new RegExp(`^${escaped}`) });
}

export interface SavedCopy {
  seqs: number[];
  responses: string[];
}

/** What the app saved of `sessionId` on the device (IndexedDB `pocket-agent`), read in the page. */
export function savedCopy(page: Page, sessionId: string): Promise<SavedCopy | null> {
  return page.evaluate(
    (id) =>
      new Promise<SavedCopy | null>((resolve, reject) => {
        const open = indexedDB.open("pocket-agent");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("conversations")) {
            db.close();
            resolve(null);
            return;
          }
          const get = db.transaction("conversations").objectStore("conversations").get(id);
          get.onsuccess = () => {
            db.close();
            const record = get.result as
              | { events: { type: string; payload: { seq: number; response?: string } }[] }
              | undefined;
            resolve(
              record
                ? {
                    seqs: record.events.map((e) => e.payload.seq),
                    responses: record.events.flatMap((e) =>
                      e.type === "chat:response" ? [e.payload.response ?? ""] : [],
                    ),
                  }
                : null,
            );
          };
          get.onerror = () => reject(get.error);
        };
      }),
    sessionId,
  );
}

/** The connection banner (role=status) that stands in for a browser error page while there is no connection. */
export function connectionBanner(page: Page): Locator {
  return page.getByRole("status").filter({ hasText: /offline|Reconnecting|Can't reach|Connecting/i });
}

/**
 * The page's next `session:subscribe` of `sessionId` after `mark`, once its `session:subscribed`
 * came back (a reconnect's or a reload's catch-up). Returns the subscribe's payload.
 */
export async function resubscribed(frames: Frames, sessionId: unknown, mark: number): Promise<Record<string, unknown>> {
  const subscribe = await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId === sessionId, 30_000, mark);
  await frames.waitFor("received", "session:subscribed", (p) => p.requestId === subscribe.requestId);
  return subscribe;
}
