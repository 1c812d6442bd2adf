/**
 * Sessions → Machines: the workstations this server links (issue 21, decision 060), each with
 * its state; add one by pasting its pairing link (or its address and token); remove one; confirm
 * a changed certificate. Loaded with its own chunk when first opened.
 */
import { type ComponentProps, type FormEvent, useId, useState } from "react";
import type { Machine } from "../../shared/messages.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { type ClientError, requestReply, toClientError } from "../connection/request.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { PlusIcon, ShieldIcon, SpinnerIcon } from "../ui/icons.tsx";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import { LaptopIcon, MonitorIcon, TrashIcon } from "../ui/sheetIcons.tsx";
import { machineStatusText, readAddForm, shortFingerprint } from "./machines.ts";

export interface MachinesSheetProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

/** `machine:add` waits for the machine's first answer (up to 10 s on the server). */
const ADD_TIMEOUT_MS = 20_000;

export function MachinesSheet({ open, onOpenChange }: MachinesSheetProps) {
  const machines = useChatSelector((s) => s.context.machines);
  const connected = useChatSelector((s) => s.context.connection.status === "connected");
  const listId = useId();
  return (
    <Sheet open={open} onOpenChange={onOpenChange}>
      <SheetContent side="right" title="Machines" description="Workstations this server reaches for you">
        <div className="flex-1 space-y-6 overflow-y-auto overscroll-contain px-4 py-4">
          <section aria-labelledby={listId} className="space-y-2">
            <h3 id={listId} className="sr-only">
              Linked machines
            </h3>
            {machines.length === 0 ? (
              <p className="text-muted-foreground text-sm">
                {connected ? "Loading machines…" : "The machines are listed once connected."}
              </p>
            ) : (
              <ul className="space-y-2">
                {machines.map((machine) => (
                  <MachineRow key={machine.id} machine={machine} />
                ))}
              </ul>
            )}
          </section>
          <AddMachine disabled={!connected} />
        </div>
      </SheetContent>
    </Sheet>
  );
}

