/** Debian's Chromium, headless, with no background traffic: the one launch setup every E2E run uses. */
export const CHROMIUM_PATH = "/usr/bin/chromium";
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
