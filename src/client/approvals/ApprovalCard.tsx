/**
 * A pending tool-permission request as a card: what the agent wants to do
 * (command, diff, new file, fields, or its questions) and the buttons to
 * answer. Loaded on demand (its own chunk): the first screen never needs it.
 */
import { type Ref, useEffect, useId, useRef, useState } from "react";
import { type ScopeOption, scopeOptions } from "../../shared/allowRules.ts";
import type { AllowScope, PermissionDecision } from "../../shared/messages.ts";
import type { TurnPermission } from "../chat/turns.ts";
import type { AnswerState } from "../chat/types.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { DiffView } from "../ui/DiffView.tsx";
import { AlertIcon, ShieldIcon, SpinnerIcon } from "../ui/icons.tsx";
import { FileIcon, QuestionIcon } from "../ui/sheetIcons.tsx";
import { type ApprovalBody, allAnswered, answersFor, describeApproval, type Question } from "./approval.ts";
import { ScopeText } from "./ScopeText.tsx";

export interface ApprovalCardProps {
  permission: TurnPermission;
  cwd?: string;
  answer?: AnswerState;
  /** Not connected: answers cannot be sent. */
  offline: boolean;
  /** "1 of 3" when several requests wait. */
  position?: { index: number; total: number };
  headingRef?: Ref<HTMLHeadingElement>;
  onRespond: (
    decision: PermissionDecision,
    extra?: { message?: string; answers?: Record<string, string>; scope?: AllowScope },
  ) => void;
}

/** Lines shown before "Show all". */

export function ApprovalCard({ permission, cwd, answer, offline, position, headingRef, onRespond }: ApprovalCardProps) {
  const view = describeApproval(permission, cwd);
  const headingId = useId();
  const sending = answer?.status === "sending";
  const failed = answer?.status === "failed" ? answer : null;
  // The reason form (Deny) or the scope choice (Always allow), in place of the buttons.
  const [form, setForm] = useState<"deny" | "always" | null>(null);
  const isQuestion = view.body.kind === "question";
  const options = isQuestion ? [] : scopeOptions(permission.toolName, permission.input, cwd ?? "/");
  const denyButton = useRef<HTMLButtonElement>(null);
  const alwaysButton = useRef<HTMLButtonElement>(null);
  const lastForm = useRef<typeof form>(null);

  // Back from a form: focus returns to the button that opened it.
  useEffect(() => {
    if (lastForm.current && !form) (lastForm.current === "deny" ? denyButton : alwaysButton).current?.focus();
    lastForm.current = form;
  }, [form]);

  return (
    <section
      aria-labelledby={headingId}
      data-permission-card={permission.permissionId}
      data-tool={permission.toolName}
      className="mx-auto w-full max-w-3xl space-y-3 rounded-2xl border border-warning/50 bg-card p-3 shadow-sm"
    >
      <div className="space-y-0.5">
        <p className="flex items-center gap-1.5 font-semibold text-warning text-xs uppercase tracking-wide">
          {isQuestion ? <QuestionIcon className="size-3.5" /> : <ShieldIcon className="size-3.5" />}
          {isQuestion ? "Question" : "Approval needed"}
          {position && position.total > 1 ? (
            <span className="font-normal normal-case tracking-normal">
              · {position.index} of {position.total}
            </span>
          ) : null}
        </p>
        <h2
          id={headingId}
          ref={headingRef}
          tabIndex={-1}
          className="break-words font-semibold text-[15px] leading-snug outline-none"
        >
          {view.heading}
        </h2>
      </div>

      {view.body.kind === "question" ? (
        <QuestionForm
          questions={view.body.questions}
          disabled={sending || offline}
          sending={sending}
          onAnswer={(answers) => onRespond("allow", { answers })}
          onDecline={() => onRespond("deny", { message: "The user chose not to answer." })}
        />
      ) : (
        <>
          <Body body={view.body} />
          {view.note ? <p className="text-muted-foreground text-sm">{view.note}</p> : null}
        </>
      )}

      {view.reason ? <p className="break-words text-muted-foreground text-xs">{view.reason}</p> : null}

      {failed ? (
        <p role="alert" className="flex gap-2 text-destructive text-sm">
          <AlertIcon className="mt-0.5 size-4 shrink-0" />
          <span>
            {failed.error.code === "PERMISSION_NOT_PENDING"
              ? "This was already answered on another device, or the agent stopped asking."
              : `Your answer was not delivered: ${failed.error.message}`}
          </span>
        </p>
      ) : null}

      {isQuestion ? null : form === "deny" ? (
        <DenyForm
          disabled={sending || offline}
          sending={sending}
          onCancel={() => setForm(null)}
          onConfirm={(message) => onRespond("deny", message ? { message } : undefined)}
        />
      ) : form === "always" ? (
        <AlwaysAllowForm
          options={options}
          disabled={sending || offline}
          sending={sending}
          onCancel={() => setForm(null)}
          onConfirm={(scope) => onRespond("allow_always", { scope })}
        />
      ) : (
        <div className="flex flex-wrap gap-2">
          <Button className="min-w-[6.5rem] flex-1" disabled={sending || offline} onClick={() => onRespond("allow")}>
            {sending && answer?.decision === "allow" ? <SpinnerIcon /> : null}
            Allow
          </Button>
          <Button
            variant="outline"
            className="min-w-[6.5rem] flex-1 border-destructive/50 text-destructive hover:bg-destructive-surface"
            ref={denyButton}
            disabled={sending || offline}
            onClick={() => setForm("deny")}
          >
            Deny
          </Button>
          {options.length ? (
            <Button
              variant="secondary"
              className="min-w-[8rem] flex-1"
              ref={alwaysButton}
              disabled={sending || offline}
              aria-haspopup="true"
              onClick={() => setForm("always")}
            >
              Always allow…
            </Button>
          ) : null}
        </div>
      )}
      {offline ? <p className="text-muted-foreground text-xs">Reconnect to answer.</p> : null}
    </section>
  );
}

