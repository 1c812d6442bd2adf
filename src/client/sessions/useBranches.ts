import { useEffect, useState } from "react";
import { useChatActor } from "../chat/useChat.ts";
import { requestReply } from "../connection/request.ts";

/**
 * The checked-out branch of each project, by path, for the sessions list's rows: asked once per
 * opening of the list (`project:list`, which the server answers from its cached walk). Until it
 * answers, or if it fails, rows show their folder without a branch.
 */
export function useBranches(): ReadonlyMap<string, string> {
  const chat = useChatActor();
  const [branches, setBranches] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    const { socket, timeoutMs } = chat.getSnapshot().context;
    const stop = new AbortController();
    requestReply(socket, {
      event: "project:list",
      payload: { requestId: crypto.randomUUID() },
      reply: "project:list",
      timeoutMs,
      signal: stop.signal,
    }).then(
      ({ projects }) =>
        setBranches(new Map(projects.flatMap((project) => (project.branch ? [[project.path, project.branch]] : [])))),
      () => {
        // A convenience: without it the rows keep their folder.
      },
    );
    return () => stop.abort();
  }, [chat]);
  return branches;
}
