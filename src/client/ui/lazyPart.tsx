import { Component, type ComponentType, type ReactNode, Suspense, use } from "react";
import { type Chunk, forgetFailedChunks } from "./chunk.ts";
import { cn } from "./cn.ts";

/**
 * A component from a chunk loaded on first use. Like React's `lazy`, it suspends while the chunk
 * loads; unlike it, a failed load is tried again the next time the part renders (after its `Part`
 * has shown the failure), without reloading the page.
 */
export function lazyPart<M, P extends object>(from: Chunk<M>, pick: (module: M) => ComponentType<P>): ComponentType<P> {
  // biome-ignore lint/correctness/noComponentHookFactories: called once per part, at a module's top level, as React's `lazy` is
  function LazyPart(props: P) {
    const Picked = pick(from.loaded ?? use(from.load()));
    return <Picked {...props} />;
  }
  return LazyPart;
}

type Failed = (retry: () => void) => ReactNode;

interface BoundaryProps {
  children: ReactNode;
  failed: Failed;
  retryOn?: unknown;
}

class Boundary extends Component<BoundaryProps, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override componentDidCatch() {
    // Shown now: the next render of the part (Try again, or the part mounted anew) fetches its code again.
    forgetFailedChunks();
  }

  override componentDidUpdate(previous: BoundaryProps) {
    if (this.state.failed && previous.retryOn !== this.props.retryOn) this.retry();
  }

  retry = () => this.setState({ failed: false });

  override render() {
    return this.state.failed ? this.props.failed(this.retry) : this.props.children;
  }
}

/**
 * Where a `lazyPart` renders: what shows while its code loads, and what shows if it fails to load
 * or to render. The failure stays in the part: React unmounts the whole app for an error nobody
 * catches, and the rest of the app works without this part.
 */
export function Part({
  loading = null,
  failed,
  retryOn,
  children,
}: {
  loading?: ReactNode;
  /** Says what did not load, and offers `retry`. */
  failed: Failed;
  /** A new value retries a failed part, as its Try again would (a sheet opened again, another approval). */
  retryOn?: unknown;
  children: ReactNode;
}) {
  return (
    <Boundary failed={failed} retryOn={retryOn}>
      <Suspense fallback={loading}>{children}</Suspense>
    </Boundary>
  );
}

/** The usual `failed`: one line where the part would have been, and Try again. */
export function failedLine(message: string, className?: string): Failed {
  return (retry) => (
    <p role="alert" className={cn("flex flex-wrap items-center gap-x-2 text-destructive text-sm", className)}>
      {message}
      <button
        type="button"
        onClick={retry}
        className="tap-44 font-medium text-foreground underline underline-offset-4 focus-visible:outline-2 focus-visible:outline-ring"
      >
        Try again
      </button>
    </p>
  );
}
