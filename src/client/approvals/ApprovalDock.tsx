/**
 * Pending approvals, pinned between the conversation and the composer so they
 * cannot scroll away. The card itself loads on demand; a screen reader hears
 * about each new request through a polite live region.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { AllowScope, PermissionDecision } from "../../shared/messages.ts";
import { pendingPermissions } from "../chat/turns.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { Button } from "../ui/button.tsx";
import { chunk } from "../ui/chunk.ts";
import { cn } from "../ui/cn.ts";
import { ShieldIcon, SpinnerIcon } from "../ui/icons.tsx";
import { lazyPart, Part } from "../ui/lazyPart.tsx";

export const approvalCard = chunk(() => import("./ApprovalCard.tsx"));
const ApprovalCard = lazyPart(approvalCard, (m) => m.ApprovalCard);

export interface ApprovalDockProps {
  cwd?: string;
  /** Called after the last pending request was answered from here (the app returns focus to the composer). */
  onAllAnswered: () => void;
}

export function ApprovalDock({ cwd, onAllAnswered }: ApprovalDockProps) {
  const actor = useChatActor();
  const turns = useChatSelector((s) => s.context.turns);
  const answers = useChatSelector((s) => s.context.answers);
  const offline = useChatSelector((s) => s.context.connection.status !== "connected" || !s.context.connection.online);
  const pending = useMemo(() => pendingPermissions(turns), [turns]);
  const first = pending[0];
  const container = useRef<HTMLElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const focusInside = useRef(false);
  const [announcement, setAnnouncement] = useState("");
  const shownId = useRef<string | null>(null);

  // Whether the user is working in the dock. A card removed while focused fires no focus event, so this stays true.
  useEffect(() => {
    const onFocusIn = (event: FocusEvent) => {
      focusInside.current = event.target instanceof Node && (container.current?.contains(event.target) ?? false);
    };
    document.addEventListener("focusin", onFocusIn);
    return () => document.removeEventListener("focusin", onFocusIn);
  }, []);

  // Announce each new request; when the one answered here leaves, focus the next one (or hand focus back).
  useEffect(() => {
    const previous = shownId.current;
    shownId.current = first?.permissionId ?? null;
    if (first && first.permissionId !== previous) {
      setAnnouncement(
        `${first.toolName === "AskUserQuestion" ? "Claude has a question" : "Approval needed"}: ${first.title ?? first.toolName}`,
      );
    }
    if (previous && previous !== first?.permissionId && focusInside.current) {
      focusInside.current = false;
      if (first) requestAnimationFrame(() => heading.current?.focus({ preventScroll: true }));
      else onAllAnswered();
    }
  }, [first, onAllAnswered]);

  const respond = (
    permissionId: string,
    decision: PermissionDecision,
    extra?: { message?: string; answers?: Record<string, string>; scope?: AllowScope },
  ) => {
    actor.send({ type: "RESPOND_PERMISSION", permissionId, decision, ...extra });
  };

  return (
    <>
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      {first ? (
        <aside
          ref={container}
          aria-label="Pending approvals"
          className={cn(
            "max-h-[calc(var(--app-height,100dvh)*0.6)] shrink-0 overflow-y-auto overscroll-contain border-t bg-background/95 px-2 pt-2 sm:px-4",
            pending.length > 1 ? "pb-3" : "pb-1",
          )}
        >
          <Part
            retryOn={first.permissionId}
            loading={
              <p className="mx-auto flex max-w-3xl items-center gap-2 rounded-2xl border border-warning/50 p-3 text-sm">
                <ShieldIcon className="size-4 text-warning" /> Approval needed
                <SpinnerIcon className="size-4" />
              </p>
            }
            failed={(retry) => (
              <CardUnavailable
                title={first.title ?? `Claude wants to use ${first.toolName}`}
                onRetry={retry}
                onDeny={() => respond(first.permissionId, "deny")}
              />
            )}
          >
            {/* More waiting: the card sits on a stack of them (its heading says "1 of N"). */}
            <div className="relative mx-auto w-full max-w-3xl" data-approval-stack={pending.length}>
              {pending.length > 2 ? (
                <div
                  aria-hidden="true"
                  className="absolute inset-x-5 -bottom-2 h-6 rounded-b-2xl border border-warning/30 bg-card"
                />
              ) : null}
              {pending.length > 1 ? (
                <div
                  aria-hidden="true"
                  className="absolute inset-x-2.5 -bottom-1 h-6 rounded-b-2xl border border-warning/40 bg-card"
                />
              ) : null}
              <div className="relative">
                <ApprovalCard
                  key={first.permissionId}
                  permission={first}
                  cwd={cwd}
                  answer={answers[first.permissionId]}
                  offline={offline}
                  position={{ index: 1, total: pending.length }}
                  headingRef={heading}
                  onRespond={(decision, extra) => respond(first.permissionId, decision, extra)}
                />
              </div>
            </div>
          </Part>
        </aside>
      ) : null}
    </>
  );
}

/**
 * The card's code did not arrive. The agent waits on this answer, so the way out is here: try again,
 * or deny without the details (allowing unseen is not offered).
 */
function CardUnavailable({ title, onRetry, onDeny }: { title: string; onRetry: () => void; onDeny: () => void }) {
  return (
    <div
      role="alert"
      className="mx-auto flex max-w-3xl flex-col gap-2 rounded-2xl border border-warning/50 bg-card p-3 text-sm"
    >
      <p className="flex items-center gap-2 font-medium">
        <ShieldIcon className="size-4 shrink-0 text-warning" />
        {title}
      </p>
      <p>The approval's details could not load. Check the connection to your workstation.</p>
      <div className="flex gap-2">
        <Button size="sm" onClick={onRetry}>
          Try again
        </Button>
        <Button size="sm" variant="outline" onClick={onDeny}>
          Deny
        </Button>
      </div>
    </div>
  );
}
