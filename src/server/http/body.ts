/**
 * The body's bytes, or null when it exceeds `maxBytes`: read incrementally and given up as soon as
 * it is too long (a huge body is never buffered). A declared Content-Length over the cap is
 * refused before anything is read.
 */
export async function readBodyBytes(
  req: Pick<Request, "headers" | "body">,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return null;
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The body as text, or null when it exceeds `maxBytes` (see readBodyBytes). */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<string | null> {
  const bytes = await readBodyBytes(req, maxBytes);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}
