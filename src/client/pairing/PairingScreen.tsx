import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import type { ActorRefFrom, SnapshotFrom } from "xstate";
import { Button } from "../ui/button.tsx";
import { AlertIcon, ShieldIcon, SpinnerIcon } from "../ui/icons.tsx";
import { LinkIcon, QrIcon } from "../ui/sheetIcons.tsx";
import { useNow } from "../ui/useNow.ts";
import { useSelector } from "../ui/useSelector.ts";
import { describePairFailure } from "./pairing.ts";
import type { pairingMachine } from "./pairingMachine.ts";

export type PairingActorRef = ActorRefFrom<typeof pairingMachine>;
type PairingSnapshot = SnapshotFrom<typeof pairingMachine>;

const selectFailure = (s: PairingSnapshot) => s.context.failure;
const selectRetryUntil = (s: PairingSnapshot) => s.context.retryUntil;
const selectLinkFailed = (s: PairingSnapshot) => s.context.linkFailed;
const selectLost = (s: PairingSnapshot) => s.context.lostPairing;
const selectPairing = (s: PairingSnapshot) => s.matches("pairing");

/**
 * "Pair this device": shown instead of the app while the server does not
 * accept this browser. Scan the QR code from the server's terminal (it opens
 * the pairing link), or paste the token (or the whole link) here.
 */
export function PairingScreen({ actor }: { actor: PairingActorRef }) {
  const failure = useSelector(actor, selectFailure);
  const retryUntil = useSelector(actor, selectRetryUntil);
  const linkFailed = useSelector(actor, selectLinkFailed);
  const lost = useSelector(actor, selectLost);
  const pairing = useSelector(actor, selectPairing);
  const now = useNow(retryUntil === null ? 60_000 : 1_000);
  const [token, setToken] = useState("");
  const field = useRef<HTMLInputElement>(null);
  const headingId = useId();
  const fieldId = useId();
  const hintId = useId();
  const errorId = useId();

  const remainingSec = retryUntil === null ? 0 : Math.max(0, (retryUntil - now) / 1000);
  const throttled = remainingSec > 0;
  const showFailure = failure !== null && (failure.kind !== "rate-limited" || throttled);

  // After a failed attempt the field keeps focus (and its text) for a quick fix.
  useEffect(() => {
    if (failure && failure.kind !== "rate-limited") field.current?.select();
  }, [failure]);

  return (
    <main
      aria-labelledby={headingId}
      className="flex h-full flex-col overflow-y-auto bg-background px-4 pt-[max(env(safe-area-inset-top),1.5rem)] pb-[max(env(safe-area-inset-bottom),1.5rem)]"
    >
      <div className="mx-auto w-full max-w-md flex-1 space-y-6 sm:pt-[8vh]">
        <div className="space-y-3 text-center">
          <div className="mx-auto flex size-14 items-center justify-center rounded-2xl bg-accent text-accent-foreground">
            <ShieldIcon className="size-7" />
          </div>
          <h1 id={headingId} className="font-semibold text-2xl">
            Pair this device
          </h1>
          <p className="text-muted-foreground">
            Pocket Agent runs commands on your workstation, so it only answers devices you have paired with it.
          </p>
        </div>

        {linkFailed ? (
          <Notice tone="error">
            <p className="font-medium">That pairing link didn't work.</p>
            <p className="text-xs opacity-90">
              It may be an old link: the token changes when the server's token is rotated. Scan the QR code the server
              shows now, or paste its token below.
            </p>
          </Notice>
        ) : lost ? (
          <Notice tone="warning">
            <p className="font-medium">The server no longer accepts this device.</p>
            <p className="text-xs opacity-90">Its token was probably changed. Pair again with the new one.</p>
          </Notice>
        ) : null}

        <ol className="space-y-3 text-[15px]">
          <li className="flex gap-3 rounded-xl border bg-card p-3">
            <QrIcon className="mt-0.5 size-5 shrink-0 text-muted-foreground" />
            <p>
              <span className="font-medium">Scan the QR code</span> that Pocket Agent printed in its terminal on your
              workstation when it started. It opens this app already paired.
            </p>
          </li>
          <li className="flex gap-3 rounded-xl border bg-card p-3">
            <LinkIcon className="mt-0.5 size-5 shrink-0 text-muted-foreground" />
            <p>
              <span className="font-medium">Or paste the token</span>: the part after <code>?token=</code> in the
              pairing link under the QR code (pasting the whole link works too).
            </p>
          </li>
        </ol>

        <form
          className="space-y-3"
          onSubmit={(event) => {
            event.preventDefault();
            actor.send({ type: "PAIR", token });
          }}
        >
          <div className="space-y-1.5">
            <label htmlFor={fieldId} className="font-medium text-sm">
              Token
            </label>
            <input
              ref={field}
              id={fieldId}
              name="token"
              type="text"
              value={token}
              onChange={(event) => setToken(event.target.value)}
              autoComplete="off"
              autoCapitalize="off"
              autoCorrect="off"
              spellCheck={false}
              inputMode="text"
              enterKeyHint="go"
              placeholder="Paste the token or the pairing link"
              aria-describedby={showFailure ? `${errorId} ${hintId}` : hintId}
              aria-invalid={showFailure && failure?.kind === "wrong-token" ? true : undefined}
              className="h-12 w-full rounded-xl border border-input bg-card px-3.5 font-mono text-[15px] placeholder:font-sans placeholder:text-muted-foreground focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none aria-[invalid=true]:border-destructive"
            />
            <p id={hintId} className="text-muted-foreground text-xs">
              The token is a secret: anyone who has it can use your workstation through Pocket Agent.
            </p>
          </div>
          <div id={errorId}>
            {showFailure && failure ? (
              <Notice tone="error">
                <p>{describePairFailure(failure, remainingSec)}</p>
              </Notice>
            ) : null}
          </div>
          <Button type="submit" className="w-full" disabled={pairing || throttled || token.trim() === ""}>
            {pairing ? <SpinnerIcon /> : null}
            {pairing ? "Pairing…" : "Pair"}
          </Button>
        </form>

        <p className="text-center text-muted-foreground text-xs">
          Lost the token? On your workstation, run <code className="font-mono">pocket-agent pair</code> (in a checkout,{" "}
          <code className="font-mono">npx pocket-agent pair</code>): it prints the pairing link and QR code again,
          without a restart.
        </p>
      </div>
    </main>
  );
}

function Notice({ tone, children }: { tone: "error" | "warning"; children: ReactNode }) {
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={
        tone === "error"
          ? "flex gap-2.5 rounded-xl border border-destructive/30 bg-destructive-surface px-3 py-2.5 text-destructive text-sm"
          : "flex gap-2.5 rounded-xl border border-warning/40 bg-warning-surface px-3 py-2.5 text-sm text-warning"
      }
    >
      <AlertIcon className="mt-0.5 size-4 shrink-0" />
      <div className="min-w-0 flex-1 space-y-1">{children}</div>
    </div>
  );
}
