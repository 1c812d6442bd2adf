/**
 * The last word when the app itself cannot go on: a start-up stage that did not load (the server was
 * updated or went away while the page loaded), or an error no part caught, after which React has
 * taken the whole interface down. Plain DOM, because React is either not there yet or gone.
 */
export function showFailureNotice(message: string): void {
  const notice = document.createElement("div");
  notice.setAttribute("role", "alert");
  notice.className =
    "fixed inset-x-3 top-[max(env(safe-area-inset-top),0.75rem)] z-50 flex items-center gap-3 rounded-lg border bg-background p-3 text-sm text-foreground shadow-lg";
  const text = document.createElement("p");
  text.className = "flex-1";
  text.textContent = message;
  const reload = document.createElement("button");
  reload.type = "button";
  reload.className = "min-h-11 rounded-md border px-3 py-2 font-medium";
  reload.textContent = "Reload";
  reload.addEventListener("click", () => location.reload());
  notice.append(text, reload);
  document.body.append(notice);
  // Whatever had the focus is gone with the interface: the one way on takes it.
  reload.focus();
}
