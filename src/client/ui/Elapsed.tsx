import { useEffect, useState } from "react";

/** Time since `since` (ms since the epoch), as m:ss, ticking every second. */
export function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  return (
    <span className="font-mono text-xs tabular-nums">
      <span aria-hidden="true">{text}</span>
      <span className="sr-only">for {seconds} seconds</span>
    </span>
  );
}
