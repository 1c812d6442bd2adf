/**
 * The client's entry. Start-up is staged over several short tasks instead of one long one (on a
 * phone, a long task at start-up delays the first tap, and the static first screen is already on
 * screen meanwhile): each stage is its own chunk, evaluated in its own task, and the build preloads
 * them all with this file so that none waits for another's download (scripts/build.ts).
 */
import { nextTask } from "./lib/nextTask.ts";
import { readPairingParams } from "./lib/pairing.ts";

// `?pair=failed` (a refused pairing link) is shown once; neither it nor a stray token stays in the address bar.
const { linkFailed, cleanUrl } = readPairingParams(location.href);
if (cleanUrl !== null) history.replaceState(history.state, "", cleanUrl);

const { connect } = await import("./startup/connection.ts");
await nextTask();
const chat = connect();
// React DOM is most of the interface's code: evaluated on its own, before the app's components.
await import("react-dom/client");
await nextTask();
const { startUi } = await import("./startup/ui.tsx");
await nextTask();
startUi(chat, { linkFailed });
