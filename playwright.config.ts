import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_PATH, chromiumArgs } from "./tests/e2e/support/chromium.ts";

/**
 * E2E: Debian's Chromium (never a downloaded browser) against the real server,
 * the real Claude Code CLI and the fake Anthropic API, each started by the
 * worker fixture in tests/e2e/fixtures.ts.
 */

export default defineConfig({
  testDir: "tests/e2e",
  testMatch: "**/*.spec.ts",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  // CI gets one retry: a test that passes only on its retry is still printed as "flaky" (decision 035).
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  use: {
    launchOptions: { executablePath: CHROMIUM_PATH, args: chromiumArgs },
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "phone",
      use: { ...devices["iPhone 8"], viewport: { width: 375, height: 667 }, browserName: "chromium" },
    },
    { name: "desktop", use: { viewport: { width: 1280, height: 800 } } },
  ],
});
