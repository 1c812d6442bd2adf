/**
 * One session's settings: its name, model and permission mode, what "Always
 * allow" allowed, and deleting it. Every change is a `session:update` / `session:delete` through the chat
 * machine; the server's `session:updated` broadcast is the truth shown here
 * (a change on its way shows right away).
 */
import { useEffect, useId, useMemo, useState } from "react";
import type { PermissionMode, Session } from "../../shared/messages.ts";
import { AllowedRules } from "../approvals/AllowedRules.tsx";
import { SessionUsage } from "../chat/SessionUsage.tsx";
import type { SessionPatch } from "../chat/types.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { ConfirmDialog } from "../ui/confirm-dialog.tsx";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { AlertIcon, SpinnerIcon } from "../ui/icons.tsx";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import { TrashIcon } from "../ui/sheetIcons.tsx";
import { Segmented } from "../ui/toggle-group.tsx";
import { PERMISSION_MODES, type PermissionModeInfo } from "./permissionModes.ts";
import { MODELS } from "./preferences.ts";

export interface SessionSettingsSheetProps {
  /** The session to edit; null: closed. */
  sessionId: string | null;
  onClose: () => void;
}

const capitalize = (text: string) => (text[0]?.toUpperCase() ?? "") + text.slice(1);

export function SessionSettingsSheet({ sessionId, onClose }: SessionSettingsSheetProps) {
  const sessions = useChatSelector((s) => s.context.sessions);
  const session = sessions.find((item) => item.id === sessionId);

  // Deleted (here or elsewhere): nothing left to edit.
  useEffect(() => {
    if (sessionId && !session) onClose();
  }, [sessionId, session, onClose]);

  return (
    <Sheet open={session !== undefined} onOpenChange={(open) => (open ? undefined : onClose())}>
      {session ? <SettingsContent session={session} /> : null}
    </Sheet>
  );
}

function SettingsContent({ session }: { session: Session }) {
  const actor = useChatActor();
  const ops = useChatSelector((s) => s.context.sessionOps);
  const opError = useChatSelector((s) => s.context.sessionOpError);
  const connected = useChatSelector((s) => s.context.connection.status === "connected");
  const mine = useMemo(() => ops.filter((op) => op.sessionId === session.id), [ops, session.id]);
  // Changes on their way win over the last confirmed state.
  const pending = useMemo(() => {
    const patch: SessionPatch = {};
    for (const op of mine) if (op.kind === "update") Object.assign(patch, op.patch);
    return patch;
  }, [mine]);
  const deleting = mine.some((op) => op.kind === "delete");
  const failed = opError?.op.sessionId === session.id ? opError : null;
  /** Where the refusal shows: next to the control that asked for the change. */
  const failedPart: "title" | "model" | "mode" | "delete" | null = !failed
    ? null
    : failed.op.kind === "delete"
      ? "delete"
      : failed.op.patch.permissionMode !== undefined
        ? "mode"
        : failed.op.patch.model !== undefined
          ? "model"
          : "title";
  const errorBox = failed ? (
    <div role="alert" ref={(el) => el?.scrollIntoView({ block: "nearest", behavior: "smooth" })}>
      <ErrorBox code={failed.error.code} message={failed.error.message}>
        <Button
          variant="outline"
          size="sm"
          className="mt-1 h-8 text-xs"
          onClick={() => actor.send({ type: "DISMISS_SESSION_ERROR" })}
        >
          Dismiss
        </Button>
      </ErrorBox>
    </div>
  ) : null;
  const [confirmBypass, setConfirmBypass] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const update = (patch: SessionPatch) => actor.send({ type: "UPDATE_SESSION", sessionId: session.id, patch });
  const model = pending.model ?? session.model;
  const mode = pending.permissionMode ?? session.permissionMode;
  const modelOptions = useMemo(() => {
    const options: { value: string; label: string }[] = MODELS.map((m) => ({ value: m, label: capitalize(m) }));
    if (!MODELS.some((m) => m === session.model)) options.push({ value: session.model, label: session.model });
    return options;
  }, [session.model]);

  const chooseMode = (next: PermissionMode) => {
    if (next === mode) return;
    if (next === "bypassPermissions") setConfirmBypass(true);
    else update({ permissionMode: next });
  };

  return (
    <SheetContent
      side="right"
      title="Session settings"
      description={<span className="break-all font-mono text-xs">{session.cwd}</span>}
    >
      <div className="flex-1 space-y-6 overflow-y-auto overscroll-contain px-4 py-4">
        <RenameForm
          key={session.id}
          title={session.title}
          saving={pending.title !== undefined}
          disabled={!connected || deleting}
          onRename={(title) => update({ title })}
        />
        {failedPart === "title" ? errorBox : null}

        <SessionUsage session={session} />

        <section className="space-y-2" aria-labelledby="settings-model-heading">
          <h3 id="settings-model-heading" className="font-medium text-sm">
            Model
          </h3>
          <Segmented label="Model" value={model} options={modelOptions} onChange={(next) => update({ model: next })} />
        </section>

        <PermissionModes value={mode} disabled={!connected || deleting} onChange={chooseMode} />
        <p className="-mt-4 text-muted-foreground text-xs">
          A new model or mode applies from the next message (a message already running finishes as it started).
        </p>
        {failedPart === "mode" ? errorBox : null}

        <AllowedRules sessionId={session.id} cwd={session.cwd} />

        <section className="space-y-2 border-t pt-4" aria-labelledby="settings-danger-heading">
          <h3 id="settings-danger-heading" className="font-medium text-sm">
            Delete
          </h3>
          <p className="text-muted-foreground text-sm">
            Removes the conversation and its history from the server. Files the agent changed stay as they are.
          </p>
          <Button
            variant="outline"
            className="w-full border-destructive/50 text-destructive hover:bg-destructive-surface"
            disabled={!connected || deleting}
            onClick={() => setConfirmDelete(true)}
          >
            {deleting ? <SpinnerIcon /> : <TrashIcon />}
            {deleting ? "Deleting…" : "Delete session"}
          </Button>
          {failedPart === "delete" ? errorBox : null}
        </section>
      </div>

      <ConfirmDialog
        open={confirmBypass}
        onOpenChange={setConfirmBypass}
        destructive
        title="Skip all permission checks?"
        description="Claude will run every command and edit every file in this session without asking you first, including commands that delete or overwrite things, and anything a web page or file tells it to do."
        confirmLabel="Skip permission checks"
        onConfirm={() => update({ permissionMode: "bypassPermissions", confirmBypass: true })}
      >
        <p className="flex gap-2 rounded-xl border border-destructive/30 bg-destructive-surface px-3 py-2 text-destructive text-sm">
          <AlertIcon className="mt-0.5 size-4 shrink-0" />
          Only do this in a disposable folder or a sandbox.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        destructive
        title={`Delete “${session.title || "Untitled"}”?`}
        description="Its conversation is removed from the server and a message still running is stopped. This can't be undone."
        confirmLabel="Delete session"
        onConfirm={() => actor.send({ type: "DELETE_SESSION", sessionId: session.id })}
      />
    </SheetContent>
  );
}

