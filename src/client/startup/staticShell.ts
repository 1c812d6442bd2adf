/**
 * The static first screen: dist/index.html carries the app's first render as HTML
 * (src/client/startup/shell.tsx, decision 009) and React hydrates it, keeping its DOM.
 */

/** Marks #root while it holds the static first screen, which is inert until React has adopted it. */
export const STATIC_SHELL_ATTRIBUTE = "data-static-shell";

// Hydration has to render exactly what the build rendered. The live actors have moved on by then
// (the socket is connecting, storage was read), so each one answers with the snapshot of its
// stand-in from createShellActors() until hydration is done; React then re-renders what differs.
const shellSnapshots = new WeakMap<object, unknown>();

/** An actor, or anything else a view reads snapshots from. */
interface Snapshots<S> {
  getSnapshot(): S;
}

export function renderLikeTheShell<S>(actor: Snapshots<S>, standIn: Snapshots<S>): void {
  shellSnapshots.set(actor, standIn.getSnapshot());
}

/** The snapshot the static shell was rendered from (the actor's own, for an actor without a stand-in). */
export function shellSnapshot<S>(actor: Snapshots<S>): S {
  return (shellSnapshots.get(actor) as S | undefined) ?? actor.getSnapshot();
}
