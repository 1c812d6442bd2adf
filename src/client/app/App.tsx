import { useCallback, useEffect, useRef, useState } from "react";
import { ApprovalDock, approvalCard } from "../approvals/ApprovalDock.tsx";
import type { ChangesTarget } from "../changes/ChangesSheet.tsx";
import { Composer, type ComposerHandle } from "../chat/Composer.tsx";
import { Conversation } from "../chat/Conversation.tsx";
import { slashSuggestions } from "../chat/SlashSuggestions.tsx";
import type { Turn } from "../chat/turns.ts";
import type { CreatablePermissionMode } from "../chat/types.ts";
import {
  ChatActorContext,
  type ChatActorRef,
  releaseChatSnapshots,
  useChatActor,
  useChatSelector,
} from "../chat/useChat.ts";
import { useReleasedPreviews } from "../chat/useReleasedPreviews.ts";
import { ConnectionBanner } from "../connection/ConnectionBanner.tsx";
import type { PairingActorRef } from "../pairing/PairingScreen.tsx";
import { readRecentProjects, rememberProject } from "../projects/recent.ts";
import { NeedsYouToast } from "../sessions/NeedsYouToast.tsx";
import {
  type ModelChoice,
  readModel,
  readPermissionMode,
  saveModel,
  savePermissionMode,
} from "../sessions/preferences.ts";
import { useSeenTracker } from "../sessions/useSeenTracker.ts";
import { chunk } from "../ui/chunk.ts";
import { failedLine, lazyPart, Part } from "../ui/lazyPart.tsx";
import { isPointerCoarse } from "../ui/usePointer.ts";
import { useSelector } from "../ui/useSelector.ts";
import { voiceDetails } from "../voice/Voice.tsx";
import type { VoiceControl } from "../voice/voiceControl.ts";
import { OnDemand } from "./OnDemand.tsx";
import { TopBar } from "./TopBar.tsx";
import { followSystemTheme, readTheme, saveTheme, type ThemePreference } from "./theme.ts";
import { UpdateBanner } from "./UpdateBanner.tsx";

// The sheets (Radix Dialog, toggle groups, the JSON viewer) are not needed for the first screen:
// they load in their own chunks, fetched on the user's first touch or key press (before the click that
// opens one lands), not during start-up, where evaluating them would compete with the first render.
const sessionsSheet = chunk(() => import("../sessions/SessionsSheet.tsx"));
const logsSheet = chunk(() => import("../chat/LogsSheet.tsx"));
const settingsSheet = chunk(() => import("../sessions/SessionSettingsSheet.tsx"));
const projectsSheet = chunk(() => import("../projects/ProjectsSheet.tsx"));
const changesSheet = chunk(() => import("../changes/ChangesSheet.tsx"));
const machinesSheet = chunk(() => import("../machines/MachinesSheet.tsx"));
const notificationsSheet = chunk(() => import("../push/NotificationsSheet.tsx"));
const SessionsSheet = lazyPart(sessionsSheet, (m) => m.SessionsSheet);
const LogsSheet = lazyPart(logsSheet, (m) => m.LogsSheet);
const SessionSettingsSheet = lazyPart(settingsSheet, (m) => m.SessionSettingsSheet);
const ProjectsSheet = lazyPart(projectsSheet, (m) => m.ProjectsSheet);
const ChangesSheet = lazyPart(changesSheet, (m) => m.ChangesSheet);
const MachinesSheet = lazyPart(machinesSheet, (m) => m.MachinesSheet);
const NotificationsSheet = lazyPart(notificationsSheet, (m) => m.NotificationsSheet);
/** Another machine's projects have no recent ones on this device. */
const NO_PROJECTS: readonly string[] = [];
// Only an unpaired device needs this. On a first visit, nothing else would be on screen if it failed.
const PAIRING_FAILED = "The pairing screen could not load. Check that Pocket Agent is running on your workstation.";
const PairingScreen = lazyPart(
  chunk(() => import("../pairing/PairingScreen.tsx")),
  (m) => m.PairingScreen,
);

// Not focusin: the app focuses the composer itself when a session opens, and that is no user yet.
const FIRST_INTERACTION = ["pointerdown", "keydown"] as const;

function prefetchSheets(): () => void {
  const prefetch = () => {
    stop();
    for (const part of [
      sessionsSheet,
      logsSheet,
      settingsSheet,
      projectsSheet,
      notificationsSheet,
      machinesSheet,
      changesSheet,
      approvalCard,
      voiceDetails,
      slashSuggestions,
    ]) {
      part.prefetch();
    }
  };
  const stop = () => {
    for (const type of FIRST_INTERACTION) document.removeEventListener(type, prefetch, true);
  };
  for (const type of FIRST_INTERACTION) document.addEventListener(type, prefetch, { capture: true, passive: true });
  return stop;
}

