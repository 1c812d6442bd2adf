import { expect, test } from "./fixtures.ts";
import { createSession } from "./support/app.ts";

/**
 * Session management from the UI (the sessions sheet and the per-session
 * settings sheet): rename, model, permission mode (bypass behind a
 * confirmation), a new session's mode, and delete, each checked on the real
 * Socket.IO frames.
 */

async function openSettings(page: import("@playwright/test").Page) {
  await page.getByRole("button", { name: "Session settings" }).click();
  const sheet = page.getByRole("dialog", { name: "Session settings" });
  await expect(sheet).toBeVisible();
  return sheet;
}

test("rename: session:update with the title, session:updated echoes the requestId, the title bar follows", async ({
  page,
  frames,
}) => {
  const sessionId = await createSession(page, frames);
  const sheet = await openSettings(page);
  const name = sheet.getByRole("textbox", { name: "Name" });
  await name.fill("Renamed from the phone");
  await sheet.getByRole("button", { name: "Rename" }).click();

  const update = await frames.waitFor("sent", "session:update", (p) => p.title === "Renamed from the phone");
  expect(update).toEqual({ sessionId, title: "Renamed from the phone", requestId: expect.any(String) });
  const updated = await frames.waitFor("received", "session:updated", (p) => p.requestId === update.requestId);
  expect(updated.session).toMatchObject({ id: sessionId, title: "Renamed from the phone" });

  await sheet.getByRole("button", { name: "Close" }).click();
  await expect(page.getByRole("banner")).toContainText("Renamed from the phone");
});

test("model and permission mode; bypass needs a confirmation and is sent with confirmBypass", async ({
  page,
  frames,
}) => {
  const sessionId = await createSession(page, frames);
  const sheet = await openSettings(page);

  await sheet.getByRole("radio", { name: "Opus" }).click();
  const model = await frames.waitFor("sent", "session:update", (p) => p.model === "opus");
  expect(model).toEqual({ sessionId, model: "opus", requestId: expect.any(String) });
  await frames.waitFor("received", "session:updated", (p) => p.requestId === model.requestId);

  // The radio follows the server's answer, so it turns on after session:updated, not on the click.
  await sheet.getByRole("radio", { name: /Auto-accept file edits/ }).click();
  const mode = await frames.waitFor("sent", "session:update", (p) => p.permissionMode === "acceptEdits");
  expect(mode).toEqual({ sessionId, permissionMode: "acceptEdits", requestId: expect.any(String) });
  await frames.waitFor("received", "session:updated", (p) => p.requestId === mode.requestId);
  await expect(sheet.getByRole("radio", { name: /Auto-accept file edits/ })).toBeChecked();

  // Bypass: a confirmation first; cancelling it sends nothing.
  await sheet.getByRole("radio", { name: /Skip all permission checks/ }).click();
  const confirm = page.getByRole("alertdialog", { name: "Skip all permission checks?" });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.screenshot({ path: test.info().outputPath("bypass-confirm.png") });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(sheet.getByRole("radio", { name: /Auto-accept file edits/ })).toBeChecked();
  expect(frames.sent("session:update").filter((p) => p.permissionMode === "bypassPermissions")).toEqual([]);

  await sheet.getByRole("radio", { name: /Skip all permission checks/ }).click();
  await confirm.getByRole("button", { name: "Skip permission checks" }).click();
  const bypass = await frames.waitFor("sent", "session:update", (p) => p.permissionMode === "bypassPermissions");
  expect(bypass).toEqual({
    sessionId,
    permissionMode: "bypassPermissions",
    confirmBypass: true,
    requestId: expect.any(String),
  });
  // As root without IS_SANDBOX=1 the server refuses it; otherwise it takes it.
  const answer = await Promise.race([
    frames.waitFor("received", "session:error", (p) => p.requestId === bypass.requestId).then((p) => ({ error: p })),
    frames.waitFor("received", "session:updated", (p) => p.requestId === bypass.requestId).then((p) => ({ ok: p })),
  ]);
  if ("error" in answer) {
    expect(answer.error.code).toBe("BYPASS_NOT_ALLOWED");
    await expect(sheet.locator('[data-error-code="BYPASS_NOT_ALLOWED"]')).toContainText(String(answer.error.message));
    await expect(sheet.getByRole("radio", { name: /Auto-accept file edits/ })).toBeChecked();
    await page.screenshot({ path: test.info().outputPath("settings-bypass-refused.png"), fullPage: true });
  } else {
    await expect(sheet.getByRole("radio", { name: /Skip all permission checks/ })).toBeChecked();
  }
});

test("a new session starts in the mode chosen in the sessions sheet", async ({ page, frames }) => {
  await createSession(page, frames);
  await page.getByRole("button", { name: "Sessions" }).click();
  await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "New", exact: true }).click();
  const sheet = page.getByRole("dialog", { name: "New session" });
  await sheet.getByRole("combobox", { name: "Permissions" }).selectOption({ label: "Plan only, change nothing" });
  await sheet.getByRole("button", { name: /^Create .* session$/ }).click();
  const create = await frames.waitFor("sent", "session:create", (p) => p.permissionMode === "plan");
  const created = await frames.waitFor("received", "session:created", (p) => p.requestId === create.requestId);
  expect(created.permissionMode).toBe("plan");
});

test("delete: a confirmation, session:delete, session:deleted, and the app moves on", async ({ page, frames }) => {
  const keep = await createSession(page, frames);
  const doomed = await createSession(page, frames);
  expect(doomed).not.toBe(keep);
  const sheet = await openSettings(page);
  await sheet.getByRole("button", { name: "Delete session" }).click();
  const confirm = page.getByRole("alertdialog");
  await expect(confirm).toContainText("can't be undone");
  await confirm.getByRole("button", { name: "Delete session" }).click();

  const sent = await frames.waitFor("sent", "session:delete", (p) => p.sessionId === doomed);
  expect(sent).toEqual({ sessionId: doomed, requestId: expect.any(String) });
  const deleted = await frames.waitFor("received", "session:deleted", (p) => p.sessionId === doomed);
  expect(deleted.requestId).toBe(sent.requestId);

  await expect(page.getByRole("dialog", { name: "Session settings" })).toHaveCount(0);
  // Another session opens in its place (the most recent one left).
  await frames.waitFor("sent", "session:subscribe", (p) => p.sessionId !== doomed && typeof p.sessionId === "string");
  await page.getByRole("button", { name: "Sessions" }).click();
  await expect(
    page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: /^Actions for/ }),
  ).not.toHaveCount(0);
  expect(await page.evaluate(() => localStorage.getItem("pocket-agent:last-session"))).not.toBe(doomed);
});
