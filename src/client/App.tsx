import { lazy, Suspense, useEffect, useRef, useState } from "react";
import { Composer, type ComposerHandle } from "./components/Composer.tsx";
import { ConnectionBanner } from "./components/ConnectionBanner.tsx";
import { Conversation } from "./components/Conversation.tsx";
import { TopBar } from "./components/TopBar.tsx";
import { UpdateBanner } from "./components/UpdateBanner.tsx";
import { type ModelChoice, readModel, saveModel } from "./lib/preferences.ts";
import { followSystemTheme, readTheme, saveTheme, type ThemePreference } from "./lib/theme.ts";
import type { Turn } from "./lib/turns.ts";
import { ChatActorContext, type ChatActorRef, useChatActor, useChatSelector } from "./lib/useChat.ts";

// The sheets (Radix Dialog, toggle groups, the JSON viewer) are not needed for the first screen:
// they load in their own chunk, fetched as soon as the browser is idle.
const loadSessionsSheet = () => import("./components/SessionsSheet.tsx");
const loadLogsSheet = () => import("./components/LogsSheet.tsx");
const SessionsSheet = lazy(() => loadSessionsSheet().then((m) => ({ default: m.SessionsSheet })));
const LogsSheet = lazy(() => loadLogsSheet().then((m) => ({ default: m.LogsSheet })));

function prefetchSheets(): void {
  const prefetch = () => {
    void loadSessionsSheet();
    void loadLogsSheet();
  };
  if (typeof requestIdleCallback === "function") requestIdleCallback(prefetch, { timeout: 2_000 });
  else setTimeout(prefetch, 500);
}

export function App({ actor }: { actor: ChatActorRef }) {
  useEffect(prefetchSheets, []);
  return (
    <ChatActorContext value={actor}>
      <Shell />
    </ChatActorContext>
  );
}

function Shell() {
  const actor = useChatActor();
  const [sessionsOpen, setSessionsOpen] = useState(false);
  const [model, setModel] = useState<ModelChoice>(readModel);
  const [theme, setTheme] = useState<ThemePreference>(readTheme);
  const [logsTurn, setLogsTurn] = useState<Turn | null>(null);
  const composer = useRef<ComposerHandle>(null);
  const sessions = useChatSelector((s) => s.context.sessions);
  const sessionId = useChatSelector((s) => s.context.sessionId);
  const cwd = sessions.find((session) => session.id === sessionId)?.cwd;

  const themeRef = useRef(theme);
  themeRef.current = theme;
  useEffect(() => followSystemTheme(() => themeRef.current), []);

  // Focus the composer when a session opens (not on touch devices: it would pop the keyboard up).
  useEffect(() => {
    if (sessionId && !matchMedia("(pointer: coarse)").matches) composer.current?.focus();
  }, [sessionId]);

  const createSession = () => {
    actor.send({ type: "NEW_SESSION", model });
    setSessionsOpen(false);
  };

  return (
    <div className="flex h-full flex-col">
      <TopBar onOpenSessions={() => setSessionsOpen(true)} onNewSession={createSession} />
      <UpdateBanner />
      <ConnectionBanner />
      <main className="flex min-h-0 flex-1 flex-col">
        <Conversation
          onStart={createSession}
          onShowLogs={setLogsTurn}
          onSuggest={(text) => composer.current?.insertAtCursor(text)}
        />
        <Composer ref={composer} />
      </main>
      <Suspense fallback={null}>
        <SessionsSheet
          open={sessionsOpen}
          onOpenChange={setSessionsOpen}
          model={model}
          onModelChange={(next) => {
            setModel(next);
            saveModel(next);
          }}
          onCreate={createSession}
          theme={theme}
          onThemeChange={(next) => {
            setTheme(next);
            saveTheme(next);
          }}
        />
        <LogsSheet logs={logsTurn?.logs ?? null} cwd={cwd} onClose={() => setLogsTurn(null)} />
      </Suspense>
    </div>
  );
}
