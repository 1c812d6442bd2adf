import { type ReactNode, useEffect, useMemo, useState } from "react";
import { createActor } from "xstate";
import type { Session } from "../../shared/messages.ts";
import type { ThemePreference } from "../app/theme.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { StatusDot } from "../connection/StatusDot.tsx";
import { describeConnection } from "../connection/status.ts";
import { MachineTag } from "../machines/MachineTag.tsx";
import { projectName } from "../projects/names.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { AlertIcon, ChevronRightIcon, MoreIcon, PlusIcon, ShieldIcon, SpinnerIcon } from "../ui/icons.tsx";
import { Menu, MenuItem } from "../ui/menu.tsx";
import { SearchField } from "../ui/SearchField.tsx";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import {
  ArchiveIcon,
  BellIcon,
  BranchIcon,
  FolderIcon,
  LaptopIcon,
  MonitorIcon,
  MoonIcon,
  PinIcon,
  SlidersIcon,
  SunIcon,
} from "../ui/sheetIcons.tsx";
import { relativeAge } from "../ui/time.ts";
import { Segmented } from "../ui/toggle-group.tsx";
import { useNow } from "../ui/useNow.ts";
import { useSelector } from "../ui/useSelector.ts";
import { inboxSections, titleMatches } from "./inbox.ts";
import { NewSessionSheet, type NewSessionSheetProps } from "./NewSessionSheet.tsx";
import { lastLine, type RowState, rowState } from "./rowState.ts";
import { searchMachine } from "./searchMachine.ts";
import { isUnread } from "./unread.ts";
import { currentSeen } from "./useSeenTracker.ts";

/** The new-session choices are passed through to the new-session sheet. */
export interface SessionsSheetProps extends NewSessionSheetProps {
  /** Opens the settings (rename, model, permissions, delete) of one session. */
  onOpenSettings: (sessionId: string) => void;
  /** Opens the app's notification settings for this device. */
  onOpenNotifications: () => void;
  /** Opens the linked machines. */
  onOpenMachines: () => void;
  theme: ThemePreference;
  onThemeChange: (theme: ThemePreference) => void;
}

const THEME_OPTIONS = [
  {
    value: "light",
    label: (
      <>
        <SunIcon />
        <span className="sr-only">Light</span>
      </>
    ),
  },
  {
    value: "dark",
    label: (
      <>
        <MoonIcon />
        <span className="sr-only">Dark</span>
      </>
    ),
  },
  {
    value: "system",
    label: (
      <>
        <MonitorIcon />
        <span className="sr-only">System</span>
      </>
    ),
  },
] as const;

type SearchActor = ReturnType<typeof createActor<typeof searchMachine>>;

/**
 * The sessions list as an inbox: search, then what needs the user, what they pinned, the rest by
 * project, and what they archived. A new session starts from a small sheet of its own.
 */
