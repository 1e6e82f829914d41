import { unwrap, type DBSchema, type IDBPDatabase, type IDBPObjectStore, type IDBPTransaction, type StoreNames } from 'idb';
import { packEntry, unpackEntry, type PackedEntry } from '../../core/packed.js';
import type { HistoryEntry, SnapshotRecord } from '../../core/types.js';
import type { SyncOp } from '../types.js';
import type { BodyKeyPath, StoredSectionValue } from './bodies.js';

import { SCHEMA_VERSION } from './version.js';

export { SCHEMA_VERSION };

export type SectionKeyPath = [sessionId: string, pad: string, section: string];
export type VersionKeyPath = [sessionId: string, pad: string, section: string, version: number];
export type MetaKeyPath = [sessionId: string, key: string];

/** A queued sync op and its session. The store's key generator numbers ops in the order they were queued. */
export type StoredOp = SyncOp & { readonly s: string };

/**
 * A snapshot as stored. `fullKey` repeats the primary key and is set only when the row holds full content: IndexedDB
 * leaves rows without the key path out of an index, so the `full` index holds exactly the full snapshots and "the first
 * full snapshot after version p" is one cursor step.
 */
export type StoredSnapshot = SnapshotRecord & { fullKey?: VersionKeyPath };

/**
 * A history entry as stored: core's packed entry plus the session id, which the indexes need. Pad and section are in
 * the key, and are read back from it.
 */
export type StoredEntry = PackedEntry & { readonly s: string };

export interface ScratchpadDB extends DBSchema {
  /**
   * Current section rows (tombstones included), keyed [sessionId, pad, section]: a `SectionRecord`, or for a large
   * section a head whose content is in the body row keyed [sessionId, pad, section, 0] (bodies.ts).
   */
  sections: { key: SectionKeyPath | BodyKeyPath; value: StoredSectionValue };
  /** One row per version, keyed [sessionId, pad, section, version]. */
  entries: {
    key: VersionKeyPath;
    value: StoredEntry;
    indexes: { bySessionTime: [string, number]; bySessionAgentTime: [string, string, number] };
  };
  snapshots: { key: VersionKeyPath; value: StoredSnapshot; indexes: { full: VersionKeyPath } };
  /**
   * Keyed by an auto-incremented number (queue order, whatever the client); `bySession` lists a session's ops in that
   * order, `byClient` (unique) finds one client's ops by mutation id and refuses a mutation id queued twice.
   */
  outbox: { key: number; value: StoredOp; indexes: { bySession: string; byClient: [string, string, number] } };
  /** Small JSON values per session (sync client id, pull cursor), stored as JSON text. */
  meta: { key: MetaKeyPath; value: string };
}

export type Store = StoreNames<ScratchpadDB>;
export const ALL_STORES: readonly Store[] = ['sections', 'entries', 'snapshots', 'outbox', 'meta'];

export function toStoredEntry(sessionId: string, entry: HistoryEntry): StoredEntry {
  return { s: sessionId, ...packEntry(entry) };
}

export function fromStoredEntry(stored: StoredEntry, key: VersionKeyPath): HistoryEntry {
  return unpackEntry(stored, key[0], key[1], key[2]);
}

/** Runs inside idb's `upgrade`; only IndexedDB requests may be awaited here. */
export function upgradeSchema(
  db: IDBPDatabase<ScratchpadDB>,
  oldVersion: number,
  tx: IDBPTransaction<ScratchpadDB, Store[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    // Version 1 also had `history`; a new database goes straight to its replacement below.
    db.createObjectStore('sections');
    db.createObjectStore('snapshots');
  }
  if (oldVersion < 2) {
    const entries = db.createObjectStore('entries');
    entries.createIndex('bySessionTime', ['s', 't']);
    entries.createIndex('bySessionAgentTime', ['s', 'a', 't']);
    const snapshots = tx.objectStore('snapshots');
    snapshots.createIndex('full', 'fullKey');
    const outbox = db.createObjectStore('outbox', { autoIncrement: true });
    outbox.createIndex('bySession', 's');
    outbox.createIndex('byClient', ['s', 'clientId', 'mutationId'], { unique: true });
    db.createObjectStore('meta');
    if (oldVersion >= 1) {
      // Settles inside the last request's success event, while the upgrade transaction is still active.
      void Promise.all([repackHistory(unwrap(tx), entries), backfillFullKeys(snapshots)]).then(
        () => unwrap(db).deleteObjectStore('history'),
        () => {
          try {
            tx.abort();
          } catch {
            // Already finished: the open request reports the failure.
          }
        },
      );
    }
  }
}

/** Version 1 kept whole entries in `history`; copy them into `entries` packed, one cursor step at a time. */
async function repackHistory(tx: IDBTransaction, entries: IDBPObjectStore<ScratchpadDB, Store[], 'entries', 'versionchange'>): Promise<void> {
  const history = tx.objectStore('history');
  await new Promise<void>((resolve, reject) => {
    const request = history.openCursor();
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor) {
        resolve();
        return;
      }
      const entry = cursor.value as HistoryEntry;
      void entries.put(toStoredEntry(entry.sessionId, entry), [entry.sessionId, entry.pad, entry.section, entry.version]).catch(reject);
      cursor.continue();
    };
  });
}

async function backfillFullKeys(snapshots: IDBPObjectStore<ScratchpadDB, Store[], 'snapshots', 'versionchange'>): Promise<void> {
  let cursor = await snapshots.openCursor();
  while (cursor) {
    const value = cursor.value;
    // Version 1 rows carry no fullKey; without it the full snapshots would be invisible to the new index.
    if (value.content !== undefined && value.fullKey === undefined) {
      await cursor.update({ ...value, fullKey: cursor.primaryKey });
    }
    cursor = await cursor.continue();
  }
}

// Arrays sort after every string and number, so [id, []] is above every key that starts with id.
const TOP: IDBValidKey = [];

export function sessionRange(sessionId: string): IDBKeyRange {
  return IDBKeyRange.bound([sessionId], [sessionId, TOP]);
}

export function padRange(sessionId: string, pad: string): IDBKeyRange {
  return IDBKeyRange.bound([sessionId, pad], [sessionId, pad, TOP]);
}

export function sectionRange(sessionId: string, pad: string, section: string): IDBKeyRange {
  return IDBKeyRange.bound([sessionId, pad, section], [sessionId, pad, section, TOP]);
}

/** Versions of one section in [from, to], with either end optionally open; undefined when the range is empty. */
export function versionRange(
  sessionId: string,
  pad: string,
  section: string,
  from: number,
  to: number,
  fromOpen = false,
  toOpen = false,
): IDBKeyRange | undefined {
  if (Number.isNaN(from) || Number.isNaN(to) || from > to || (from === to && (fromOpen || toOpen))) return undefined;
  return IDBKeyRange.bound([sessionId, pad, section, from], [sessionId, pad, section, to], fromOpen, toOpen);
}

export function toStoredSnapshot(sessionId: string, snapshot: SnapshotRecord): StoredSnapshot {
  if (snapshot.content === undefined) return snapshot;
  return { ...snapshot, fullKey: [sessionId, snapshot.pad, snapshot.section, snapshot.version] };
}

export function fromStoredSnapshot(stored: StoredSnapshot): SnapshotRecord {
  const { fullKey: _fullKey, ...snapshot } = stored;
  return snapshot as SnapshotRecord;
}
