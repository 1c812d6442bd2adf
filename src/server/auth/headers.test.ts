import { describe, expect, test } from "bun:test";
import { contentSecurityPolicy, inlineScriptHashes, withSecurityHeaders } from "./headers.ts";

const sha256b64 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("base64");

const SAMPLE_HTML = `<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <script>window.__POCKET__ = { v: 1 };</script>
  <script type="module" src="/assets/app-1234.js"></script>
  <!-- <script>commented()</script> -->
  <script type="importmap">{"imports":{}}</script>
  <SCRIPT>
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");
  </SCRIPT>
  <script>window.__POCKET__ = { v: 1 };</script>
</head>
<body><div id="root"></div></body>
</html>`;

describe("inlineScriptHashes", () => {
  test("hashes the exact text of each inline script, skips src= scripts and comments, dedupes", () => {
    const hashes = inlineScriptHashes(SAMPLE_HTML);
    expect(hashes).toEqual([
      `'sha256-${sha256b64("window.__POCKET__ = { v: 1 };")}'`,
      `'sha256-${sha256b64('{"imports":{}}')}'`,
      `'sha256-${sha256b64('\n    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");\n  ')}'`,
    ]);
  });

  test("no inline scripts → no hashes", () => {
    expect(inlineScriptHashes('<script src="/a.js"></script><script defer src=/b.js></script>')).toEqual([]);
  });
});

describe("withSecurityHeaders", () => {
  const scriptHashes = inlineScriptHashes(SAMPLE_HTML);

  test("sets CSP (with the page's script hashes), Referrer-Policy, nosniff and Permissions-Policy", () => {
    const res = withSecurityHeaders(new Response("<html>", { headers: { "content-type": "text/html" } }), {
      https: false,
      scriptHashes,
      host: "127.0.0.1:3000",
    });
    const csp = res.headers.get("content-security-policy") ?? "";
    const directives = Object.fromEntries(
      csp.split(";").map((d) => {
        const [name = "", ...sources] = d.trim().split(/\s+/);
        return [name, sources.join(" ")];
      }),
    );
    expect(directives["default-src"]).toBe("'self'");
    expect(directives["script-src"]).toBe(`'self' ${scriptHashes.join(" ")}`);
    expect(directives["script-src"]).toContain(`'sha256-${sha256b64("window.__POCKET__ = { v: 1 };")}'`);
    expect(directives["style-src"]).toBe("'self'");
    expect(directives["img-src"]).toBe("'self' data: blob:");
    expect(directives["media-src"]).toBe("'self' blob:");
    expect(directives["connect-src"]).toBe("'self' ws://127.0.0.1:3000");
    expect(directives["frame-ancestors"]).toBe("'none'");
    expect(directives["base-uri"]).toBe("'none'");
    expect(directives["form-action"]).toBe("'self'");
    expect(directives["manifest-src"]).toBe("'self'");
    expect(directives["worker-src"]).toBe("'self'");
    expect(directives["object-src"]).toBe("'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("permissions-policy")).toContain("microphone=(self)");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("strict-transport-security")).toBeNull();
    expect(res.headers.get("content-type")).toBe("text/html");
  });

  test("over HTTPS: HSTS and a wss: connect source", () => {
    const res = withSecurityHeaders(new Response(null, { status: 204 }), { https: true, host: "box.local:8443" });
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self' wss://box.local:8443;");
    expect(res.status).toBe(204);
  });

  test("a Host header that is not a plain host cannot inject CSP directives", () => {
    const csp = contentSecurityPolicy({ https: false, host: "evil; script-src *" });
    expect(csp).toContain("connect-src 'self';");
    expect(csp.match(/script-src/g)).toHaveLength(1);
  });

  test("inline styles only when asked for", () => {
    expect(contentSecurityPolicy({ https: false, allowInlineStyles: true })).toContain(
      "style-src 'self' 'unsafe-inline'",
    );
  });

  test("responses with immutable headers are copied, body and status kept", async () => {
    const original = new Response("body", { status: 418, statusText: "teapot" });
    Object.defineProperty(original, "headers", {
      value: new Proxy(new Headers(), {
        get(target, prop) {
          if (prop === "set") {
            return () => {
              throw new TypeError("immutable");
            };
          }
          const value: unknown = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    });
    const res = withSecurityHeaders(original, { https: false });
    expect(res).not.toBe(original);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe("body");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