export function SessionsSheet(props: SessionsSheetProps) {
  const { open, onOpenChange, theme, onThemeChange, onOpenNotifications } = props;
  const chat = useChatActor();
  const connection = useChatSelector((s) => s.context.connection);
  const [newOpen, setNewOpen] = useState(false);
  // One search machine per opening of the list: nothing typed before survives a close.
  const [search, setSearch] = useState<SearchActor | null>(null);
  useEffect(() => {
    if (!open) {
      setNewOpen(false);
      return;
    }
    const { socket, timeoutMs } = chat.getSnapshot().context;
    const next = createActor(searchMachine, { input: { socket, timeoutMs } });
    next.start();
    setSearch(next);
    return () => {
      next.stop();
    };
  }, [open, chat]);

  return (
    <Sheet open={open} onOpenChange={onOpenChange}>
      <SheetContent
        side="left"
        title="Sessions"
        description={
          <span className="inline-flex items-center gap-1.5">
            <StatusDot connection={connection} />
            {describeConnection(connection)}
          </span>
        }
        actions={
          <Button size="sm" className="mt-0.5" onClick={() => setNewOpen(true)} aria-haspopup="dialog">
            <PlusIcon />
            New
          </Button>
        }
      >
        {search ? <Inbox {...props} search={search} onNew={() => setNewOpen(true)} /> : null}

        <footer className="border-t px-3 pt-2.5 pb-[max(env(safe-area-inset-bottom),0.625rem)]">
          <Button
            variant="outline"
            className="mb-2 w-full justify-start"
            aria-haspopup="dialog"
            onClick={props.onOpenMachines}
          >
            <LaptopIcon />
            Machines
          </Button>
          <div className="flex items-center gap-2">
            <Button
              variant="outline"
              className="min-w-0 flex-1 justify-start"
              aria-haspopup="dialog"
              onClick={onOpenNotifications}
            >
              <BellIcon />
              Notifications
            </Button>
            <Segmented
              label="Theme"
              value={theme}
              options={THEME_OPTIONS}
              onChange={onThemeChange}
              className="shrink-0 [&>button]:w-10"
            />
          </div>
          {connection.serverVersion ? (
            <p className="mt-1.5 px-1 text-[11px] text-muted-foreground">Server {connection.serverVersion}</p>
          ) : null}
        </footer>
      </SheetContent>
      <NewSessionSheet
        open={newOpen}
        onOpenChange={setNewOpen}
        model={props.model}
        onModelChange={props.onModelChange}
        permissionMode={props.permissionMode}
        onPermissionModeChange={props.onPermissionModeChange}
        project={props.project}
        onOpenProjects={props.onOpenProjects}
        machineId={props.machineId}
        onMachineChange={props.onMachineChange}
        onCreate={() => {
          setNewOpen(false);
          props.onCreate();
        }}
      />
    </Sheet>
  );
}

