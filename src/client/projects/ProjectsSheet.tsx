/**
 * The projects sheet (its own chunk, loaded when first opened): pick where new sessions start
 * (searchable, this device's recent ones first), and see Claude Code's own sessions in a project,
 * each of which can be continued on this phone.
 *
 * Two views in one sheet: the list, and one project (its sessions from the desk). Picking a
 * project in the list remembers it on this device and opens it.
 */
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { createActor } from "xstate";
import { LOCAL_MACHINE_ID } from "../../shared/machines.ts";
import type { ClaudeSession, Project } from "../../shared/messages.ts";
import { useChatActor, useChatSelector } from "../chat/useChat.ts";
import { Button } from "../ui/button.tsx";
import { cn } from "../ui/cn.ts";
import { ErrorBox } from "../ui/ErrorBox.tsx";
import { CheckIcon, ChevronRightIcon, PlusIcon, SpinnerIcon } from "../ui/icons.tsx";
import { SearchField } from "../ui/SearchField.tsx";
import { Sheet, SheetContent } from "../ui/sheet.tsx";
import { BranchIcon, ChevronLeftIcon, FolderIcon, LaptopIcon } from "../ui/sheetIcons.tsx";
import { relativeAge } from "../ui/time.ts";
import { useNow } from "../ui/useNow.ts";
import { useSelector } from "../ui/useSelector.ts";
import { projectName, relativeToRoot, tailOfPath } from "./names.ts";
import { projectsMachine } from "./projectsMachine.ts";
import { orderProjects } from "./recent.ts";

export interface ProjectsSheetProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The machine whose projects are listed (`local`: this server): new sessions and imports go there. */
  machineId: string;
  /** Where new sessions start on this device. */
  chosen: string | null;
  /** This device's projects, most recently chosen first. */
  recent: readonly string[];
  /** The user picked `path` (remember it). */
  onChoose: (path: string) => void;
  /** Start a new session in `path`. */
  onStartSession: (path: string) => void;
  /** A session was opened (continued or switched to): close the sheets. */
  onSessionOpened: () => void;
}

type ProjectsActor = ReturnType<typeof createActor<typeof projectsMachine>>;

export function ProjectsSheet(props: ProjectsSheetProps) {
  const { open, onOpenChange, machineId } = props;
  const chat = useChatActor();
  const machineName = useChatSelector((s) =>
    machineId === LOCAL_MACHINE_ID ? null : (s.context.machines.find((m) => m.id === machineId)?.name ?? null),
  );
  // One machine per opening: a fresh list each time the sheet opens (and for each machine).
  const [actor, setActor] = useState<ProjectsActor | null>(null);
  useEffect(() => {
    if (!open) return;
    const { socket, timeoutMs } = chat.getSnapshot().context;
    const next = createActor(projectsMachine, { input: { socket, timeoutMs, machineId } });
    next.start();
    setActor(next);
    return () => {
      next.stop();
    };
  }, [open, chat, machineId]);

  return (
    <Sheet open={open} onOpenChange={onOpenChange}>
      <SheetContent
        side="right"
        stacked
        title={machineName ? `Projects on ${machineName}` : "Projects"}
        description={machineName ? `Where the agent works on ${machineName}` : "Where the agent works"}
      >
        {actor ? <ProjectsBody actor={actor} {...props} /> : null}
      </SheetContent>
    </Sheet>
  );
}

function ProjectsBody({ actor, ...props }: ProjectsSheetProps & { actor: ProjectsActor }) {
  const path = useSelector(actor, (s) => s.context.path);
  const projects = useSelector(actor, (s) => s.context.projects);
  const project = projects?.find((p) => p.path === path) ?? null;
  if (path && project) {
    return <ProjectView actor={actor} project={project} {...props} />;
  }
  return <ProjectList actor={actor} {...props} />;
}

// ---------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------

