/**
 * Settings → Notifications: whether this device gets them (on, off, blocked by the browser, not
 * available, or "add to Home Screen first" on iOS), turning them on with a tap (the browser's
 * permission prompt only ever follows that tap), the device's name, which events notify, and a
 * test. Loaded with its own chunk when first opened.
 */
import { type FormEvent, useEffect, useId, useMemo, useState } from "react";
import { PUSH_EVENT_KINDS, type PushEventKind } from "../../shared/constants.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { AlertIcon, CheckIcon, SpinnerIcon } from "../ui/icons.tsx";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import { BellIcon, BellOffIcon, ShareIcon } from "../ui/sheetIcons.tsx";
import { useSelector } from "../ui/useSelector.ts";
import { EVENT_LABELS } from "./preferences.ts";
import { type PushActorRef, pushActorFor } from "./pushController.ts";
import { type PushView, pushView, VIEW_TEXT } from "./pushState.ts";

export interface NotificationsSheetProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

export function NotificationsSheet({ open, onOpenChange }: NotificationsSheetProps) {
  const chat = useChatActor();
  const actor = useMemo(() => pushActorFor(chat), [chat]);
  return (
    <Sheet open={open} onOpenChange={onOpenChange}>
      <SheetContent side="right" title="Notifications" description="For this device">
        <NotificationSettings actor={actor} />
      </SheetContent>
    </Sheet>
  );
}

export function NotificationSettings({ actor }: { actor: PushActorRef }) {
  const state = useSelector(actor, (s) => (typeof s.value === "string" ? s.value : "checking"));
  const support = useSelector(actor, (s) => s.context.support);
  const error = useSelector(actor, (s) => s.context.error);
  const connected = useChatSelector((s) => s.context.connection.status === "connected");
  const { view, busy } = pushView(state, support);
  const text = VIEW_TEXT[view];
  const statusId = useId();

  return (
    <div className="flex-1 space-y-6 overflow-y-auto overscroll-contain px-4 py-4">
      <section aria-labelledby={statusId} className="space-y-3">
        <div className={cn("flex items-start gap-3 rounded-xl border px-3 py-3", toneOf(view))} data-push-state={view}>
          <StateIcon view={view} />
          <div className="min-w-0 flex-1 space-y-1">
            <h3 id={statusId} className="font-semibold text-[15px]" role="status">
              {text.status}
            </h3>
            {text.explanation ? <p className="text-sm opacity-90">{text.explanation}</p> : null}
            {view === "ios-home-screen" ? <HomeScreenSteps /> : null}
          </div>
        </div>
        {view === "off" ? (
          <Button
            className="w-full"
            disabled={!connected || busy !== null}
            onClick={() => actor.send({ type: "ENABLE" })}
          >
            {busy === "enabling" ? <SpinnerIcon /> : <BellIcon />}
            {busy === "enabling" ? "Turning on…" : "Turn on notifications"}
          </Button>
        ) : null}
        {error ? (
          <div role="alert">
            <ErrorBox code={error.code} message={error.message}>
              <Button
                variant="outline"
                size="sm"
                className="mt-1 h-8 text-xs"
                onClick={() => actor.send({ type: "DISMISS_ERROR" })}
              >
                Dismiss
              </Button>
            </ErrorBox>
          </div>
        ) : null}
      </section>

      {view === "on" ? <OnSettings actor={actor} busy={busy} connected={connected} /> : null}
    </div>
  );
}