function Body({ body }: { body: Exclude<ApprovalBody, { kind: "question" }> }) {
  switch (body.kind) {
    case "bash":
      return (
        <div className="space-y-1.5">
          <pre className="max-h-48 overflow-auto whitespace-pre-wrap break-all rounded-lg border bg-code px-2.5 py-2 font-mono text-[13px] leading-5">
            <span aria-hidden="true" className="select-none text-muted-foreground">
              ${" "}
            </span>
            <code>{body.command}</code>
          </pre>
          {body.description ? <p className="text-muted-foreground text-sm">{body.description}</p> : null}
        </div>
      );
    case "edit":
      return (
        <div className="space-y-1.5">
          <FilePath path={body.path} />
          {body.hunks.map((hunk, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: hunks have no identity but their order
            <DiffView key={index} lines={hunk} label={body.hunks.length > 1 ? `Change ${index + 1}` : "Change"} />
          ))}
        </div>
      );
    case "write":
      return (
        <div className="space-y-1.5">
          <FilePath path={body.path} />
          <DiffView lines={body.lines.map((text) => ({ kind: "add", text }))} label="New content" />
        </div>
      );
    case "fields":
      return body.fields.length ? (
        <dl className="space-y-1.5 text-sm">
          {body.fields.map((field) => (
            <div key={field.key} className={field.block ? "space-y-0.5" : "flex gap-2"}>
              <dt className="shrink-0 text-muted-foreground">{field.key}</dt>
              <dd
                className={cn(
                  "min-w-0 break-words font-mono text-[13px]",
                  field.block && "max-h-40 overflow-auto whitespace-pre-wrap rounded-lg border bg-code px-2.5 py-1.5",
                )}
              >
                {field.value}
              </dd>
            </div>
          ))}
        </dl>
      ) : null;
    default: {
      const unreachable: never = body;
      return unreachable;
    }
  }
}

function FilePath({ path }: { path: string }) {
  return (
    <p className="flex items-center gap-1.5 break-all font-mono text-[13px]">
      <FileIcon className="size-4 shrink-0 text-muted-foreground" />
      {path || "(no path)"}
    </p>
  );
}

/** A card form's two buttons: submit it, or go back to Allow / Deny / Always allow…. */
function SubmitOrBack({
  label,
  variant,
  disabled,
  sending,
  onBack,
}: {
  label: string;
  variant?: "destructive";
  disabled: boolean;
  sending: boolean;
  onBack: () => void;
}) {
  return (
    <div className="flex gap-2">
      <Button type="submit" variant={variant} className="flex-1" disabled={disabled}>
        {sending ? <SpinnerIcon /> : null}
        {label}
      </Button>
      <Button variant="outline" className="flex-1" onClick={onBack} disabled={sending}>
        Back
      </Button>
    </div>
  );
}

