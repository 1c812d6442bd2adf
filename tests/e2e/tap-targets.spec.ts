import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures.ts";
import { turnDone } from "./helpers.ts";
import { createSession, sendMessage } from "./support/app.ts";

/**
 * Every control a thumb can reach is at least 44 × 44 CSS px (issue #23 §5), on the screens a
 * phone user sees most: the conversation after a turn with steps, and the sessions list. Links
 * inside the agent's prose are exempt (inline targets, as WCAG 2.5.8 allows).
 */

/** The visible controls smaller than 44 px in either direction, named for the failure message. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = document.querySelectorAll<HTMLElement>(
      "button, a[href], [role=button], [role=tab], [role=radio], [role=menuitem], select, input:not([type=hidden]), textarea",
    );
    const small: string[] = [];
    for (const control of controls) {
      if (control.tagName === "A" && control.closest(".md")) continue; // a link in the agent's prose
      if (control.closest("[aria-hidden=true], [inert]")) continue;
      if (control.classList.contains("sr-only")) continue; // a file input a visible button opens
      const box = control.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue; // not rendered
      const style = getComputedStyle(control);
      if (style.visibility === "hidden" || style.display === "none") continue;
      // A native radio or checkbox inside a label: the label is the target.
      const choice = control instanceof HTMLInputElement && (control.type === "radio" || control.type === "checkbox");
      const target = (choice && control.labels?.[0]) || control;
      let { width, height } = target.getBoundingClientRect();
      // A tap area drawn past the control by an absolutely placed ::before or ::after (e.g. the title).
      for (const pseudo of ["::before", "::after"]) {
        const extra = getComputedStyle(target, pseudo);
        if (extra.content === "none" || extra.position !== "absolute") continue;
        const px = (value: string) => (value.endsWith("px") ? Number.parseFloat(value) : 0);
        width = Math.max(width, width - px(extra.left) - px(extra.right));
        height = Math.max(height, height - px(extra.top) - px(extra.bottom));
      }
      const area = { width, height };
      if (Math.round(area.width) < 44 || Math.round(area.height) < 44) {
        const name =
          control.getAttribute("aria-label") || control.textContent?.trim() || control.outerHTML.slice(0, 60);
        small.push(`${name.slice(0, 40)} (${Math.round(area.width)}×${Math.round(area.height)})`);
      }
    }
    return small;
  });
}

test("the conversation and the sessions list: no control under 44 px", async ({ page, frames, stack }) => {
  const prompt = `targets ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(
    [
      { kind: "message", blocks: [{ type: "tool_use", name: "Bash", input: { command: "ls", description: "List" } }] },
      { kind: "message", blocks: [{ type: "text", text: "Here:\n\n```ts\nconst a = 1;\n```\n\nDone." }] },
    ],
    prompt,
  );
  await createSession(page, frames);
  const sent = await sendMessage(page, frames, prompt);
  await turnDone(frames, sent.requestId);
  await expect(page.getByText("Done.")).toBeVisible();
  expect(await smallTargets(page)).toEqual([]);

  await page.getByRole("button", { name: "Sessions" }).click();
  await expect(page.getByRole("dialog", { name: "Sessions" })).toBeVisible();
  expect(await smallTargets(page)).toEqual([]);
});

test("an approval card, its Always allow choice, and the session settings: no control under 44 px", async ({
  page,
  frames,
  stack,
}) => {
  const prompt = `targets ask ${crypto.randomUUID().slice(0, 8)}`;
  await stack.script(
    [
      {
        kind: "message",
        blocks: [{ type: "tool_use", name: "Bash", input: { command: "touch e2e-targets.txt", description: "Touch" } }],
      },
      { kind: "message", blocks: [{ type: "text", text: "Touched." }] },
    ],
    prompt,
  );
  await createSession(page, frames);
  const sent = await sendMessage(page, frames, prompt);
  await frames.waitFor("received", "permission:request", (p) => p.requestId === sent.requestId, 45_000);
  const card = page.getByRole("complementary", { name: "Pending approvals" }).getByRole("region");
  await expect(card.getByRole("button", { name: "Always allow…" })).toBeVisible();
  expect(await smallTargets(page)).toEqual([]);
  await card.getByRole("button", { name: "Always allow…" }).click();
  await expect(card.getByRole("radio").first()).toBeFocused();
  expect(await smallTargets(page)).toEqual([]);
  await card.getByRole("button", { name: "Always allow", exact: true }).click();
  await turnDone(frames, sent.requestId);

  await page.getByRole("button", { name: "Session settings" }).click();
  const settings = page.getByRole("dialog", { name: "Session settings" });
  await expect(settings.getByRole("list", { name: "Rules allowed in this session" })).toBeVisible();
  expect(await smallTargets(page)).toEqual([]);
});