function Inbox({
  search,
  onNew,
  onOpenSettings,
  onOpenChange,
}: SessionsSheetProps & { search: SearchActor; onNew: () => void }) {
  const chat = useChatActor();
  const sessions = useChatSelector((s) => s.context.sessions);
  const currentId = useChatSelector((s) => s.context.sessionId);
  const connected = useChatSelector((s) => s.context.connection.status === "connected");
  const opError = useChatSelector((s) => s.context.sessionOpError);
  const query = useSelector(search, (s) => s.context.query);
  const results = useSelector(search, (s) => s.context.results);
  const searchError = useSelector(search, (s) => s.context.error);
  const searching = useSelector(search, (s) => s.matches("waiting") || s.matches("searching"));
  const [typed, setTyped] = useState("");
  const [showArchived, setShowArchived] = useState(false);
  const now = useNow();

  const active = typed.trim() !== "";
  const matches = useMemo(() => {
    if (!active) return null;
    const ids = titleMatches(sessions, typed);
    for (const hit of results ?? []) ids.add(hit.sessionId);
    return ids;
  }, [active, sessions, typed, results]);
  const snippets = useMemo(() => new Map((results ?? []).map((hit) => [hit.sessionId, hit.snippet])), [results]);
  const sections = useMemo(() => inboxSections(sessions, matches), [sessions, matches]);
  // Read on every render: the open session is marked seen (useSeenTracker) as it updates.
  const seen = currentSeen();
  const projects = new Set(sessions.map((s) => s.project)).size;
  const shownCount =
    sections.needsYou.length +
    sections.pinned.length +
    sections.recent.reduce((n, g) => n + g.sessions.length, 0) +
    sections.archived.length;

  const row = (session: Session) => (
    <SessionRow
      key={session.id}
      session={session}
      current={session.id === currentId}
      state={rowState(session, isUnread(session, seen, currentId))}
      snippet={active ? snippets.get(session.id) : undefined}
      now={now}
      onSelect={() => {
        chat.send({ type: "SWITCH_SESSION", sessionId: session.id });
        onOpenChange(false);
      }}
      onPatch={(patch) => chat.send({ type: "UPDATE_SESSION", sessionId: session.id, patch })}
      onOpenSettings={() => onOpenSettings(session.id)}
    />
  );

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <search className="border-b px-3 py-2.5">
        <SearchField
          label="Search sessions"
          value={typed}
          onChange={(value) => {
            setTyped(value);
            search.send(value === "" ? { type: "CLEAR" } : { type: "TYPE", query: value });
          }}
          placeholder="Search titles and messages"
        />
      </search>

      <div className="flex-1 space-y-5 overflow-y-auto overscroll-contain px-3 py-3">
        {opError && (opError.op.kind === "update" || opError.op.kind === "delete") ? (
          <ErrorBox code={opError.error.code} message={opError.error.message}>
            <Button
              variant="link"
              size="sm"
              className="px-0"
              onClick={() => chat.send({ type: "DISMISS_SESSION_ERROR" })}
            >
              Dismiss
            </Button>
          </ErrorBox>
        ) : null}

        {active ? (
          <p role="status" className="flex items-center gap-2 px-1 text-muted-foreground text-sm">
            {searching ? <SpinnerIcon className="size-4 animate-spin" /> : null}
            {searchError
              ? "Searching messages failed; showing title matches only."
              : searching
                ? `Searching for “${query || typed.trim()}”…`
                : shownCount === 0
                  ? `No sessions match “${typed.trim()}”.`
                  : `${shownCount} ${shownCount === 1 ? "session matches" : "sessions match"} “${typed.trim()}”`}
          </p>
        ) : null}

        {!active && sessions.length === 0 ? (
          <div className="space-y-3 px-1 py-6 text-center">
            <p className="font-medium">No sessions yet</p>
            <p className="text-muted-foreground text-sm">
              {connected
                ? "A session is one conversation with the agent, in one project."
                : "Sessions appear once connected."}
            </p>
            {connected ? (
              <Button onClick={onNew}>
                <PlusIcon />
                New session
              </Button>
            ) : null}
          </div>
        ) : null}

        {sections.needsYou.length > 0 ? (
          <Section
            title="Needs you"
            icon={<ShieldIcon className="size-3.5 text-warning" />}
            count={sections.needsYou.length}
          >
            {sections.needsYou.map(row)}
          </Section>
        ) : null}
        {sections.pinned.length > 0 ? (
          <Section title="Pinned" icon={<PinIcon className="size-3.5" />}>
            {sections.pinned.map(row)}
          </Section>
        ) : null}
        {sections.recent.length > 0 ? (
          <section aria-label="Recent" className="space-y-1">
            <h2 className="px-1 font-semibold text-muted-foreground text-xs uppercase tracking-wide">Recent</h2>
            {sections.recent.map((group) => (
              <div key={group.project} className="space-y-1">
                {projects > 1 ? (
                  <h3 className="flex items-center gap-1.5 px-1 pt-2 text-muted-foreground text-xs">
                    <FolderIcon className="size-3.5" />
                    <span className="truncate font-medium">{projectName(group.project)}</span>
                  </h3>
                ) : null}
                <ul
                  className="space-y-1"
                  aria-label={projects > 1 ? `Sessions in ${projectName(group.project)}` : "Recent sessions"}
                >
                  {group.sessions.map(row)}
                </ul>
              </div>
            ))}
          </section>
        ) : null}
        {sections.archived.length > 0 ? (
          active || showArchived ? (
            <Section title="Archived" icon={<ArchiveIcon className="size-3.5" />} count={sections.archived.length}>
              {sections.archived.map(row)}
            </Section>
          ) : (
            <button
              type="button"
              aria-expanded={false}
              onClick={() => setShowArchived(true)}
              className="flex min-h-11 w-full items-center gap-2 rounded-xl px-1 text-muted-foreground text-sm focus-visible:outline-2 focus-visible:outline-ring"
            >
              <ArchiveIcon className="size-4" />
              Archived ({sections.archived.length})
              <ChevronRightIcon className="ml-auto size-4" />
            </button>
          )
        ) : null}
      </div>
    </div>
  );
}

function Section({
  title,
  icon,
  count,
  children,
}: {
  title: string;
  icon: ReactNode;
  count?: number;
  children: ReactNode;
}) {
  return (
    <section aria-label={title} className="space-y-1">
      <h2 className="flex items-center gap-1.5 px-1 font-semibold text-muted-foreground text-xs uppercase tracking-wide">
        {icon}
        {title}
        {count !== undefined ? <span className="font-normal normal-case">· {count}</span> : null}
      </h2>
      <ul className="space-y-1">{children}</ul>
    </section>
  );
}

const TONES: Record<RowState["tone"], string> = {
  attention: "font-medium text-warning",
  running: "text-primary dark:text-blue-300",
  error: "text-destructive",
  unread: "font-medium text-foreground",
  quiet: "text-muted-foreground",
};

