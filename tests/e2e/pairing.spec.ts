import { E2E_TOKEN, expect, test } from "./fixtures.ts";
import { createSession } from "./support/app.ts";

/**
 * Pairing (docs/security.md): an unpaired browser sees "Pair this device"
 * instead of a dead app; a pasted token or the pairing link pairs it. Every
 * test runs in a fresh browser context (no cookie). Wrong attempts count
 * towards the server's throttle (10 a minute per address, shared by all specs),
 * so this file makes only two.
 */
test.use({ paired: false });

test("a fresh browser sees the pairing screen, explained", async ({ page, frames }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Pair this device" })).toBeVisible();
  await expect(page.getByText("Scan the QR code")).toBeVisible();
  await expect(page.getByText("Or paste the token")).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Token" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Pair" })).toBeDisabled();
  await page.screenshot({ path: test.info().outputPath("pairing-screen.png"), fullPage: true });
  // The socket was refused, so nothing of the app leaked.
  expect(frames.received("connection")).toEqual([]);
  expect(await page.evaluate(() => fetch("/api/auth/status").then((r) => r.json()))).toEqual({ paired: false });
});

test("a wrong token says so; the right one pairs and the app works", async ({ page, frames, baseURL }) => {
  await page.goto("/");
  const field = page.getByRole("textbox", { name: "Token" });
  await field.fill("not-the-token-0000000000");
  const wrong = page.waitForResponse((r) => r.url().endsWith("/api/auth/pair"));
  await page.getByRole("button", { name: "Pair" }).click();
  expect((await wrong).status()).toBe(401);
  await expect(page.getByRole("alert")).toContainText("That token is not right");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await page.screenshot({ path: test.info().outputPath("pairing-wrong-token.png") });

  await field.fill(E2E_TOKEN);
  const right = page.waitForResponse((r) => r.url().endsWith("/api/auth/pair"));
  await page.getByRole("button", { name: "Pair" }).click();
  const response = await right;
  expect(response.status()).toBe(204);
  expect(response.request().postDataJSON()).toEqual({ token: E2E_TOKEN });
  expect(response.request().headers()["content-type"]).toBe("application/json");

  // The socket reconnects with the new cookie: the app is there and works.
  await frames.waitFor("received", "connection");
  await expect(page.getByRole("heading", { name: "Pair this device" })).toHaveCount(0);
  await createSession(page, frames);
  expect(page.url()).toBe(`${baseURL}/`);
  const cookies = await page.context().cookies();
  expect(cookies.some((c) => c.httpOnly && c.value !== "" && !c.value.includes(E2E_TOKEN))).toBe(true);
});

test("pasting the whole pairing link works too", async ({ page, frames, baseURL }) => {
  await page.goto("/");
  await page.getByRole("textbox", { name: "Token" }).fill(`${baseURL}/?token=${E2E_TOKEN}`);
  await page.getByRole("textbox", { name: "Token" }).press("Enter");
  await frames.waitFor("received", "connection");
  await expect(page.getByRole("heading", { name: "Pair this device" })).toHaveCount(0);
});

test("the pairing link pairs and the token leaves the address bar", async ({ page, frames, baseURL }) => {
  await page.goto(`/?token=${E2E_TOKEN}`);
  await frames.waitFor("received", "connection");
  expect(page.url()).toBe(`${baseURL}/`);
  expect(page.url()).not.toContain(E2E_TOKEN);
  await expect(page.getByRole("heading", { name: "Pair this device" })).toHaveCount(0);
  await expect(page.getByText("Connected.", { exact: true })).toBeAttached();
});

test("a wrong pairing link says the link did not work, and leaves the address bar clean", async ({ page, baseURL }) => {
  await page.goto("/?token=stale-token-from-before-the-rotation");
  await expect(page.getByRole("heading", { name: "Pair this device" })).toBeVisible();
  await expect(page.getByText("That pairing link didn't work.")).toBeVisible();
  await expect.poll(() => page.url()).toBe(`${baseURL}/`);
});

test("too many attempts: the server's Retry-After is counted down and the button waits", async ({ page }) => {
  // The real throttle would lock every spec out for a minute: the 429 is simulated here (the unit tests cover parsing).
  await page.route("**/api/auth/pair", (route) =>
    route.fulfill({
      status: 429,
      headers: { "Retry-After": "30", "content-type": "application/json" },
      body: JSON.stringify({ error: "Too many failed attempts.", code: "RATE_LIMITED" }),
    }),
  );
  await page.goto("/");
  await page.getByRole("textbox", { name: "Token" }).fill("anything-at-all-0000");
  await page.getByRole("button", { name: "Pair" }).click();
  await expect(page.getByRole("alert")).toContainText(/Too many attempts, try again in (30|29) s\./);
  await expect(page.getByRole("button", { name: "Pair" })).toBeDisabled();
});
