/** Thumbnails of a message's images: removable in the composer, tappable (full size) in the conversation. */
import { useState } from "react";
import { ImageIcon, XIcon } from "../ui/icons.tsx";
import type { OutgoingImage, TurnImage } from "./turns.ts";

/** The composer's images, each with a Remove button (a 44 px target over the corner). */
export function ComposerImages({ images, onRemove }: { images: OutgoingImage[]; onRemove: (key: string) => void }) {
  if (images.length === 0) return null;
  return (
    <ul className="mx-auto mb-2 flex w-full max-w-3xl gap-2 overflow-x-auto px-1 pt-1" aria-label="Images to send">
      {images.map((image) => (
        <li key={image.key} className="relative size-16 shrink-0">
          <img
            src={image.previewUrl}
            alt={image.name}
            className="size-16 rounded-xl border object-cover"
            draggable={false}
          />
          <button
            type="button"
            aria-label={`Remove ${image.name}`}
            onClick={() => onRemove(image.key)}
            className="-top-3 -right-3 absolute flex size-11 items-center justify-center rounded-full focus-visible:outline-2 focus-visible:outline-ring"
          >
            <span className="flex size-6 items-center justify-center rounded-full bg-foreground text-background shadow">
              <XIcon className="size-3.5" strokeWidth={3} />
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

/** A sent message's images; each opens full size in a new tab. */
export function MessageImages({ images }: { images: TurnImage[] }) {
  if (images.length === 0) return null;
  return (
    <ul className="flex max-w-[85%] flex-wrap justify-end gap-1.5" aria-label="Attached images">
      {images.map((image) => (
        <li key={image.key}>
          <SentImage image={image} />
        </li>
      ))}
    </ul>
  );
}

/**
 * One sent image. It can fail to load: an image of another machine's session is read from that
 * machine, which may be offline (decision 063). Then it says so, and a tap tries again.
 */
function SentImage({ image }: { image: TurnImage }) {
  const [failed, setFailed] = useState(false);
  // A new attempt is a new element: the browser loads it again (an error answer is never cached).
  const [attempt, setAttempt] = useState(0);
  if (failed) {
    return (
      <button
        type="button"
        onClick={() => {
          setFailed(false);
          setAttempt((n) => n + 1);
        }}
        aria-label={`${image.name}: unavailable now. Try again`}
        className="flex size-24 flex-col items-center justify-center gap-1 rounded-xl border border-dashed bg-muted px-2 text-center text-muted-foreground text-xs focus-visible:outline-2 focus-visible:outline-ring"
      >
        <ImageIcon className="size-5" />
        <span>Image unavailable</span>
        <span className="underline">Try again</span>
      </button>
    );
  }
  return (
    <a
      href={image.src}
      target="_blank"
      rel="noreferrer"
      className="block rounded-xl focus-visible:outline-2 focus-visible:outline-ring"
    >
      <img
        key={attempt}
        src={image.src}
        alt={image.name}
        loading="lazy"
        onError={() => setFailed(true)}
        className="size-24 rounded-xl border bg-muted object-cover"
      />
    </a>
  );
}