function SessionRow({
  session,
  current,
  state,
  snippet,
  now,
  onSelect,
  onPatch,
  onOpenSettings,
}: {
  session: Session;
  current: boolean;
  state: RowState | null;
  snippet: string | undefined;
  now: number;
  onSelect: () => void;
  onPatch: (patch: { pinned?: boolean; archived?: boolean }) => void;
  onOpenSettings: () => void;
}) {
  const title = session.title || "Untitled";
  const line = snippet ?? lastLine(session);
  const unread = state?.tone === "unread";
  return (
    <li
      data-session-id={session.id}
      className={cn(
        "flex items-start rounded-xl transition-colors",
        current ? "bg-accent text-accent-foreground" : "hover:bg-muted",
      )}
    >
      <button
        type="button"
        aria-current={current ? "true" : undefined}
        onClick={onSelect}
        className="flex min-w-0 flex-1 items-start gap-2.5 rounded-xl py-2.5 pl-3 text-left focus-visible:outline-2 focus-visible:outline-ring"
      >
        <span className="mt-2 flex size-2 shrink-0 items-center justify-center">
          {unread ? <span aria-hidden="true" className="size-2 rounded-full bg-primary dark:bg-blue-400" /> : null}
        </span>
        <span className="min-w-0 flex-1 space-y-0.5">
          <span className="flex items-baseline gap-2">
            <span className={cn("min-w-0 flex-1 truncate text-[15px]", unread ? "font-semibold" : "font-medium")}>
              {title}
            </span>
            <span className={cn("shrink-0 text-xs", current ? "text-accent-foreground/85" : "text-muted-foreground")}>
              {relativeAge(session.updatedAt, now)}
            </span>
          </span>
          <span
            className={cn(
              "flex items-center gap-1 truncate text-xs",
              current ? "text-accent-foreground/85" : "text-muted-foreground",
            )}
          >
            <FolderIcon className="size-3 shrink-0" />
            <span className="truncate">{projectName(session.project)}</span>
            {session.branch ? (
              <>
                <BranchIcon className="ml-0.5 size-3 shrink-0" />
                <span className="min-w-0 max-w-[40%] truncate" title={session.branch}>
                  <span className="sr-only">on branch </span>
                  {session.branch}
                </span>
              </>
            ) : null}
            <span aria-hidden="true">·</span>
            <span className="shrink-0">{session.model}</span>
            {session.pinned ? <PinIcon aria-label="Pinned" className="ml-1 size-3 shrink-0" /> : null}
          </span>
          <MachineTag session={session} className={current ? "text-accent-foreground/85" : "text-muted-foreground"} />
          {state ? (
            <span className={cn("flex items-center gap-1 text-xs", TONES[state.tone])}>
              {state.tone === "attention" ? <ShieldIcon className="size-3 shrink-0" /> : null}
              {state.tone === "running" ? (
                <span
                  aria-hidden="true"
                  className="size-2 shrink-0 animate-[pulse-dot_1s_ease-in-out_infinite] rounded-full bg-primary dark:bg-blue-400"
                />
              ) : null}
              {state.tone === "error" ? <AlertIcon className="size-3 shrink-0" /> : null}
              <span className="truncate">{state.text}</span>
            </span>
          ) : null}
          {line ? (
            <span
              className={cn(
                "block truncate text-[13px]",
                current ? "text-accent-foreground/85" : unread ? "text-foreground" : "text-muted-foreground",
              )}
            >
              {line}
            </span>
          ) : null}
        </span>
      </button>
      <Menu
        trigger={
          <Button
            variant="ghost"
            size="icon"
            className="mt-0.5 shrink-0 hover:bg-transparent"
            aria-label={`Actions for ${title}`}
          >
            <MoreIcon />
          </Button>
        }
      >
        <MenuItem icon={<PinIcon />} onSelect={() => onPatch({ pinned: !session.pinned })}>
          {session.pinned ? "Unpin" : "Pin"}
        </MenuItem>
        <MenuItem icon={<ArchiveIcon />} onSelect={() => onPatch({ archived: !session.archived })}>
          {session.archived ? "Unarchive" : "Archive"}
        </MenuItem>
        <MenuItem icon={<SlidersIcon />} onSelect={onOpenSettings}>
          Settings
        </MenuItem>
      </Menu>
    </li>
  );
}