function MachineRow({ machine }: { machine: Machine }) {
  const chat = useChatActor();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const local = machine.id === "local";
  const Icon = local ? MonitorIcon : LaptopIcon;

  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(toClientError(caught));
    } finally {
      setBusy(false);
    }
  };
  const socket = () => chat.getSnapshot().context.socket;
  const remove = () =>
    run(() =>
      requestReply(socket(), {
        event: "machine:remove",
        payload: { machineId: machine.id, requestId: crypto.randomUUID() },
        reply: "machine:removed",
      }),
    );
  const trust = (fingerprint: string) =>
    run(() =>
      requestReply(socket(), {
        event: "machine:trust",
        payload: { machineId: machine.id, fingerprint, requestId: crypto.randomUUID() },
        reply: "machine:updated",
      }),
    );

  return (
    <li
      data-machine-id={machine.id}
      data-machine-status={machine.status}
      className="space-y-2 rounded-xl border bg-card px-3 py-2.5"
    >
      <div className="flex items-start gap-3">
        <Icon className="mt-0.5 size-5 shrink-0 text-muted-foreground" />
        <div className="min-w-0 flex-1">
          <p className="flex items-center gap-2">
            <span className="truncate font-medium text-[15px]">{machine.name}</span>
            {machine.status === "connecting" ? (
              <SpinnerIcon aria-hidden="true" className="size-3 shrink-0 text-amber-600" />
            ) : (
              <span
                aria-hidden="true"
                className={cn(
                  "size-2 shrink-0 rounded-full",
                  machine.status === "online" ? "bg-emerald-500" : "bg-muted-foreground/50",
                )}
              />
            )}
          </p>
          <p className={cn("text-xs", machine.status === "offline" ? "text-destructive" : "text-muted-foreground")}>
            {machineStatusText(machine)}
          </p>
          {machine.url ? <p className="truncate text-muted-foreground text-xs">{machine.url}</p> : null}
          {machine.fingerprint ? (
            <p className="flex items-center gap-1 text-muted-foreground text-xs" title={machine.fingerprint}>
              <ShieldIcon className="size-3 shrink-0" />
              <span className="truncate font-mono">{shortFingerprint(machine.fingerprint)}</span>
            </p>
          ) : null}
        </div>
        {local ? null : (
          <Button
            variant="ghost"
            size="icon"
            aria-label={`Remove ${machine.name}`}
            disabled={busy}
            onClick={() => setConfirming(true)}
          >
            <TrashIcon />
          </Button>
        )}
      </div>
      {machine.problem === "MACHINE_CERT_CHANGED" && machine.presentedFingerprint ? (
        <div className="space-y-2 rounded-lg bg-destructive-surface px-3 py-2 text-destructive text-sm">
          <p>
            It now presents another certificate:{" "}
            <span className="break-all font-mono text-xs">{machine.presentedFingerprint}</span>. Trust it only if you
            set that machine up again.
          </p>
          <Button variant="outline" size="sm" disabled={busy} onClick={() => trust(machine.presentedFingerprint ?? "")}>
            Trust the new certificate
          </Button>
        </div>
      ) : null}
      {error ? <ErrorBox code={error.code} message={error.message} /> : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Remove ${machine.name}?`}
        description="Its sessions leave this list. They stay on that machine, and come back if you add it again."
        confirmLabel="Remove"
        destructive
        onConfirm={() => {
          setConfirming(false);
          void remove();
        }}
      />
    </li>
  );
}

function AddMachine({ disabled }: { disabled: boolean }) {
  const chat = useChatActor();
  const [address, setAddress] = useState("");
  const [token, setToken] = useState("");
  const [name, setName] = useState("");
  const [adding, setAdding] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<ClientError | null>(null);
  const headingId = useId();
  const hintId = useId();
  const fromLink = /[?&]token=/.test(address);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const input = readAddForm({ address, token, name });
    if ("error" in input) {
      setProblem(input.error);
      return;
    }
    setProblem(null);
    setAdding(true);
    try {
      await requestReply(chat.getSnapshot().context.socket, {
        event: "machine:add",
        payload: { ...input, requestId: crypto.randomUUID() },
        reply: "machine:added",
        timeoutMs: ADD_TIMEOUT_MS,
      });
      setAddress("");
      setToken("");
      setName("");
    } catch (caught) {
      setError(toClientError(caught));
    } finally {
      setAdding(false);
    }
  };

  return (
    <section aria-labelledby={headingId} className="space-y-3">
      <h3 id={headingId} className="font-semibold text-[15px]">
        Add a machine
      </h3>
      <p id={hintId} className="text-muted-foreground text-sm">
        On the other machine, run <code className="font-mono text-xs">pocket-agent pair</code> and paste the link it
        prints.
      </p>
      <form className="space-y-3" onSubmit={submit} noValidate>
        <Field
          label="Pairing link or address"
          value={address}
          onChange={setAddress}
          placeholder="https://desk.local:8443/?token=…"
          inputMode="url"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          aria-describedby={hintId}
        />
        {fromLink ? null : (
          <Field label="Access token" value={token} onChange={setToken} type="password" autoComplete="off" />
        )}
        <Field
          label="Name (optional)"
          value={name}
          onChange={setName}
          placeholder="The name it gives itself"
          maxLength={60}
        />
        {problem ? (
          <p role="alert" className="text-destructive text-sm">
            {problem}
          </p>
        ) : null}
        {error ? <ErrorBox code={error.code} message={error.message} /> : null}
        <Button type="submit" className="w-full" disabled={disabled || adding}>
          {adding ? <SpinnerIcon /> : <PlusIcon />}
          {adding ? "Connecting…" : "Add machine"}
        </Button>
      </form>
    </section>
  );
}

/** A labelled text field of the add form. */
function Field({
  label,
  onChange,
  ...input
}: { label: string; value: string; onChange: (value: string) => void } & Omit<
  ComponentProps<"input">,
  "onChange" | "value" | "className" | "id"
>) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="text-muted-foreground text-xs">
        {label}
      </label>
      <input
        id={id}
        className="h-11 w-full rounded-xl border border-input bg-card px-3 text-[15px] focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none"
        onChange={(event) => onChange(event.target.value)}
        {...input}
      />
    </div>
  );
}
