import type { DBSchema, IDBPDatabase, IDBPObjectStore, IDBPTransaction, StoreNames } from 'idb';
import type { HistoryEntry, SectionRecord, SnapshotRecord } from '../../core/types.js';
import type { SyncOp } from '../types.js';

/**
 * Schema versions. Each step in `upgradeSchema` only adds to the one before, so a database left by any older version
 * of the library is migrated in place and keeps its data.
 *
 * 1. `sections`, `history` (with the session/time index) and `snapshots`.
 * 2. `history` gains the session/agent/time index, `snapshots` the full-snapshot-only index (backfilled from the rows
 *    that hold content), and the sync `outbox` store appears.
 */
export const SCHEMA_VERSION = 2;

export type SectionKeyPath = [sessionId: string, pad: string, section: string];
export type VersionKeyPath = [sessionId: string, pad: string, section: string, version: number];
export type OutboxKeyPath = [sessionId: string, mutationId: number];

/**
 * A snapshot as stored. `fullKey` repeats the primary key and is set only when the row holds full content: IndexedDB
 * leaves rows without the key path out of an index, so the `full` index holds exactly the full snapshots and "the first
 * full snapshot after version p" is one cursor step.
 */
export type StoredSnapshot = SnapshotRecord & { fullKey?: VersionKeyPath };

export interface ScratchpadDB extends DBSchema {
  /** Current section rows (tombstones included), keyed [sessionId, pad, section]; the row is a `SectionRecord`. */
  sections: { key: SectionKeyPath; value: SectionRecord };
  /** One row per version, the `HistoryEntry` itself: its own fields form the key path. */
  history: {
    key: VersionKeyPath;
    value: HistoryEntry;
    indexes: { bySessionTime: [string, number]; bySessionAgentTime: [string, string, number] };
  };
  snapshots: { key: VersionKeyPath; value: StoredSnapshot; indexes: { full: VersionKeyPath } };
  outbox: { key: OutboxKeyPath; value: SyncOp };
}

export type Store = StoreNames<ScratchpadDB>;
export const ALL_STORES: readonly Store[] = ['sections', 'history', 'snapshots', 'outbox'];

/** Runs inside idb's `upgrade`; only IndexedDB requests may be awaited here. */
export function upgradeSchema(
  db: IDBPDatabase<ScratchpadDB>,
  oldVersion: number,
  tx: IDBPTransaction<ScratchpadDB, Store[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    db.createObjectStore('sections');
    const history = db.createObjectStore('history', { keyPath: ['sessionId', 'pad', 'section', 'version'] });
    history.createIndex('bySessionTime', ['sessionId', 'timestamp']);
    db.createObjectStore('snapshots');
  }
  if (oldVersion < 2) {
    tx.objectStore('history').createIndex('bySessionAgentTime', ['sessionId', 'agent', 'timestamp']);
    const snapshots = tx.objectStore('snapshots');
    snapshots.createIndex('full', 'fullKey');
    db.createObjectStore('outbox');
    if (oldVersion >= 1) {
      // Version 1 rows carry no fullKey; without it the full snapshots would be invisible to the new index.
      void backfillFullKeys(snapshots).catch(() => {
        try {
          tx.abort();
        } catch {
          // Already finished: the open request reports the failure.
        }
      });
    }
  }
}

async function backfillFullKeys(
  snapshots: IDBPObjectStore<ScratchpadDB, Store[], 'snapshots', 'versionchange'>,
): Promise<void> {
  let cursor = await snapshots.openCursor();
  while (cursor) {
    const value = cursor.value as StoredSnapshot;
    if (value.content !== undefined && value.fullKey === undefined) {
      await cursor.update({ ...value, fullKey: cursor.primaryKey as VersionKeyPath });
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
