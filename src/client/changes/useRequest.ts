import { useEffect, useState } from "react";
import type { ClientEventName, ClientPayload, ServerEventName, ServerPayload } from "../../shared/messages.ts";
import { useChatActor } from "../chat/useChat.ts";
import { type ClientError, requestReply, toClientError } from "../connection/request.ts";

export type Loaded<T> = { state: "loading" } | { state: "error"; error: ClientError } | { state: "ready"; value: T };

/**
 * Asks the server once per distinct payload (and again on `retry`), over the chat's socket; the
 * answer, or its error, is the state. A request still out when the payload changes or the view
 * goes away is abandoned.
 */
export function useRequest<Req extends ClientEventName, Res extends ServerEventName>(
  event: Req,
  payload: Omit<ClientPayload<Req>, "requestId">,
  reply: Res,
): { loaded: Loaded<ServerPayload<Res>>; retry: () => void } {
  const chat = useChatActor();
  const [loaded, setLoaded] = useState<Loaded<ServerPayload<Res>>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const key = JSON.stringify(payload);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the payload; `attempt` asks again
  useEffect(() => {
    const { socket, timeoutMs } = chat.getSnapshot().context;
    const abort = new AbortController();
    setLoaded({ state: "loading" });
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
  }, [chat, event, reply, key, attempt]);
  return { loaded, retry: () => setAttempt((n) => n + 1) };
}
