/**
 * The client's entry. Start-up is staged over several short tasks instead of one long one (on a
 * phone, a long task at start-up delays the first tap, and the static first screen is already on
 * screen meanwhile): each stage is its own chunk, evaluated in its own task, and the build preloads
 * them all with this file so that none waits for another's download (scripts/build.ts, decision 013).
 */

// First: it routes the dynamic imports below (and every later one) through a retry that works on
// engines keeping a failed import (decision 072).
import "./ui/chunkImport.ts";
import { readPairingParams } from "./pairing/pairing.ts";
import { readOpenParams } from "./push/openParams.ts";
import { showFailureNotice } from "./startup/failureNotice.ts";
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

start().catch((error: unknown) => {
  console.error("pocket-agent: the app's code did not load", error);
  // Without this, the static first screen would stay inert with no word.
  showFailureNotice("Pocket Agent could not load. Check that it is running on your workstation.");
});