export interface AppProps {
  actor: ChatActorRef;
  pairing: PairingActorRef;
  recorder: VoiceControl;
}

export function App({ actor, pairing, recorder }: AppProps) {
  useEffect(prefetchSheets, []);
  // After the first commit (children's effects run first, so every view is subscribed by now).
  useEffect(() => releaseChatSnapshots(actor), [actor]);
  const unpaired = useSelector(pairing, (s) => s.matches("unpaired") || s.matches("pairing"));
  return (
    <ChatActorContext value={actor}>
      {unpaired ? (
        <Part failed={failedLine(PAIRING_FAILED, "h-full justify-center p-6 text-center")}>
          <PairingScreen actor={pairing} />
        </Part>
      ) : (
        <Shell recorder={recorder} />
      )}
    </ChatActorContext>
  );
}

function Shell({ recorder }: { recorder: VoiceControl }) {
  useSeenTracker();
  useReleasedPreviews();
  const actor = useChatActor();
  const [sessionsOpen, setSessionsOpen] = useState(false);
  const [projectsOpen, setProjectsOpen] = useState(false);
  // This device's projects, most recently chosen first: the first is where new sessions start.
  const [recentProjects, setRecentProjects] = useState<string[]>(readRecentProjects);
  const project = recentProjects[0] ?? null;
  const [settingsFor, setSettingsFor] = useState<string | null>(null);
  const [model, setModel] = useState<ModelChoice>(readModel);
  const [permissionMode, setPermissionMode] = useState<CreatablePermissionMode>(readPermissionMode);
  const [theme, setTheme] = useState<ThemePreference>(readTheme);
  const [logsTurn, setLogsTurn] = useState<Turn | null>(null);
  const [changesTarget, setChangesTarget] = useState<ChangesTarget | null>(null);
  const [notificationsOpen, setNotificationsOpen] = useState(false);
  const [machinesOpen, setMachinesOpen] = useState(false);
  // Where new sessions run: this device's choice for now (not saved: the machines can change).
  const [machineId, setMachineId] = useState("local");
  // A linked machine's recent projects (its folders are not this server's), read when it is chosen.
  const [remoteRecent, setRemoteRecent] = useState<{ machineId: string; paths: string[] } | null>(null);
  const machineRecent =
    machineId === "local" ? recentProjects : remoteRecent?.machineId === machineId ? remoteRecent.paths : NO_PROJECTS;
  const onMachineProject = machineRecent[0] ?? null;
  const changeMachine = useCallback((id: string) => {
    setMachineId(id);
    if (id !== "local") setRemoteRecent({ machineId: id, paths: readRecentProjects(undefined, id) });
  }, []);
  const composer = useRef<ComposerHandle>(null);
  const machines = useChatSelector((s) => s.context.machines);
  const sessions = useChatSelector((s) => s.context.sessions);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  const connected = useChatSelector((s) => s.context.connection.status === "connected");
  const cwd = sessions.find((session) => session.id === sessionId)?.cwd;

  const themeRef = useRef(theme);
  themeRef.current = theme;
  useEffect(() => followSystemTheme(() => themeRef.current), []);

  // Focus the composer when a session opens (not on touch devices: it would pop the keyboard up).
  useEffect(() => {
    if (sessionId && !isPointerCoarse()) composer.current?.focus();
  }, [sessionId]);

  // Whether voice works here: asked once connected (the request needs the pairing cookie), and after each reconnect.
  useEffect(() => {
    if (connected) recorder.sendWhenLoaded({ type: "CHECK" });
  }, [connected, recorder]);

  const createSession = (cwd: string | null = project, on = "local") => {
    // `cwd` is a folder of the machine it runs on; a machine unlinked meanwhile is none: this server's default folder.
    const remote = on !== "local" && machines.some((m) => m.id === on) ? on : null;
    actor.send({
      type: "NEW_SESSION",
      model,
      permissionMode,
      ...(remote ? { machineId: remote } : {}),
      ...(cwd && (remote || on === "local") ? { cwd } : {}),
    });
    setSessionsOpen(false);
    setProjectsOpen(false);
  };

  const chooseProject = useCallback(
    (path: string) =>
      machineId === "local"
        ? setRecentProjects(rememberProject(path))
        : setRemoteRecent({ machineId, paths: rememberProject(path, undefined, machineId) }),
    [machineId],
  );
  const closeSheets = useCallback(() => {
    setProjectsOpen(false);
    setSessionsOpen(false);
  }, []);

  const afterApprovals = useCallback(() => {
    if (!isPointerCoarse()) composer.current?.focus();
  }, []);

  const closeSessions = useCallback(() => setSessionsOpen(false), []);
  const closeProjects = useCallback(() => setProjectsOpen(false), []);
  const closeSettings = useCallback(() => setSettingsFor(null), []);
  const closeLogs = useCallback(() => setLogsTurn(null), []);
  const closeNotifications = useCallback(() => setNotificationsOpen(false), []);
  const closeMachines = useCallback(() => setMachinesOpen(false), []);
  const closeChanges = useCallback(() => setChangesTarget(null), []);
  const showTurnChanges = useCallback(
    (turn: Turn) => (turn.changes ? setChangesTarget({ kind: "turn", files: turn.changes }) : undefined),
    [],
  );

  return (
    <div className="flex h-full flex-col">
      <TopBar
        onOpenSessions={() => setSessionsOpen(true)}
        onNewSession={() => createSession()}
        onOpenSettings={() => setSettingsFor(sessionId)}
        onOpenChanges={() => setChangesTarget({ kind: "session" })}
      />
      <UpdateBanner />
      <ConnectionBanner />
      <main className="flex min-h-0 flex-1 flex-col">
        <Conversation
          onStart={() => createSession()}
          onShowLogs={setLogsTurn}
          onShowChanges={showTurnChanges}
          onSuggest={(text) => composer.current?.insertAtCursor(text)}
        />
        <ApprovalDock cwd={cwd} onAllAnswered={afterApprovals} />
        <NeedsYouToast />
        <Composer ref={composer} recorder={recorder} />
      </main>
      <OnDemand open={sessionsOpen} name="Sessions" onClose={closeSessions}>
        <SessionsSheet
          open={sessionsOpen}
          onOpenChange={setSessionsOpen}
          model={model}
          onModelChange={(next) => {
            setModel(next);
            saveModel(next);
          }}
          permissionMode={permissionMode}
          onPermissionModeChange={(next) => {
            setPermissionMode(next);
            savePermissionMode(next);
          }}
          onOpenSettings={(id) => {
            setSessionsOpen(false);
            setSettingsFor(id);
          }}
          onCreate={() => createSession(onMachineProject, machineId)}
          project={onMachineProject}
          onOpenProjects={() => setProjectsOpen(true)}
          onOpenNotifications={() => {
            setSessionsOpen(false);
            setNotificationsOpen(true);
          }}
          onOpenMachines={() => {
            setSessionsOpen(false);
            setMachinesOpen(true);
          }}
          machineId={machineId}
          onMachineChange={changeMachine}
          theme={theme}
          onThemeChange={(next) => {
            setTheme(next);
            saveTheme(next);
          }}
        />
      </OnDemand>
      <OnDemand open={settingsFor !== null} name="Session settings" onClose={closeSettings}>
        <SessionSettingsSheet sessionId={settingsFor} onClose={closeSettings} />
      </OnDemand>
      <OnDemand open={projectsOpen} name="Projects" onClose={closeProjects}>
        <ProjectsSheet
          open={projectsOpen}
          onOpenChange={setProjectsOpen}
          machineId={machineId}
          chosen={onMachineProject}
          recent={machineRecent}
          onChoose={chooseProject}
          onStartSession={(path) => {
            chooseProject(path);
            createSession(path, machineId);
          }}
          onSessionOpened={closeSheets}
        />
      </OnDemand>
      <OnDemand open={logsTurn !== null} name="Agent logs" onClose={closeLogs}>
        <LogsSheet logs={logsTurn?.logs ?? null} cwd={cwd} onClose={closeLogs} />
      </OnDemand>
      <OnDemand open={changesTarget !== null} name="Changes" onClose={closeChanges}>
        <ChangesSheet sessionId={sessionId} target={changesTarget} onClose={closeChanges} />
      </OnDemand>
      <OnDemand open={notificationsOpen} name="Notifications" onClose={closeNotifications}>
        <NotificationsSheet open={notificationsOpen} onOpenChange={setNotificationsOpen} />
      </OnDemand>
      <OnDemand open={machinesOpen} name="Machines" onClose={closeMachines}>
        <MachinesSheet open={machinesOpen} onOpenChange={setMachinesOpen} />
      </OnDemand>
    </div>
  );
}
