/**
 * The session settings' "Always allowed" list: the rules "Always allow" added to the session
 * (`permission:rules`), each with Revoke (`permission:revoke`). Follows other devices: a rule added
 * (`permission:resolved` with its `rule`) or revoked (`permission:revoked`) elsewhere shows here.
 */
import { useEffect, useState } from "react";
import type { AllowRule } from "../../shared/messages.ts";
import { describeRule } from "../../shared/ruleWords.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { type ClientError, requestReply, toClientError } from "../connection/request.ts";
import { Button } from "../ui/button.tsx";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { SpinnerIcon } from "../ui/icons.tsx";
import { ScopeText } from "./ScopeText.tsx";

type RulesState =
  | { status: "loading" }
  | { status: "ready"; rules: AllowRule[] }
  | { status: "error"; error: ClientError };

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function AllowedRules({ sessionId, cwd }: { sessionId: string; cwd: string }) {
  const chat = useChatActor();
  const connected = useChatSelector((s) => s.context.connection.status === "connected");
  const [state, setState] = useState<RulesState>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [revokeError, setRevokeError] = useState<{ ruleId: string; error: ClientError } | null>(null);
  // The list as loaded, changed in place by a rule added or revoked (here or on another device).
  const edit = (update: (rules: AllowRule[]) => AllowRule[]) =>
    setState((previous) => (previous.status === "ready" ? { ...previous, rules: update(previous.rules) } : previous));
  const drop = (ruleId: string) => edit((rules) => rules.filter((r) => r.id !== ruleId));

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is the Try again button: it asks again
  useEffect(() => {
    if (!connected) return;
    const { socket } = chat.getSnapshot().context;
    let live = true;
    setState({ status: "loading" });
    const onResolved = (payload: { sessionId: string; rule?: AllowRule }) => {
      const { rule } = payload;
      if (payload.sessionId === sessionId && rule)
        edit((rules) => (rules.some((r) => r.id === rule.id) ? rules : [...rules, rule]));
    };
    const onRevoked = (payload: { sessionId: string; ruleId: string }) => {
      if (payload.sessionId === sessionId) drop(payload.ruleId);
    };
    socket.on("permission:resolved", onResolved);
    socket.on("permission:revoked", onRevoked);
    requestReply(socket, {
      event: "permission:rules",
      payload: { sessionId, requestId: crypto.randomUUID() },
      reply: "permission:rules",
    }).then(
      (reply) => live && setState({ status: "ready", rules: reply.rules }),
      (error: unknown) => live && setState({ status: "error", error: toClientError(error) }),
    );
    return () => {
      live = false;
      socket.off("permission:resolved", onResolved);
      socket.off("permission:revoked", onRevoked);
    };
  }, [chat, sessionId, connected, attempt]);

  const revoke = (rule: AllowRule) => {
    const { socket } = chat.getSnapshot().context;
    setRevoking(rule.id);
    setRevokeError(null);
    requestReply(socket, {
      event: "permission:revoke",
      payload: { sessionId, ruleId: rule.id, requestId: crypto.randomUUID() },
      reply: "permission:revoked",
    }).then(
      () => {
        setRevoking(null);
        drop(rule.id);
      },
      (error: unknown) => {
        setRevoking(null);
        const failure = toClientError(error);
        // Revoked meanwhile (another device): the list just follows.
        if (failure.code === "RULE_NOT_FOUND") drop(rule.id);
        else setRevokeError({ ruleId: rule.id, error: failure });
      },
    );
  };

  return (
    <section className="space-y-2" aria-labelledby="settings-rules-heading" aria-busy={state.status === "loading"}>
      <h3 id="settings-rules-heading" className="font-medium text-sm">
        Always allowed
      </h3>
      {state.status === "loading" ? (
        <p className="flex items-center gap-2 text-muted-foreground text-sm" role="status">
          <SpinnerIcon className="size-4" /> {connected ? "Loading…" : "Reconnect to see them."}
        </p>
      ) : state.status === "error" ? (
        <div role="alert">
          <ErrorBox code={state.error.code} message={state.error.message}>
            <Button variant="outline" size="sm" className="mt-1 h-8 text-xs" onClick={() => setAttempt((n) => n + 1)}>
              Try again
            </Button>
          </ErrorBox>
        </div>
      ) : state.rules.length === 0 ? (
        <p className="text-muted-foreground text-sm">
          Nothing yet. “Always allow…” on an approval adds a rule here, for this session only.
        </p>
      ) : (
        <ul className="divide-y rounded-xl border" aria-label="Rules allowed in this session">
          {state.rules.map((rule) => {
            const words = describeRule(rule, cwd);
            return (
              <li key={rule.id} className="flex items-center gap-2 py-1.5 pr-1.5 pl-3">
                <div className="min-w-0 flex-1">
                  <p className="break-words text-sm">
                    <ScopeText text={words} />
                  </p>
                  <p className="text-muted-foreground text-xs">Since {timeFormat.format(new Date(rule.createdAt))}</p>
                  {revokeError?.ruleId === rule.id ? (
                    <p role="alert" className="text-destructive text-xs">
                      Not revoked: {revokeError.error.message}
                    </p>
                  ) : null}
                </div>
                <Button
                  variant="outline"
                  size="sm"
                  className="h-11 shrink-0"
                  aria-label={`Revoke: ${words.replaceAll("`", "")}`}
                  disabled={!connected || revoking !== null}
                  onClick={() => revoke(rule)}
                >
                  {revoking === rule.id ? <SpinnerIcon /> : null}
                  Revoke
                </Button>
              </li>
            );
          })}
        </ul>
      )}
      <p className="text-muted-foreground text-xs">A revoked rule asks again the next time.</p>
    </section>
  );
}
