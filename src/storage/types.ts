import type { HistoryEntry, HistoryOp, HistoryQuery, SectionRecord, SnapshotRecord } from '../core/types.js';

/** Identifies a section within a session. */
export interface SectionKey {
  readonly pad: string;
  readonly section: string;
}

/** One queued change for a sync adapter, persisted in the same transaction as the change itself. */
export interface SyncOp {
  readonly clientId: string;
  /** Counts up from 1 per client with no gaps. */
  readonly mutationId: number;
  readonly pad: string;
  readonly section: string;
  readonly kind: 'replace' | 'append' | 'delete';
  /** For 'append' the text as written (the server applies the append rule); for 'replace' the whole new content. */
  readonly content: string;
  /** The server version the change was made on (0: the section did not exist). */
  readonly baseVersion: number;
  /**
   * Set when the change was made on top of this client's own earlier op, not yet confirmed when it was made: the base
   * is then whatever version that op produced on the server, and `baseVersion` is only the client's guess of it.
   */
  readonly baseMutationId?: number;
  /** What made the change locally (an edit and a revert travel as 'replace'); the server's entry keeps it. */
  readonly op?: HistoryOp;
  readonly agent: string;
  readonly timestamp: number;
}

/** Everything one group commit writes. Storage applies all of it or none of it. */
export interface CommitBatch {
  /** Section rows to put, each with the version that storage must hold before the put (0: no row yet). */
  readonly sections: readonly { readonly record: SectionRecord; readonly expectedVersion: number }[];
  readonly entries: readonly HistoryEntry[];
  readonly snapshots: readonly SnapshotRecord[];
  readonly outbox?: readonly SyncOp[];
}

/** What `readChain` returns: enough to rebuild one version without reading the section's whole history. */
export interface ChainRead {
  /** The nearest anchor at or before the requested version; undefined when history before it was dropped. */
  readonly anchor: SnapshotRecord | undefined;
  /** When `anchor` is a prefix checkpoint: the first full snapshot after it, if any. */
  readonly resolvedBy: SnapshotRecord | undefined;
  /** When `anchor` is a prefix checkpoint with no full snapshot after it: the current section row. */
  readonly current: SectionRecord | undefined;
  /** History entries after the anchor up to and including the requested version, ascending. */
  readonly entries: readonly HistoryEntry[];
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
