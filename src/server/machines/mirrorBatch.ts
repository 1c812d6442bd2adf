import type { SessionEvent } from "../../shared/messages.ts";
import { createLogger } from "../logger.ts";

const log = createLogger("machines");

export interface Mirrored {
  event: SessionEvent;
  /** Arrived in a catch-up replay (before the link's `session:subscribed`), not live. */
  replayed: boolean;
}

export interface MirrorBatchOptions {
  /** Stores the events in one transaction, in order; true for each one that was new. */
  save(events: readonly SessionEvent[]): boolean[];
  /** Whether the event's session is still mirrored (it may have been forgotten since it arrived). */
  keeps(event: SessionEvent): boolean;
  /** Called once per new event, in arrival order, after the batch is committed. */
  publish(item: Mirrored): void;
  /** When the batch is written: after the messages already received in this turn of the event loop. */
  schedule?: (flush: () => void) => void;
}

/**
 * The mirror's writes, batched (decision 062): events a link hears in one turn of the event loop
 * are stored in one transaction, then published in the order they arrived, each new one exactly
 * once (`INSERT OR IGNORE` decides, inside the batch as across batches). Nothing is published
 * before it is committed, so a crash loses only events no phone has seen, which the next
 * catch-up (`afterSeq` = the highest stored seq) fetches again from the machine.
 */
export class MirrorBatch {
  private queue: Mirrored[] = [];
  private scheduled = false;
  private readonly schedule: (flush: () => void) => void;

  constructor(private readonly options: MirrorBatchOptions) {
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
  }

  get size(): number {
    return this.queue.length;
  }

  add(item: Mirrored): void {
    this.queue.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /**
   * Writes and publishes what is queued now. Called early by whatever must see the mirror up to
   * date first (a message about a session, a catch-up reading the highest seq, forgetting a session).
   */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue.filter((item) => this.options.keeps(item.event));
    this.queue = [];
    let fresh: boolean[];
    try {
      fresh = this.options.save(batch.map((item) => item.event));
    } catch (error) {
      // Nothing of the batch is stored or published: the next catch-up asks the machine for it again.
      log.error("could not store mirrored events", {
        events: batch.length,
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    batch.forEach((item, i) => {
      if (!fresh[i]) return;
      try {
        this.options.publish(item);
      } catch (error) {
        // One listener's failure must not keep the rest of the batch from the phones.
        log.error("could not publish a mirrored event", {
          error: error instanceof Error ? error.stack : String(error),
        });
      }
    });
  }
}
