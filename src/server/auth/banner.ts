/**
 * The startup banner: the one place the access token is ever printed.
 */
import qrcode from "qrcode-terminal";

/** `origin/?token=…`: opening it pairs the browser (see `createAuth().checkHttp`). */
export function pairingUrl(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, "")}/?token=${encodeURIComponent(token)}`;
}

function renderQr(text: string): string {
  let out = "";
  qrcode.generate(text, { small: true }, (code) => {
    out = code;
  });
  return out;
}

/**
 * Prints the pairing URL and a QR code of it. `write` defaults to
 * `console.log` (stdout, not the logger): the token must not reach log files.
 */
export function printPairingBanner(url: string, write: (text: string) => void = console.log): void {
  write(
    [
      "",
      "Pair your phone: scan the QR code or open this URL on it.",
      "Anyone with this URL can run commands on this machine: do not share it.",
      "",
      `  ${url}`,
      "",
      renderQr(url),
      "",
    ].join("\n"),
  );
}