function ProjectList({ actor, chosen, recent, onChoose }: ProjectsSheetProps & { actor: ProjectsActor }) {
  const projects = useSelector(actor, (s) => s.context.projects);
  const error = useSelector(actor, (s) => s.context.listError);
  const loading = useSelector(actor, (s) => s.matches({ list: "loading" }));
  const [query, setQuery] = useState("");
  const now = useNow();
  const shown = useMemo(() => orderProjects(projects ?? [], recent, query), [projects, recent, query]);
  const recentCount = shown.filter((p) => recent.includes(p.path)).length;

  const open = (project: Project) => {
    onChoose(project.path);
    actor.send({ type: "OPEN_PROJECT", path: project.path });
  };

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <search className="border-b px-4 py-3">
        <SearchField label="Search projects" value={query} onChange={setQuery} placeholder="Search projects" />
      </search>
      <div className="flex-1 overflow-y-auto overscroll-contain px-3 py-3">
        {projects === null && loading ? (
          <p role="status" className="flex items-center gap-2 px-1 py-6 text-muted-foreground text-sm">
            <SpinnerIcon className="size-4" /> Looking for projects…
          </p>
        ) : error && projects === null ? (
          <div role="alert" className="space-y-2 px-1">
            <ErrorBox code={error.code} message={error.message}>
              <Button
                variant="outline"
                size="sm"
                className="mt-1 h-11 text-xs"
                onClick={() => actor.send({ type: "REFRESH" })}
              >
                Try again
              </Button>
            </ErrorBox>
          </div>
        ) : shown.length === 0 ? (
          <p role="status" className="px-1 py-6 text-muted-foreground text-sm">
            {query
              ? `No project matches “${query}”.`
              : "No projects yet. The server lists the folders in POCKET_WORKDIR: each root, its git repositories and the folders where you used Claude Code."}
          </p>
        ) : (
          <>
            <p className="sr-only" role="status">
              {`${shown.length} ${shown.length === 1 ? "project" : "projects"}`}
            </p>
            <ul aria-label="Projects" className="space-y-1">
              {shown.map((project, index) => (
                <li key={project.path}>
                  {index === recentCount && recentCount > 0 ? (
                    <div aria-hidden="true" className="mx-2 my-2 border-t" />
                  ) : null}
                  <ProjectRow
                    project={project}
                    chosen={project.path === chosen}
                    now={now}
                    onOpen={() => open(project)}
                  />
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}

function GitState({ project, className }: { project: Project; className?: string }) {
  if (!project.isGit) return null;
  return (
    <span className={cn("inline-flex min-w-0 items-center gap-1", className)}>
      <BranchIcon className="size-3.5 shrink-0" />
      <span className="truncate">{project.branch ?? "detached"}</span>
      {project.dirty ? (
        <span className="inline-flex shrink-0 items-center gap-1 text-warning">
          <span aria-hidden="true" className="size-1.5 rounded-full bg-warning" />
          changes
        </span>
      ) : null}
    </span>
  );
}

/** Where a project is: `work/clients/acme` for one under the root `work`; a root, by its full path. */
function location(project: Project): string {
  const where = relativeToRoot(project.path, project.root);
  return tailOfPath(where === "." ? project.root : `${projectName(project.root)}/${where}`);
}

function counts(project: Project): string {
  const parts: string[] = [];
  if (project.sessionCount > 0)
    parts.push(`${project.sessionCount} ${project.sessionCount === 1 ? "session" : "sessions"}`);
  if (project.claudeSessionCount > 0) parts.push(`${project.claudeSessionCount} from the desk`);
  return parts.join(" · ");
}

function ProjectRow({
  project,
  chosen,
  now,
  onOpen,
}: {
  project: Project;
  chosen: boolean;
  now: number;
  onOpen: () => void;
}) {
  const summary = counts(project);
  const muted = chosen ? "text-accent-foreground/85" : "text-muted-foreground";
  return (
    <button
      type="button"
      onClick={onOpen}
      aria-current={chosen ? "true" : undefined}
      className={cn(
        "flex w-full items-center gap-3 rounded-xl px-3 py-2.5 text-left transition-colors focus-visible:outline-2 focus-visible:outline-ring",
        chosen ? "bg-accent text-accent-foreground" : "hover:bg-muted",
      )}
    >
      <FolderIcon className={cn("size-5 shrink-0", chosen ? "" : "text-muted-foreground")} />
      <span className="min-w-0 flex-1">
        <span className="flex items-baseline gap-2">
          <span className="truncate font-medium text-[15px]">{project.name}</span>
          {chosen ? (
            <span className="inline-flex shrink-0 items-center gap-0.5 self-center text-xs">
              <CheckIcon className="size-3.5" />
              <span>new sessions</span>
            </span>
          ) : null}
          {project.lastActivityAt ? (
            <span className={cn("ml-auto shrink-0 text-xs", muted)}>{relativeAge(project.lastActivityAt, now)}</span>
          ) : null}
        </span>
        <span className={cn("block truncate text-xs", muted)}>{location(project)}</span>
        {project.isGit || summary ? (
          <span className={cn("flex min-w-0 items-center gap-1.5 text-xs", muted)}>
            <GitState project={project} className="max-w-[65%] shrink-0" />
            {project.isGit && summary ? <span aria-hidden="true">·</span> : null}
            <span className="min-w-0 truncate">{summary}</span>
          </span>
        ) : null}
      </span>
      <ChevronRightIcon className="size-4 shrink-0 text-muted-foreground" />
    </button>
  );
}

// ---------------------------------------------------------------------------
// One project: start here, or continue a session from the desk
// ---------------------------------------------------------------------------

function ProjectView({
  actor,
  project,
  onStartSession,
  onSessionOpened,
  machineId,
}: ProjectsSheetProps & { actor: ProjectsActor; project: Project }) {
  const chat = useChatActor();
  const sessions = useSelector(actor, (s) => s.context.claudeSessions);
  const hasMore = useSelector(actor, (s) => s.context.hasMore);
  const error = useSelector(actor, (s) => s.context.claudeError);
  const loading = useSelector(actor, (s) => s.matches({ claude: "loading" }));
  const loadingMore = useSelector(actor, (s) => s.matches({ claude: "loadingMore" }));
  const importing = useChatSelector((s) => s.matches({ connected: { session: "importing" } }));
  const connected = useChatSelector((s) => s.context.connection.status === "connected");
  const notice = useChatSelector((s) => s.context.notice);
  const currentSession = useChatSelector((s) => s.context.sessions.find((x) => x.id === s.context.sessionId));
  const [continuing, setContinuing] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const now = useNow();

  // Opening the project moves focus to its name, for keyboards and screen readers.
  useEffect(() => headingRef.current?.focus(), []);

  // The import answered: the session on screen is the one that continues it.
  useEffect(() => {
    if (!continuing || importing) return;
    if (currentSession?.forkedFrom === continuing || currentSession?.claudeSessionId === continuing) {
      setContinuing(null);
      onSessionOpened();
    } else if (notice) setContinuing(null);
  }, [continuing, importing, currentSession, notice, onSessionOpened]);

  const continueSession = (session: ClaudeSession) => {
    chat.send({ type: "DISMISS_NOTICE" });
    setContinuing(session.claudeSessionId);
    chat.send({ type: "IMPORT_SESSION", claudeSessionId: session.claudeSessionId, path: project.path, machineId });
  };

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="space-y-3 border-b px-4 py-3">
        <Button
          variant="ghost"
          size="sm"
          className="-ml-2 text-muted-foreground"
          onClick={() => actor.send({ type: "CLOSE_PROJECT" })}
        >
          <ChevronLeftIcon /> All projects
        </Button>
        <div>
          <h2 ref={headingRef} tabIndex={-1} className="truncate font-semibold text-lg leading-6 focus:outline-none">
            {project.name}
          </h2>
          <p className="flex min-w-0 items-center gap-2 text-muted-foreground text-xs">
            <span className="truncate">{location(project)}</span>
            <GitState project={project} className="max-w-[60%] shrink-0" />
          </p>
        </div>
        <Button className="w-full" disabled={!connected} onClick={() => onStartSession(project.path)}>
          <PlusIcon /> New session here
        </Button>
      </div>

      <section aria-labelledby="desk-sessions-heading" className="flex-1 overflow-y-auto overscroll-contain px-3 py-3">
        <h3
          id="desk-sessions-heading"
          className="flex items-center gap-1.5 px-1 pb-2 font-semibold text-muted-foreground text-xs uppercase tracking-wide"
        >
          <LaptopIcon className="size-4" /> Sessions at the desk
        </h3>
        {notice && !continuing && notice.code !== "CANCELLED" ? (
          <div role="alert" className="mb-3">
            <ErrorBox code={notice.code} message={notice.message}>
              <Button
                variant="outline"
                size="sm"
                className="mt-1 h-11 text-xs"
                onClick={() => chat.send({ type: "DISMISS_NOTICE" })}
              >
                Dismiss
              </Button>
            </ErrorBox>
          </div>
        ) : null}
        {loading && sessions.length === 0 ? (
          <p role="status" className="flex items-center gap-2 px-1 py-4 text-muted-foreground text-sm">
            <SpinnerIcon className="size-4" /> Reading sessions…
          </p>
        ) : error && sessions.length === 0 ? (
          <div role="alert">
            <ErrorBox code={error.code} message={error.message}>
              <Button
                variant="outline"
                size="sm"
                className="mt-1 h-11 text-xs"
                onClick={() => actor.send({ type: "REFRESH_SESSIONS" })}
              >
                Try again
              </Button>
            </ErrorBox>
          </div>
        ) : sessions.length === 0 ? (
          <p role="status" className="px-1 py-4 text-muted-foreground text-sm">
            No Claude Code sessions here yet. Sessions you start with <code className="font-mono">claude</code> in this
            folder show up here, to continue on this phone.
          </p>
        ) : (
          <ul aria-label="Claude Code sessions" className="space-y-2">
            {sessions.map((session) => (
              <li key={session.claudeSessionId}>
                <ClaudeSessionCard
                  session={session}
                  now={now}
                  busy={continuing === session.claudeSessionId}
                  disabled={!connected || importing}
                  onContinue={() => continueSession(session)}
                  onOpen={() => {
                    if (session.importedAs) chat.send({ type: "SWITCH_SESSION", sessionId: session.importedAs });
                    onSessionOpened();
                  }}
                />
              </li>
            ))}
          </ul>
        )}
        {hasMore ? (
          <Button
            variant="outline"
            className="mt-3 w-full"
            disabled={loadingMore}
            onClick={() => actor.send({ type: "LOAD_MORE" })}
          >
            {loadingMore ? <SpinnerIcon /> : null}
            {loadingMore ? "Loading…" : "Show older sessions"}
          </Button>
        ) : null}
        {error && sessions.length > 0 ? (
          <p role="alert" className="mt-2 px-1 text-destructive text-xs">
            {error.message}
          </p>
        ) : null}
      </section>
    </div>
  );
}

function ClaudeSessionCard({
  session,
  now,
  busy,
  disabled,
  onContinue,
  onOpen,
}: {
  session: ClaudeSession;
  now: number;
  busy: boolean;
  disabled: boolean;
  onContinue: () => void;
  onOpen: () => void;
}) {
  const titleId = useId();
  const prompt = session.firstPrompt && session.firstPrompt !== session.summary ? session.firstPrompt : null;
  return (
    <article aria-labelledby={titleId} className="space-y-2 rounded-xl border bg-card px-3 py-2.5">
      <div>
        <h4 id={titleId} className="line-clamp-2 font-medium text-[15px] leading-5">
          {session.summary || "Untitled session"}
        </h4>
        {prompt ? <p className="mt-0.5 line-clamp-1 text-muted-foreground text-xs">“{prompt}”</p> : null}
        <p className="mt-1 flex min-w-0 items-center gap-2 text-muted-foreground text-xs">
          <span className="shrink-0">{relativeAge(session.lastModified, now)}</span>
          {session.gitBranch ? (
            <span className="inline-flex min-w-0 items-center gap-1">
              <BranchIcon className="size-3.5 shrink-0" />
              <span className="truncate">{session.gitBranch}</span>
            </span>
          ) : null}
        </p>
      </div>
      {session.importedAs ? (
        <div className="flex items-center justify-between gap-2">
          <span className="inline-flex items-center gap-1 text-muted-foreground text-xs">
            <CheckIcon className="size-3.5" /> Continued on this phone
          </span>
          <Button variant="outline" size="sm" onClick={onOpen} aria-describedby={titleId}>
            Open
          </Button>
        </div>
      ) : (
        <div className="space-y-1.5">
          {session.inUse ? (
            <p className="rounded-lg bg-warning-surface px-2 py-1.5 text-warning text-xs">
              Still in use at the desk: it continues here as a copy (a fork), and the desk's session is left as it is.
            </p>
          ) : null}
          <Button
            variant={session.inUse ? "outline" : "secondary"}
            size="sm"
            className="w-full"
            disabled={disabled}
            aria-describedby={titleId}
            onClick={onContinue}
          >
            {busy ? <SpinnerIcon /> : null}
            {busy ? "Continuing…" : session.inUse ? "Continue as a fork on this phone" : "Continue on this phone"}
          </Button>
        </div>
      )}
    </article>
  );
}
