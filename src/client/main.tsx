/**
 * The client's entry. Start-up is staged over several short tasks instead of one long one (on a
 * phone, a long task at start-up delays the first tap, and the static first screen is already on
 * screen meanwhile): each stage is its own chunk, evaluated in its own task, and the build preloads
 * them all with this file so that none waits for another's download (scripts/build.ts, decision 013).
 */

import { readPairingParams } from "./pairing/pairing.ts";
import { readOpenParams } from "./push/openParams.ts";
import { nextTask } from "./startup/nextTask.ts";

async function start(): Promise<void> {
  // `?pair=failed` (a refused pairing link) is shown once; neither it nor a stray token stays in the address bar.
  const { linkFailed, cleanUrl } = readPairingParams(location.href);
  if (cleanUrl !== null) history.replaceState(history.state, "", cleanUrl);
  // A tapped notification opens the app on its session (`?session=`), once.
  const opened = readOpenParams(location.href);
  if (opened.cleanUrl !== null) history.replaceState(history.state, "", opened.cleanUrl);

  const { connect } = await import("./startup/connection.ts");
  await nextTask();
  const chat = connect({ sessionId: opened.sessionId });
  // React DOM is most of the interface's code: evaluated on its own, before the app's components.
  await import("react-dom/client");
  await nextTask();
  const { startUi } = await import("./startup/ui.tsx");
  await nextTask();
  startUi(chat, { linkFailed });
}

/**
 * A stage that cannot load (the server was updated or went away while the page loaded) would
 * leave the static first screen inert with no word: say so, with the way out.
 */
function showLoadFailure(error: unknown): void {
  console.error("pocket-agent: the app's code did not load", error);
  const notice = document.createElement("div");
  notice.setAttribute("role", "alert");
  notice.className =
    "fixed inset-x-3 top-[max(env(safe-area-inset-top),0.75rem)] z-50 flex items-center gap-3 rounded-lg border bg-background p-3 text-sm text-foreground shadow-lg";
  const text = document.createElement("p");
  text.className = "flex-1";
  text.textContent = "Pocket Agent could not load. Check that it is running on your workstation.";
  const reload = document.createElement("button");
  reload.type = "button";
  reload.className = "rounded-md border px-3 py-2 font-medium";
  reload.textContent = "Reload";
  reload.addEventListener("click", () => location.reload());
  notice.append(text, reload);
  document.body.append(notice);
}

start().catch(showLoadFailure);
