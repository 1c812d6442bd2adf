import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeRepo } from "../fixtures/gitRepos.ts";
import { pngBytes } from "../fixtures/images.ts";
import { expect, serverProcessEnv, test, waitForLine } from "./fixtures.ts";
import { awaitCreated, conversation, sendMessage, TURN_TIMEOUT_MS, turnDone, UUID_V4 } from "./helpers.ts";
import { inScheme } from "./support/app.ts";

/**
 * Machines (issue 21) in the browser: the Machines sheet lists this server, a second real server
 * is added by pasting its pairing link, the new-session sheet lists that machine's projects and
 * starts a session in one of them there, which answers and shows an image sent to it (stored by
 * the remote, loaded from the home); its row names the machine. When that server is killed the
 * machine and the row say offline, then "Reconnecting…" ("retrying" on the row) while the home's
 * retries hang on a port that accepts and never answers (decision 061); its projects say it is
 * offline, and the image, no longer cached, says it is unavailable. Every step is checked on the
 * page's real Socket.IO frames.
 */
test.use({ isolatedStack: "machines" });

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const SHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
const REMOTE_TOKEN = "remote-e2e-token-0123456789abcdef0123456789";

interface Remote {
  url: string;
  kill(): Promise<void>;
}

async function startRemote(apiUrl: string, temp: string): Promise<Remote> {
  const child: ChildProcess = spawn(join(root, "node_modules/.bin/bun"), ["src/server/main.ts"], {
    cwd: root,
    env: { ...serverProcessEnv(temp, apiUrl, REMOTE_TOKEN), PORT: "0", POCKET_MACHINE_NAME: "build box" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = (await waitForLine(child, / on (https?:\/\/\S+)/, "remote server"))[1] ?? "";
  return {
    url,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

test("add a machine by its pairing link, work on it, and see it go offline", async ({ page, frames, stack }, info) => {
  test.setTimeout(120_000);
  const temp = mkdtempSync(join(tmpdir(), "pocket-e2e-remote-"));
  // A project only the remote has (its own POCKET_WORKDIR is temp/work).
  const remoteApp = makeRepo(join(temp, "work", "remote-app"), { branch: "remote-main" });
  const remote = await startRemote(stack.apiUrl, temp);
  let closeSilent = () => {};
  const shoot = async (name: string) => {
    if (info.project.name !== "phone") return;
    for (const scheme of ["light", "dark"] as const) {
      await inScheme(page, scheme);
      await page.screenshot({
        path: join(SHOTS, `${name}-phone-${scheme}.png`),
        animations: "disabled",
        caret: "hide",
      });
    }
    await page.emulateMedia({ colorScheme: "light" });
  };
  try {
    // The greeting lists this server as the only machine.
    const greeting = await frames.waitFor("received", "connection");
    expect(greeting.machines).toMatchObject([{ id: "local", name: "desk" }]);
    expect(greeting.machineName).toBe("desk");

    await page.getByRole("button", { name: "Sessions" }).click();
    await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "Machines" }).click();
    const sheet = page.getByRole("dialog", { name: "Machines" });
    await expect(sheet.locator('[data-machine-id="local"]')).toContainText("This server");
    await expect(sheet.locator('[data-machine-id="local"]')).toContainText("desk");

    // Pasting the pairing link hides the token field: the link carries it.
    const link = `${remote.url}/?token=${REMOTE_TOKEN}`;
    await sheet.getByLabel("Pairing link or address").fill(link);
    await expect(sheet.getByLabel("Access token")).toHaveCount(0);
    // No name typed: the machine is called what it calls itself (its POCKET_MACHINE_NAME).
    const mark = frames.mark();
    await sheet.getByRole("button", { name: "Add machine" }).click();
    const add = await frames.waitFor("sent", "machine:add", () => true, 10_000, mark);
    expect(add).toMatchObject({ url: remote.url, token: REMOTE_TOKEN });
    expect(add).not.toHaveProperty("name");
    expect(add.requestId).toMatch(UUID_V4);
    const added = await frames.waitFor("received", "machine:added", (p) => p.requestId === add.requestId);
    const machine = added.machine as { id: string; status: string; url: string };
    expect(machine).toMatchObject({ status: "online", url: remote.url, name: "build box" });
    // The token never comes back to the page.
    for (const event of ["connection", "machine:added", "machine:updated", "session:updated"]) {
      expect(JSON.stringify(frames.received(event))).not.toContain(REMOTE_TOKEN);
    }
    const row = sheet.locator(`[data-machine-id="${machine.id}"]`);
    await expect(row).toHaveAttribute("data-machine-status", "online");
    await expect(row).toContainText("build box");
    await expect(sheet.getByLabel("Pairing link or address")).toHaveValue("");
    await shoot("machines");
    await page.keyboard.press("Escape");

    // New session → Machine: build box → its projects, not this server's.
    await page.getByRole("button", { name: "Sessions" }).click();
    await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "New", exact: true }).click();
    const newSheet = page.getByRole("dialog", { name: "New session" });
    await newSheet.getByLabel("Machine").selectOption(machine.id);
    const projectButton = newSheet.getByRole("button", { name: /^Project: build box's default folder/ });
    await expect(projectButton).toContainText("Project on build box");
    await shoot("machines-new-session");
    const listing = frames.mark();
    await projectButton.click();
    const projects = page.getByRole("dialog", { name: "Projects on build box" });
    const asked = await frames.waitFor("sent", "project:list", () => true, 10_000, listing);
    expect(asked.machineId).toBe(machine.id);
    const listed = await frames.waitFor("received", "project:list", (p) => p.requestId === asked.requestId);
    const remoteProjects = listed.projects as { path: string; branch?: string }[];
    expect(remoteProjects.map((p) => p.path)).toContain(remoteApp);
    expect(remoteProjects.every((p) => p.path.startsWith(join(temp, "work")))).toBe(true);
    const appRow = projects.getByRole("list", { name: "Projects" }).getByRole("button", { name: /^remote-app/ });
    await expect(appRow).toContainText("remote-main");
    await shoot("machines-projects");
    await appRow.click();
    await expect(projects.getByRole("heading", { name: "remote-app", level: 2 })).toBeFocused();
    const sessionsAsked = await frames.waitFor("sent", "project:sessions", () => true, 10_000, listing);
    expect(sessionsAsked).toMatchObject({ path: remoteApp, machineId: machine.id });
    await expect(projects.getByText("No Claude Code sessions here yet")).toBeVisible();
    const created = frames.mark();
    await projects.getByRole("button", { name: "New session here" }).click();
    const create = await frames.waitFor("sent", "session:create", () => true, 10_000, created);
    expect(create).toMatchObject({ machineId: machine.id, cwd: remoteApp });
    const sessionId = await awaitCreated(page, frames, created);
    const createdFrame = await frames.waitFor("received", "session:created", (p) => p.id === sessionId);
    expect(createdFrame).toMatchObject({ machineId: machine.id, cwd: remoteApp, branch: "remote-main" });
    await expect(projects).toBeHidden();

    const sent = await sendMessage(page, frames, "hello from the phone");
    const done = await turnDone(frames, sent.requestId);
    expect(done.sessionId).toBe(sessionId);
    await expect(page.getByText("Echo: hello from the phone")).toBeVisible({ timeout: TURN_TIMEOUT_MS });

    // The project chosen on build box is remembered on this device across a reload, apart from this server's.
    const reopened = frames.mark();
    await page.reload();
    await frames.waitFor("received", "connection", () => true, 30_000, reopened);
    await page.getByRole("button", { name: "Sessions" }).click();
    await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "New", exact: true }).click();
    await expect(newSheet.getByRole("button", { name: /^Project: / })).not.toContainText("remote-app");
    await newSheet.getByLabel("Machine").selectOption(machine.id);
    await expect(newSheet.getByRole("button", { name: /^Project: remote-app/ })).toBeVisible();
    await page.keyboard.press("Escape");
    await page.keyboard.press("Escape");
    await expect(conversation(page).getByText("Echo: hello from the phone")).toBeVisible();

    // An image in the remote session: the remote stores it, the page loads it from home's URL.
    const green = pngBytes(200, 120, [30, 160, 60]);
    writeFileSync(join(temp, "green.png"), green);
    await page.getByTestId("image-input").setInputFiles(join(temp, "green.png"));
    const withImage = await sendMessage(page, frames, "look at this green one");
    const queued = await frames.waitFor("received", "chat:queued", (p) => p.requestId === withImage.requestId);
    const imageId = (queued.attachments as { id: string }[])[0]?.id ?? "";
    await turnDone(frames, withImage.requestId);
    const fromRemote = await fetch(`${remote.url}/api/attachments/${imageId}`, {
      headers: { authorization: `Bearer ${REMOTE_TOKEN}` },
    });
    expect(Buffer.from(await fromRemote.arrayBuffer()).equals(Buffer.from(green))).toBe(true);
    const imageTurn = conversation(page).locator(`[data-turn="${withImage.requestId}"]`);
    const thumb = imageTurn.getByRole("img", { name: "green.png" });
    await expect(thumb).toHaveAttribute("src", `/api/attachments/${imageId}`);
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(200);

    await page.getByRole("button", { name: "Sessions" }).click();
    const list = page.getByRole("dialog", { name: "Sessions" });
    const tag = list.locator(`[data-session-id="${sessionId}"] [data-machine-tag="${machine.id}"]`);
    await expect(tag).toContainText("build box");
    await expect(tag).not.toHaveAttribute("data-offline", "true");

    // The machine goes away: the row and the Machines sheet say so.
    const killed = frames.mark();
    await remote.kill();
    const offline = await frames.waitFor(
      "received",
      "machine:updated",
      (p) =>
        (p.machine as { id: string; status: string }).id === machine.id &&
        (p.machine as { status: string }).status === "offline",
      10_000,
      killed,
    );
    expect((offline.machine as { problem?: string }).problem).toBe("MACHINE_UNREACHABLE");
    await expect(tag).toHaveAttribute("data-offline", "true");
    await expect(tag).toContainText("offline");
    await shoot("machines-offline-row");
    await list.getByRole("button", { name: "Machines" }).click();
    await expect(sheet.locator(`[data-machine-id="${machine.id}"]`)).toHaveAttribute("data-machine-status", "offline");
    await expect(sheet.locator(`[data-machine-id="${machine.id}"]`)).toContainText("not reachable");
    await shoot("machines-offline");

    // Something takes its port again but never answers (a machine asleep behind its network): each
    // of the home's retries hangs until its timeout, and is shown as reconnecting while it lasts.
    const { hostname, port } = new URL(remote.url);
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    closeSilent = () => {
      for (const socket of held) socket.destroy();
      silent.close();
    };
    await new Promise<void>((resolve) => silent.listen(Number(port), hostname, resolve));
    const retrying = frames.mark();
    const connecting = await frames.waitFor(
      "received",
      "machine:updated",
      (p) =>
        (p.machine as { id: string }).id === machine.id && (p.machine as { status: string }).status === "connecting",
      15_000,
      retrying,
    );
    expect((connecting.machine as { problem?: string }).problem).toBeUndefined();
    const machineRow = sheet.locator(`[data-machine-id="${machine.id}"]`);
    await expect(machineRow).toHaveAttribute("data-machine-status", "connecting", { timeout: 15_000 });
    await expect(machineRow).toContainText("Reconnecting…");
    await shoot("machines-reconnecting");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Sessions" }).click();
    await expect(tag).toContainText("retrying", { timeout: 15_000 });
    await expect(tag).toHaveAttribute("data-offline", "true");
    await shoot("machines-reconnecting-row");

    // Its projects cannot be listed now (offline or reconnecting): the sheet says so at once, in words.
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Sessions" }).click();
    await page.getByRole("dialog", { name: "Sessions" }).getByRole("button", { name: "New", exact: true }).click();
    const asking = frames.mark();
    await newSheet.getByRole("button", { name: /^Project: remote-app/ }).click();
    const refused = await frames.waitFor("sent", "project:list", () => true, 10_000, asking);
    expect(refused.machineId).toBe(machine.id);
    const error = await frames.waitFor("received", "project:error", (p) => p.requestId === refused.requestId);
    expect(error.code).toBe("MACHINE_OFFLINE");
    await expect(projects.locator('[data-error-code="MACHINE_OFFLINE"]')).toContainText("That machine is offline.");
    await shoot("machines-projects-offline");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Escape");

    // Its image, not in this browser's cache, cannot be loaded now: the thumbnail says so.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.clearBrowserCache");
    const reloaded = frames.mark();
    const imageAnswer = page.waitForResponse((r) => r.url().endsWith(`/api/attachments/${imageId}`));
    await page.reload();
    await frames.waitFor("received", "connection", () => true, 30_000, reloaded);
    expect((await imageAnswer).status()).toBe(503);
    const unavailable = conversation(page)
      .locator(`[data-turn="${withImage.requestId}"]`)
      .getByRole("button", { name: "green.png: unavailable now. Try again" });
    await expect(unavailable).toContainText("Image unavailable");
    // The home is connected, but not the machine this session runs on: the top bar says so.
    await expect(page.locator("header [data-machine-away]")).toHaveText(
      /^(Reconnecting to build box…|build box is offline)$/,
    );
    await shoot("machines-image-unavailable");
  } finally {
    closeSilent();
    await remote.kill();
    rmSync(temp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});
