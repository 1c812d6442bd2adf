import { useEffect, useRef } from "react";
import { useChatSelector } from "./useChat.ts";

/**
 * Frees the object URL of a sent image's preview once its message has left the outbox: the server
 * has the image then, and the conversation shows the server's copy. (The composer frees the
 * previews of images removed before sending.)
 */
export function useReleasedPreviews(): void {
  const urls = useChatSelector((s) =>
    s.context.outbox.flatMap((send) => (send.attachments ?? []).map((image) => image.previewUrl)).join("\n"),
  );
  const held = useRef<Set<string>>(new Set());
  useEffect(() => {
    const now = new Set(urls ? urls.split("\n") : []);
    for (const url of held.current) if (!now.has(url)) URL.revokeObjectURL(url);
    held.current = now;
  }, [urls]);
}
