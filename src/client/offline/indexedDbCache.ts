/**
 * The device's copy of recent conversations, in IndexedDB (savedConversations.ts says what is kept).
 * Every operation is best effort: private browsing, a full disk or a browser without IndexedDB
 * make it a cache that holds nothing, never an error the user sees.
 */
import type { Session } from "../../shared/messages.ts";
import {
  type ConversationCache,
  checkSaved,
  checkSavedSessions,
  SAVED_FORMAT,
  SAVED_SESSIONS,
  type SavedConversation,
  savedRecord,
} from "./savedConversations.ts";

export const DB_NAME = "pocket-agent";
const DB_VERSION = 1;
const CONVERSATIONS = "conversations";
const META = "meta";
const SESSIONS_KEY = "sessions";

function done(request: IDBRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function finished(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

export class IndexedDbConversationCache implements ConversationCache {
  private db: Promise<IDBDatabase | null> | null = null;

  constructor(private readonly factory: IDBFactory) {}

  private open(): Promise<IDBDatabase | null> {
    this.db ??= new Promise<IDBDatabase | null>((resolve) => {
      try {
        const request = this.factory.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains(CONVERSATIONS)) {
            db.createObjectStore(CONVERSATIONS, { keyPath: "sessionId" }).createIndex("savedAt", "savedAt");
          }
          if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
        };
        request.onsuccess = () => {
          const db = request.result;
          // Another tab upgrading the database: step aside, and open again next time.
          db.onversionchange = () => {
            db.close();
            this.db = null;
          };
          resolve(db);
        };
        request.onerror = () => resolve(null);
        request.onblocked = () => resolve(null);
      } catch {
        resolve(null);
      }
    });
    return this.db;
  }

  private async run<T>(
    mode: IDBTransactionMode,
    work: (transaction: IDBTransaction) => Promise<T>,
    fallback: T,
  ): Promise<T> {
    try {
      const db = await this.open();
      if (!db) return fallback;
      const transaction = db.transaction([CONVERSATIONS, META], mode);
      const [result] = await Promise.all([work(transaction), finished(transaction)]);
      return result;
    } catch (error) {
      console.warn("pocket-agent: the saved conversations could not be used", error);
      return fallback;
    }
  }

  load(sessionId: string): Promise<SavedConversation | null> {
    return this.run(
      "readonly",
      async (t) => checkSaved(await done(t.objectStore(CONVERSATIONS).get(sessionId)), sessionId),
      null,
    );
  }

  loadSessions(): Promise<Session[] | null> {
    return this.run(
      "readonly",
      async (t) => checkSavedSessions(await done(t.objectStore(META).get(SESSIONS_KEY))),
      null,
    );
  }

  save(conversation: SavedConversation): Promise<void> {
    return this.run(
      "readwrite",
      async (t) => {
        const store = t.objectStore(CONVERSATIONS);
        store.put(savedRecord(conversation));
        // Oldest first: everything past the newest SAVED_SESSIONS goes.
        const keys = (await done(store.index("savedAt").getAllKeys())) as IDBValidKey[];
        for (const key of keys.slice(0, Math.max(0, keys.length - SAVED_SESSIONS))) store.delete(key);
      },
      undefined,
    );
  }

  saveSessions(sessions: readonly Session[]): Promise<void> {
    return this.run(
      "readwrite",
      async (t) => {
        t.objectStore(META).put({ format: SAVED_FORMAT, sessions: [...sessions] }, SESSIONS_KEY);
      },
      undefined,
    );
  }

  retain(sessionIds: ReadonlySet<string>): Promise<void> {
    return this.run(
      "readwrite",
      async (t) => {
        const store = t.objectStore(CONVERSATIONS);
        const keys = (await done(store.getAllKeys())) as IDBValidKey[];
        for (const key of keys) if (typeof key !== "string" || !sessionIds.has(key)) store.delete(key);
      },
      undefined,
    );
  }

  clear(): Promise<void> {
    return this.run(
      "readwrite",
      async (t) => {
        t.objectStore(CONVERSATIONS).clear();
        t.objectStore(META).clear();
      },
      undefined,
    );
  }
}

/** The browser's cache, or null where there is no IndexedDB (the app then keeps nothing on the device). */
export function browserConversationCache(): ConversationCache | null {
  try {
    return typeof indexedDB === "undefined" ? null : new IndexedDbConversationCache(indexedDB);
  } catch {
    return null;
  }
}
