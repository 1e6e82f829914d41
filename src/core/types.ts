import type { StructuredPatch } from 'diff';

export type { StructuredPatch };

/** How a write combines its text with the section's current content. */
export type WriteMode = 'replace' | 'append' | 'prepend';

/** What produced a version; stored on every history entry. */
export type HistoryOp = 'write_replace' | 'write_append' | 'write_prepend' | 'edit' | 'revert' | 'delete';

/** A section as readers see it. */
export interface Section {
  readonly content: string;
  /** 1, 2, 3, … with no gaps; the version of the history entry that produced this content. */
  readonly version: number;
  /** Milliseconds since the epoch, from the scratchpad's clock. */
  readonly updatedAt: number;
  /** The agent (or person) that wrote this version. */
  readonly updatedBy: string;
}

export interface DiffStats {
  readonly added: number;
  readonly removed: number;
}

/** One version of one section. Version n holds the forward patch from version n-1 (0 lines for n = 1). */
export interface HistoryEntry {
  /** Stable and unique within a session: `<pad>/<section>@<version>` with pad and section URI-encoded (a '/' in a name stays unambiguous). */
  readonly id: string;
  readonly sessionId: string;
  readonly pad: string;
  readonly section: string;
  readonly version: number;
  readonly op: HistoryOp;
  readonly agent: string;
  readonly timestamp: number;
  /** Zero-context unified patch from the previous version's content to this one. */
  readonly patch: StructuredPatch;
  readonly stats: DiffStats;
  /** Set by a sync server when a stale write could not be merged cleanly; both sides stay in history. */
  readonly conflict?: boolean;
}

export interface WriteResult {
  readonly pad: string;
  readonly section: string;
  readonly mode: WriteMode | 'edit' | 'revert' | 'delete';
  readonly version: number;
  /** 0 when the write created the section. */
  readonly previousVersion: number;
  /** False when the new content equals the old: no version was made. */
  readonly changed: boolean;
  readonly patch: StructuredPatch;
  readonly stats: DiffStats;
  /** Human- and model-readable summary with the diff, in the old manager's format. */
  readonly message: string;
}

export interface DiffResult {
  readonly patch: StructuredPatch;
  /** Unified diff text with file headers; applies with GNU `patch`. */
  readonly text: string;
  readonly stats: DiffStats;
}

export interface BlameLine {
  /** The line without its line terminator. */
  readonly text: string;
  /** The version that last introduced this line. */
  readonly version: number;
  readonly agent: string;
  readonly timestamp: number;
}

/** Filters for `history()`. All are optional and combine with AND. */
export interface HistoryQuery {
  readonly pad?: string;
  readonly section?: string;
  readonly agent?: string;
  /** Inclusive lower bound on `timestamp`. */
  readonly since?: number;
  /** Inclusive upper bound on `timestamp`. */
  readonly until?: number;
  readonly limit?: number;
  /** By timestamp, then pad, section and version. Default 'asc'. */
  readonly order?: 'asc' | 'desc';
}

/** An edit applied to a section's current content. Lines are 1-based and inclusive. */
export type SectionEdit =
  | { readonly oldText: string; readonly newText: string }
  | { readonly insertAtLine: number; readonly text: string }
  | { readonly deleteLines: { readonly from: number; readonly to: number } }
  | { readonly replaceLines: { readonly from: number; readonly to: number }; readonly text: string };

export interface ScratchpadLimits {
  /** UTF-8 bytes of one section's content. Default 1 MiB. */
  readonly maxSectionBytes: number;
  /** Characters of a pad or section name. Default 128. */
  readonly maxNameLength: number;
}

export interface RetentionPolicy {
  /** Keep at most this many most recent versions of each section. */
  readonly maxVersionsPerSection?: number;
  /** Drop history entries older than this (the current version is always kept). */
  readonly maxAgeMs?: number;
}

export interface HistoryOptions {
  /**
   * A full snapshot at least every this many versions (earlier when the patch bytes since the last one exceed the
   * content's size): rebuilding a version applies at most this many patches. Default 512.
   */
  readonly checkpointEvery?: number;
  readonly retain?: RetentionPolicy;
}

/** A portable copy of a session: current sections and their whole history. */
export interface ScratchpadSnapshot {
  readonly format: 'scratchpad-store/v1';
  readonly sessionId: string;
  readonly exportedAt: number;
  readonly sections: readonly SectionRecord[];
  readonly history: readonly HistoryEntry[];
  readonly snapshots: readonly SnapshotRecord[];
}

/** A section's current row: what a sync server reports, and what storage keeps (with bookkeeping) as SectionRecord. */
export interface SectionRow {
  readonly pad: string;
  readonly section: string;
  readonly content: string;
  readonly version: number;
  readonly updatedAt: number;
  readonly updatedBy: string;
  readonly deleted: boolean;
}

/**
 * A section as storage keeps it. Deleted sections stay as tombstones so that a re-created section continues its
 * version numbering and its history stays queryable.
 */
export interface SectionRecord extends SectionRow {
  /** Bookkeeping for checkpoints; derived by core, persisted so that a reopened session continues it. */
  readonly chain: ChainState;
  /** With sync: the last server version this row's history agrees with (versions above it are local, speculative). */
  readonly synced?: number;
}

/** Where the delta chain of a section stands, so that the next write knows whether it owes a checkpoint. */
export interface ChainState {
  /** Version of the last anchor (full snapshot or prefix checkpoint). */
  readonly anchorVersion: number;
  /** Bytes of patches written since that anchor. */
  readonly bytesSinceAnchor: number;
  /**
   * The last anchor is a prefix checkpoint still waiting for the full snapshot that resolves it: the first
   * write that is not an append must first store a full snapshot of the content it replaces.
   */
  readonly openPrefix: boolean;
}

/**
 * An anchor for rebuilding old versions. Either the full content of `version`, or a prefix checkpoint: the content of
 * `version` is the first `prefixLength` UTF-16 code units of the next full snapshot after it (or of the current content
 * when there is none yet). Prefix checkpoints make append-heavy sections cost O(appended text) in history, yet rebuild
 * in O(1) patches: a run of appends only ever extends its content.
 */
export type SnapshotRecord =
  | { readonly pad: string; readonly section: string; readonly version: number; readonly content: string; readonly prefixLength?: undefined }
  | { readonly pad: string; readonly section: string; readonly version: number; readonly prefixLength: number; readonly content?: undefined };

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

/** Where a scratchpad's sync stands, for a UI to show (`sp.syncStatus`, `useSyncStatus`). */
export type SyncState = 'idle' | 'pushing' | 'offline' | 'error';

export interface SyncStatus {
  readonly state: SyncState;
  /** Local changes not yet acknowledged by the server. */
  readonly pending: number;
  /** What went wrong last, while `state` is 'error' or 'offline'. */
  readonly lastError?: string;
  /**
   * Set when this device dropped its copy because the session was deleted (reset) on the server, by another device or
   * an earlier run of this one: when (ms since the epoch) and the server's new epoch. Changes made here on the deleted
   * state were discarded; what the session holds now was pulled afresh.
   */
  readonly reset?: { readonly at: number; readonly epoch: number | undefined };
  /** True while the live event stream is connected (pokes arrive at once; otherwise the client polls). */
  readonly live?: boolean;
}