/** "Always allow": which of the request's scopes to remember for the rest of the session, narrowest first. */
function AlwaysAllowForm({
  options,
  disabled,
  sending,
  onCancel,
  onConfirm,
}: {
  options: ScopeOption[];
  disabled: boolean;
  sending: boolean;
  onCancel: () => void;
  onConfirm: (scope: AllowScope) => void;
}) {
  const [chosen, setChosen] = useState(0);
  const name = useId();
  const legendId = useId();
  const first = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  // The choices and the button that confirms them in view (the dock scrolls; the command is above).
  useEffect(() => {
    first.current?.focus({ preventScroll: true });
    formRef.current?.scrollIntoView({ block: "end" });
  }, []);
  const scope = options[chosen]?.scope;
  return (
    <form
      ref={formRef}
      className="space-y-2"
      aria-labelledby={legendId}
      onSubmit={(event) => {
        event.preventDefault();
        if (scope) onConfirm(scope);
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <fieldset className="space-y-1">
        <legend id={legendId} className="pb-1 font-medium text-sm">
          From now on in this session, allow without asking:
        </legend>
        {options.map((option, index) => (
          <label
            key={option.label}
            className="flex min-h-11 cursor-pointer items-center gap-3 rounded-xl border px-3 py-2 text-sm has-[:checked]:border-primary has-[:checked]:bg-primary/5 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-ring"
          >
            <input
              ref={index === 0 ? first : undefined}
              type="radio"
              name={name}
              className="size-4 shrink-0 accent-[var(--primary)]"
              checked={chosen === index}
              onChange={() => setChosen(index)}
            />
            <span className="min-w-0 break-words">
              <ScopeText text={option.label} />
            </span>
          </label>
        ))}
      </fieldset>
      <p className="text-muted-foreground text-xs">Revoke it any time in the session's settings.</p>
      <SubmitOrBack label="Always allow" disabled={disabled || !scope} sending={sending} onBack={onCancel} />
    </form>
  );
}

function DenyForm({
  disabled,
  sending,
  onCancel,
  onConfirm,
}: {
  disabled: boolean;
  sending: boolean;
  onCancel: () => void;
  onConfirm: (message: string) => void;
}) {
  const [reason, setReason] = useState("");
  const field = useRef<HTMLTextAreaElement>(null);
  const fieldId = useId();
  useEffect(() => field.current?.focus({ preventScroll: true }), []);
  return (
    <form
      className="space-y-2"
      onSubmit={(event) => {
        event.preventDefault();
        onConfirm(reason.trim());
      }}
    >
      <label htmlFor={fieldId} className="font-medium text-sm">
        Reason <span className="font-normal text-muted-foreground">(optional, Claude sees it)</span>
      </label>
      <textarea
        ref={field}
        id={fieldId}
        rows={2}
        value={reason}
        maxLength={2_000}
        onChange={(event) => setReason(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Escape") {
            event.preventDefault();
            onCancel();
          }
        }}
        placeholder="e.g. Use a temporary folder instead"
        className="w-full resize-none rounded-xl border border-input bg-background px-3 py-2 text-base leading-6 placeholder:text-muted-foreground focus:border-ring focus:shadow-[0_0_0_1px_var(--ring)] focus:outline-none"
      />
      <SubmitOrBack
        label="Confirm deny"
        variant="destructive"
        disabled={disabled}
        sending={sending}
        onBack={onCancel}
      />
    </form>
  );
}

function QuestionForm({
  questions,
  disabled,
  sending,
  onAnswer,
  onDecline,
}: {
  questions: Question[];
  disabled: boolean;
  sending: boolean;
  onAnswer: (answers: Record<string, string>) => void;
  onDecline: () => void;
}) {
  const [chosen, setChosen] = useState<Record<string, string[]>>({});
  const name = useId();
  const toggle = (question: Question, label: string) => {
    setChosen((current) => {
      const picked = current[question.question] ?? [];
      const next = question.multiSelect
        ? picked.includes(label)
          ? picked.filter((l) => l !== label)
          : [...picked, label]
        : [label];
      return { ...current, [question.question]: next };
    });
  };
  return (
    <form
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        if (allAnswered(questions, chosen)) onAnswer(answersFor(questions, chosen));
      }}
    >
      {questions.map((question, qIndex) => (
        <fieldset key={question.question} className="space-y-1.5">
          <legend className="mb-1.5 space-y-0.5">
            {question.header ? (
              <span className="mr-2 inline-block rounded-md bg-muted px-1.5 py-0.5 font-medium text-muted-foreground text-xs">
                {question.header}
              </span>
            ) : null}
            <span className="font-medium text-[15px]">{question.question}</span>
            {question.multiSelect ? (
              <span className="block text-muted-foreground text-xs">Choose one or more.</span>
            ) : null}
          </legend>
          {question.options.map((option) => {
            const checked = (chosen[question.question] ?? []).includes(option.label);
            return (
              <label
                key={option.label}
                className={cn(
                  "flex cursor-pointer items-start gap-2.5 rounded-xl border px-3 py-2.5 transition-colors",
                  "has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-ring",
                  checked ? "border-primary bg-accent text-accent-foreground" : "hover:bg-muted",
                )}
              >
                <input
                  type={question.multiSelect ? "checkbox" : "radio"}
                  name={`${name}-${qIndex}`}
                  value={option.label}
                  checked={checked}
                  disabled={disabled}
                  onChange={() => toggle(question, option.label)}
                  className="mt-1 size-4 shrink-0 accent-[var(--primary)]"
                />
                <span className="min-w-0">
                  <span className="block font-medium text-[15px]">{option.label}</span>
                  {option.description ? (
                    <span className="block text-muted-foreground text-sm">{option.description}</span>
                  ) : null}
                </span>
              </label>
            );
          })}
        </fieldset>
      ))}
      <div className="flex gap-2">
        <Button type="submit" className="flex-1" disabled={disabled || !allAnswered(questions, chosen)}>
          {sending ? <SpinnerIcon /> : null}
          Send answer
        </Button>
        <Button variant="outline" className="flex-1" disabled={disabled} onClick={onDecline}>
          Decline
        </Button>
      </div>
    </form>
  );
}
