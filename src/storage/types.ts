import type { ChainRead, HistoryEntry, HistoryQuery, SectionRecord, SnapshotRecord } from '../core/types.js';
import type { SectionKey, SyncOp } from '../core/protocol.js';

export type { ChainRead } from '../core/types.js';
export type { SectionKey, SyncOp } from '../core/protocol.js';

/** Everything one group commit writes. Storage applies all of it or none of it. */
export interface CommitBatch {
  /** Section rows to put, each with the version that storage must hold before the put (0: no row yet). */
  readonly sections: readonly { readonly record: SectionRecord; readonly expectedVersion: number }[];
  readonly entries: readonly HistoryEntry[];
  readonly snapshots: readonly SnapshotRecord[];
  readonly outbox?: readonly SyncOp[];
}

export interface SectionRewrite {
  readonly record: SectionRecord;
  readonly expectedVersion: number;
  readonly fromVersion: number;
  readonly entries: readonly HistoryEntry[];
  readonly snapshots: readonly SnapshotRecord[];
}

/** Which history to drop: entries of a section below a version, keeping what later versions need. */
export interface PruneRequest {
  readonly pad: string;
  readonly section: string;
  /** Entries and anchors with a lower version are deleted. */
  readonly belowVersion: number;
  /** A full snapshot of `belowVersion` written in the same transaction, so that it stays rebuildable. */
  readonly snapshot: SnapshotRecord;
}

export interface SessionStorage {
  /**
   * Current rows of the session (tombstones included), no history; with `keys`, only those sections (the ones
   * another tab just changed), so that following other tabs costs what they changed, not the session's size.
   */
  loadSections(keys?: readonly SectionKey[]): Promise<SectionRecord[]>;
  /**
   * Applies the batch atomically. Rejects with a `ScratchpadError` of code `CONFLICT` when a section's stored version
   * is not its `expectedVersion` (another writer got there first), `QUOTA_EXCEEDED`, or `STORAGE_UNAVAILABLE`; in every
   * case nothing of the batch is stored.
   */
  commit(batch: CommitBatch): Promise<void>;
  readHistory(query: HistoryQuery): Promise<HistoryEntry[]>;
  /** Entries of one section with versions in [from, to], ascending. */
  readEntries(pad: string, section: string, from: number, to: number): Promise<HistoryEntry[]>;
  readChain(pad: string, section: string, upTo: number): Promise<ChainRead>;
  prune(requests: readonly PruneRequest[]): Promise<void>;
  /** Everything of the session, for export. */
  readSnapshots(): Promise<SnapshotRecord[]>;
  /**
   * Sync ops waiting for the server, written by `commit` in the same transaction as the changes they describe, kept
   * in the order they were queued. Every scratchpad instance (tab) is its own sync client with its own mutation ids,
   * so ops of several clients may wait here; `ack` removes one client's ops up to an id.
   */
  outbox: {
    pending(limit: number): Promise<SyncOp[]>;
    ack(clientId: string, upToMutationId: number): Promise<void>;
    count(): Promise<number>;
  };
  /** Small JSON values of the session that must survive a reload (the sync client id and pull cursor). */
  meta: {
    get(key: string): Promise<unknown>;
    set(key: string, value: unknown): Promise<void>;
  };
  /**
   * Replaces a section's history from `fromVersion` on and puts its row, atomically: entries and anchors at or above
   * `fromVersion` are deleted, then `entries`, `snapshots` and `record` are put. Rejects CONFLICT unless the stored
   * row is at `expectedVersion`. Sync uses it to adopt the server's numbering of versions made while offline.
   */
  rewriteSection(change: SectionRewrite): Promise<void>;
  /** Subscribes to commits made by other connections to the same storage (other tabs). */
  watch?(onChange: (changed: readonly SectionKey[]) => void): () => void;
  /** Removes the session's sections, history, snapshots and outbox. */
  deleteSession(): Promise<void>;
  close(): void;
}

/** A place to keep sessions: memory, IndexedDB, or your own. */
export interface StorageAdapter {
  /** Shown in UIs and error messages, e.g. 'memory' or 'indexeddb:scratchpad'. */
  readonly name: string;
  open(sessionId: string): Promise<SessionStorage>;
}