function OnSettings({ actor, busy, connected }: { actor: PushActorRef; busy: string | null; connected: boolean }) {
  const preferences = useSelector(actor, (s) => s.context.preferences);
  const tested = useSelector(actor, (s) => s.context.tested);
  const disabled = !connected || (busy !== null && busy !== "syncing");
  const eventsId = useId();
  const testId = useId();

  const toggle = (kind: PushEventKind, on: boolean) => {
    const events = PUSH_EVENT_KINDS.filter((k) => (k === kind ? on : preferences.events.includes(k)));
    actor.send({ type: "SAVE", events });
  };

  return (
    <>
      <DeviceNameForm
        name={preferences.deviceName}
        disabled={disabled}
        saving={busy === "saving"}
        onSave={(deviceName) => actor.send({ type: "SAVE", deviceName })}
      />

      <fieldset className="space-y-2" disabled={disabled} aria-describedby={eventsId}>
        <legend className="mb-1 font-medium text-sm">Notify me about</legend>
        <p id={eventsId} className="text-muted-foreground text-xs">
          Never about a session you are looking at on any device.
        </p>
        {PUSH_EVENT_KINDS.map((kind) => (
          <EventOption
            key={kind}
            kind={kind}
            checked={preferences.events.includes(kind)}
            onChange={(on) => toggle(kind, on)}
          />
        ))}
      </fieldset>

      <section className="space-y-2" aria-labelledby={testId}>
        <h3 id={testId} className="font-medium text-sm">
          Test
        </h3>
        <Button variant="secondary" className="w-full" disabled={disabled} onClick={() => actor.send({ type: "TEST" })}>
          {busy === "testing" ? <SpinnerIcon /> : <BellIcon />}
          {busy === "testing" ? "Sending…" : "Send a test notification"}
        </Button>
        <p className="min-h-5 text-muted-foreground text-sm" aria-live="polite">
          {tested
            ? tested.sent > 0
              ? "Sent. It should appear in a moment."
              : "The push service did not take it. Turn notifications off and on again."
            : null}
        </p>
      </section>

      <section className="space-y-2 border-t pt-4">
        <Button
          variant="outline"
          className="w-full"
          disabled={disabled}
          onClick={() => actor.send({ type: "DISABLE" })}
        >
          {busy === "disabling" ? <SpinnerIcon /> : <BellOffIcon />}
          {busy === "disabling" ? "Turning off…" : "Turn off on this device"}
        </Button>
        <p className="text-muted-foreground text-xs">
          What a notification says is encrypted for this device: the push service that delivers it cannot read it.
        </p>
      </section>
    </>
  );
}

function DeviceNameForm({
  name,
  disabled,
  saving,
  onSave,
}: {
  name: string;
  disabled: boolean;
  saving: boolean;
  onSave: (name: string) => void;
}) {
  const [draft, setDraft] = useState(name);
  const fieldId = useId();
  useEffect(() => setDraft(name), [name]);
  const trimmed = draft.trim();
  const changed = trimmed !== "" && trimmed !== name;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (changed) onSave(trimmed);
  };
  return (
    <form className="space-y-2" onSubmit={submit}>
      <label htmlFor={fieldId} className="font-medium text-sm">
        Device name
      </label>
      <div className="flex gap-2">
        <input
          id={fieldId}
          value={draft}
          maxLength={60}
          onChange={(event) => setDraft(event.target.value)}
          enterKeyHint="done"
          autoComplete="off"
          className="h-11 min-w-0 flex-1 rounded-xl border border-input bg-card px-3 text-base placeholder:text-muted-foreground focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none"
          placeholder="My phone"
        />
        <Button type="submit" disabled={disabled || !changed}>
          {saving ? <SpinnerIcon /> : null}
          {saving ? "Saving…" : "Save"}
        </Button>
      </div>
    </form>
  );
}

function EventOption({
  kind,
  checked,
  onChange,
}: {
  kind: PushEventKind;
  checked: boolean;
  onChange: (on: boolean) => void;
}) {
  const descriptionId = useId();
  const { label, description } = EVENT_LABELS[kind];
  return (
    <label
      className={cn(
        "flex cursor-pointer items-start gap-3 rounded-xl border px-3 py-2.5 transition-colors",
        "has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-ring has-[:disabled]:cursor-not-allowed has-[:disabled]:opacity-60",
        checked ? "border-primary bg-accent" : "hover:bg-muted",
      )}
    >
      <input
        type="checkbox"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        aria-describedby={descriptionId}
        className="mt-1 size-4 shrink-0 accent-[var(--primary)]"
      />
      <span className="min-w-0">
        <span className="block font-medium text-[15px]">{label}</span>
        <span id={descriptionId} className="block text-muted-foreground text-sm">
          {description}
        </span>
      </span>
    </label>
  );
}

function HomeScreenSteps() {
  return (
    <ol className="list-decimal space-y-1 pt-1 pl-5 text-sm">
      <li>
        In Safari, tap Share <ShareIcon className="inline size-4 align-[-2px]" /> (the square with an arrow).
      </li>
      <li>Choose “Add to Home Screen”.</li>
      <li>Open Pocket Agent from its icon, pair it once more (paste the token), and come back here.</li>
    </ol>
  );
}

function toneOf(view: PushView): string {
  switch (view) {
    case "on":
      return "border-primary/40 bg-accent text-accent-foreground";
    case "blocked":
    case "insecure":
      return "border-destructive/30 bg-destructive-surface text-destructive";
    case "ios-home-screen":
      return "border-warning/30 bg-warning-surface text-warning";
    default:
      return "bg-card";
  }
}

function StateIcon({ view }: { view: PushView }) {
  const className = "mt-0.5 size-5 shrink-0";
  if (view === "checking") return <SpinnerIcon className={className} />;
  if (view === "on") return <CheckIcon className={className} />;
  if (view === "off") return <BellOffIcon className={className} />;
  return <AlertIcon className={className} />;
}