function RenameForm({
  title,
  saving,
  disabled,
  onRename,
}: {
  title: string;
  saving: boolean;
  disabled: boolean;
  onRename: (title: string) => void;
}) {
  const [draft, setDraft] = useState(title);
  const fieldId = useId();
  // A rename from another device shows up here unless the user is editing.
  const [edited, setEdited] = useState(false);
  useEffect(() => {
    if (!edited) setDraft(title);
  }, [title, edited]);
  const trimmed = draft.trim();
  const changed = trimmed !== "" && trimmed !== title;
  return (
    <form
      className="space-y-2"
      onSubmit={(event) => {
        event.preventDefault();
        if (!changed) return;
        onRename(trimmed);
        setEdited(false);
      }}
    >
      <label htmlFor={fieldId} className="font-medium text-sm">
        Name
      </label>
      <div className="flex gap-2">
        <input
          id={fieldId}
          value={draft}
          maxLength={200}
          onChange={(event) => {
            setDraft(event.target.value);
            setEdited(true);
          }}
          enterKeyHint="done"
          autoComplete="off"
          className="h-11 min-w-0 flex-1 rounded-xl border border-input bg-card px-3 text-base placeholder:text-muted-foreground focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none"
          placeholder="Untitled"
        />
        <Button type="submit" disabled={disabled || !changed || saving}>
          {saving ? <SpinnerIcon /> : null}
          {saving ? "Saving…" : "Rename"}
        </Button>
      </div>
    </form>
  );
}

function PermissionModes({
  value,
  disabled,
  onChange,
}: {
  value: PermissionMode;
  disabled: boolean;
  onChange: (mode: PermissionMode) => void;
}) {
  const name = useId();
  return (
    <fieldset className="space-y-2" disabled={disabled}>
      <legend className="mb-2 font-medium text-sm">Permissions</legend>
      {PERMISSION_MODES.map((mode) => (
        <ModeOption key={mode.value} name={name} mode={mode} checked={mode.value === value} onChange={onChange} />
      ))}
    </fieldset>
  );
}

function ModeOption({
  name,
  mode,
  checked,
  onChange,
}: {
  name: string;
  mode: PermissionModeInfo;
  checked: boolean;
  onChange: (mode: PermissionMode) => void;
}) {
  const descriptionId = useId();
  return (
    <label
      className={cn(
        "flex cursor-pointer items-start gap-3 rounded-xl border px-3 py-2.5 transition-colors",
        "has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-ring has-[:disabled]:cursor-not-allowed has-[:disabled]:opacity-60",
        checked
          ? mode.dangerous
            ? "border-destructive bg-destructive-surface"
            : "border-primary bg-accent"
          : mode.dangerous
            ? "border-destructive/40 hover:bg-destructive-surface"
            : "hover:bg-muted",
      )}
    >
      <input
        type="radio"
        name={name}
        value={mode.value}
        checked={checked}
        onChange={() => onChange(mode.value)}
        aria-describedby={descriptionId}
        className={cn(
          "mt-1 size-4 shrink-0",
          mode.dangerous ? "accent-[var(--destructive)]" : "accent-[var(--primary)]",
        )}
      />
      <span className="min-w-0">
        <span
          className={cn(
            "flex flex-wrap items-center gap-x-2 font-medium text-[15px]",
            mode.dangerous && "text-destructive",
          )}
        >
          {mode.label}
          {mode.dangerous ? (
            <span className="rounded-md bg-destructive px-1.5 py-0.5 font-semibold text-[11px] text-white uppercase tracking-wide dark:text-background">
              Dangerous
            </span>
          ) : null}
        </span>
        <span id={descriptionId} className="block text-muted-foreground text-sm">
          {mode.description}
        </span>
      </span>
    </label>
  );
}
