import { createSession } from "./support/app.ts";
import { CHROMIUM_PATH, chromiumArgs } from "./support/chromium.ts";
import { expect, test, VOICE_WAV } from "./support/voiceStack.ts";

/**
 * Voice dictation end to end: Chromium's fake microphone plays an espeak-ng
 * clip, the app records it with MediaRecorder, uploads it to
 * `POST /api/transcribe` (pocketsphinx with a grammar on the server) and puts
 * the text in the composer at the caret, without sending anything.
 */
test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [
      ...chromiumArgs,
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${VOICE_WAV}%noloop`,
    ],
  },
});

test("Record voice → stop: the phrase lands at the caret, nothing is sent, the socket stays", async ({
  page,
  frames,
}) => {
  await createSession(page, frames);
  const socketsBefore = frames.sockets;
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("Please ");
  await box.press("End");

  const record = page.getByRole("button", { name: "Record voice", exact: true });
  await expect(record).toBeEnabled();
  await record.click();
  const timer = page.getByRole("timer");
  await expect(timer).toBeVisible();
  await expect(page.getByText("Listening…")).toBeVisible();
  await expect(page.locator("[data-level-meter]")).toHaveAttribute("data-level-meter", "live");
  await page.screenshot({ path: test.info().outputPath("voice-recording.png") });
  // The clip lasts 3 s: stop once it has played (the timer shows the elapsed time).
  await expect(timer).toHaveText(/^00:0[3-9]$/, { timeout: 20_000 });

  const upload = page.waitForResponse((r) => r.url().endsWith("/api/transcribe") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Stop recording" }).click();
  const response = await upload;
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { text: string; engine: string };
  expect(body).toMatchObject({ text: "run the tests", engine: "pocketsphinx" });
  const sentType = response.request().headers()["content-type"] ?? "";
  expect(sentType).toMatch(/^multipart\/form-data/);

  await expect(box).toHaveValue("Please run the tests");
  await expect(box).toBeFocused();
  expect(await box.evaluate((el: HTMLTextAreaElement) => [el.selectionStart, el.selectionEnd])).toEqual([20, 20]);
  expect(frames.sent("chat:send")).toEqual([]);
  expect(frames.sockets).toBe(socketsBefore);
  await expect(page.getByRole("button", { name: "Send" })).toBeEnabled();
});

test("Cancel while recording: nothing is uploaded, the text is untouched", async ({ page, frames }) => {
  await createSession(page, frames);
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("Keep this");
  let uploads = 0;
  page.on("request", (r) => {
    if (r.url().endsWith("/api/transcribe") && r.method() === "POST") uploads += 1;
  });
  await page.getByRole("button", { name: "Record voice", exact: true }).click();
  await expect(page.getByRole("timer")).toBeVisible();
  await page.getByRole("button", { name: "Cancel recording" }).click();
  await expect(page.getByRole("timer")).toHaveCount(0);
  await expect(box).toHaveValue("Keep this");
  await expect(page.getByRole("button", { name: "Record voice", exact: true })).toBeEnabled();
  expect(uploads).toBe(0);
});

test("no engine on the server: the mic is disabled and says how to set one up", async ({ page, frames }) => {
  const hint = "No speech-to-text engine is set up on the server. To set one up, install pocketsphinx.";
  await page.route("**/api/transcribe", (route) =>
    route.request().method() === "GET"
      ? route.fulfill({
          json: {
            mode: "auto",
            engine: null,
            checked: true,
            running: 0,
            queued: 0,
            maxConcurrent: 1,
            maxQueue: 2,
            maxBytes: 26214400,
            maxDurationSec: 600,
            setupHint: hint,
          },
        })
      : route.continue(),
  );
  const reloaded = frames.mark();
  await page.reload();
  await frames.waitFor("received", "connection", () => true, 30_000, reloaded);
  await createSession(page, frames);
  const mic = page.getByRole("button", { name: "Record voice (not available)" });
  // A tap says what to do now (the keyboard's own dictation), and looks for an engine again; the
  // server's recipe waits behind "Set up on the server".
  const recheck = page.waitForRequest((r) => r.url().endsWith("/api/transcribe") && r.method() === "GET");
  if (test.info().project.use.hasTouch) await mic.tap();
  else await mic.click();
  await recheck;
  const explanation = page.getByRole("dialog", { name: "Voice input" });
  await expect(explanation).toContainText("Voice input isn't available");
  await expect(explanation).toContainText("your keyboard's own dictation");
  await expect(mic).toHaveAttribute("aria-expanded", "true");
  const recipe = explanation.getByText("install pocketsphinx");
  await expect(recipe).toBeHidden();
  await explanation.getByText("Set up on the server", { exact: true }).click();
  await expect(recipe).toBeVisible();
  await expect(explanation).toContainText("No speech-to-text engine is set up on the server.");
  await page.screenshot({ path: test.info().outputPath("voice-unavailable.png") });
  await explanation.getByRole("button", { name: "OK" }).click();
  await expect(explanation).toBeHidden();
  await expect(page.getByRole("timer")).toHaveCount(0);
});
