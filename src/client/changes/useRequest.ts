import { useEffect, useState } from "react";
import type { ClientEventName, ClientPayload, ServerEventName, ServerPayload } from "../../shared/messages.ts";
import { useChatActor } from "../chat/useChat.ts";
import { type ClientError, requestReply, toClientError } from "../connection/request.ts";

export type Loaded<T> = { state: "loading" } | { state: "error"; error: ClientError } | { state: "ready"; value: T };

/**
 * Asks the server once per distinct payload (and again on `retry` or a new `refreshKey`), over the
 * chat's socket; the answer, or its error, is the state. A refresh keeps showing the answer it
 * replaces until the new one is in (no spinner over a list the user is reading). A request still
 * out when the payload changes or the view goes away is abandoned.
 */
export function useRequest<Req extends ClientEventName, Res extends ServerEventName>(
  event: Req,
  payload: Omit<ClientPayload<Req>, "requestId">,
  reply: Res,
  refreshKey: unknown = null,
): { loaded: Loaded<ServerPayload<Res>>; retry: () => void } {
  const chat = useChatActor();
  const [loaded, setLoaded] = useState<Loaded<ServerPayload<Res>>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const key = JSON.stringify(payload);
  const [shownKey, setShownKey] = useState(key);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the payload; `attempt` and `refreshKey` ask again
  useEffect(() => {
    const { socket, timeoutMs } = chat.getSnapshot().context;
    const abort = new AbortController();
    // Another payload starts afresh; the same one asked again keeps its answer meanwhile.
    setLoaded((previous) => (previous.state === "ready" && shownKey === key ? previous : { state: "loading" }));
    setShownKey(key);
    requestReply(socket, {
      event,
      payload: { ...payload, requestId: crypto.randomUUID() } as ClientPayload<Req> & { requestId: string },
      reply,
      timeoutMs,
      signal: abort.signal,
    }).then(
      (value) => setLoaded({ state: "ready", value }),
      (error) => {
        if (!abort.signal.aborted) setLoaded({ state: "error", error: toClientError(error) });
      },
    );
    return () => abort.abort();
  }, [chat, event, reply, key, attempt, refreshKey]);
  return { loaded, retry: () => setAttempt((n) => n + 1) };
}
