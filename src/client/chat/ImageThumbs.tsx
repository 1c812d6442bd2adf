/** Thumbnails of a message's images: removable in the composer, tappable (full size) in the conversation. */
import { XIcon } from "../ui/icons.tsx";
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
          <a
            href={image.src}
            target="_blank"
            rel="noreferrer"
            className="block rounded-xl focus-visible:outline-2 focus-visible:outline-ring"
          >
            <img
              src={image.src}
              alt={image.name}
              loading="lazy"
              className="size-24 rounded-xl border bg-muted object-cover"
            />
          </a>
        </li>
      ))}
    </ul>
  );
}
