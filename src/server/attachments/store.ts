import type { Database } from "bun:sqlite";
import type { AttachmentInfo, ImageMediaType } from "../../shared/messages.ts";
import type { CheckedImage } from "./images.ts";

/** A stored image with its bytes. */
export interface StoredImage extends AttachmentInfo {
  sessionId: string;
  data: Uint8Array;
}

interface Row {
  id: string;
  session_id: string;
  name: string;
  media_type: string;
  size: number;
  data: Uint8Array;
}

const toStored = (row: Row): StoredImage => ({
  id: row.id,
  sessionId: row.session_id,
  name: row.name,
  mediaType: row.media_type as ImageMediaType,
  size: row.size,
  data: row.data,
});

/**
 * Images kept with their session (deleted with it, by the foreign key), in SQLite beside the
 * events that name them: one file to back up, one transaction with the turn (decision 050).
 */
export class AttachmentStore {
  private readonly q;

  constructor(db: Database) {
    this.q = {
      insert: db.query(
        `INSERT INTO attachments (id, session_id, request_id, position, name, media_type, size, data, created_at)
         VALUES ($id, $sessionId, $requestId, $position, $name, $mediaType, $size, $data, $createdAt)`,
      ),
      byId: db.query<Row, [string]>("SELECT * FROM attachments WHERE id = ?"),
      byTurn: db.query<Row, [string]>("SELECT * FROM attachments WHERE request_id = ? ORDER BY position"),
    };
  }

  /** Stores a turn's images, in order; call inside the turn's transaction. */
  insert(sessionId: string, requestId: string, images: readonly CheckedImage[], createdAt: string): AttachmentInfo[] {
    return images.map((image, position) => {
      const info: AttachmentInfo = {
        id: crypto.randomUUID(),
        name: image.name,
        mediaType: image.mediaType,
        size: image.data.byteLength,
      };
      this.q.insert.run({ ...info, sessionId, requestId, position, data: image.data, createdAt });
      return info;
    });
  }

  get(id: string): StoredImage | null {
    const row = this.q.byId.get(id);
    return row ? toStored(row) : null;
  }

  /** A turn's images with their bytes, in the order they were sent. */
  forTurn(requestId: string): StoredImage[] {
    return this.q.byTurn.all(requestId).map(toStored);
  }
}
