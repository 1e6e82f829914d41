/**
 * The wire protocol between `httpSync` and the reference server (docs/sync-protocol.md). Plain JSON over HTTP,
 * `Authorization: Bearer <token>`. Server authoritative; the client rebases its pending ops on what it pulls.
 *
 *   POST /v1/sessions/:sessionId/push      PushRequest  -> PushResponse
 *   GET  /v1/sessions/:sessionId/pull?since=<cursor>&clientId=<id>   -> PullResponse
 *   GET  /v1/sessions/:sessionId/snapshot?clientId=<id>              -> SnapshotResponse
 *   DELETE /v1/sessions/:sessionId                                    -> 204 (the session and all its history)
 *
 * Errors are `{ error: { code, message } }` with status 400 (bad request), 401 (no or bad token), 403 (another user's
 * session or client id), 404, 409 (a gap in mutation ids), 413 (body or batch too large).
 */
import type { HistoryEntry, HistoryOp, SectionRow } from './types.js';

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


export const PROTOCOL_VERSION = 1;

export interface PushBody {
  readonly clientId: string;
  /** Consecutive mutation ids, ascending. Ids the server has already applied are skipped (a retried push is harmless). */
  readonly ops: readonly SyncOp[];
}

export type OpOutcome =
  /** Applied now: the section is at `version`. `conflict` when a stale replace could not be merged cleanly. */
  | { readonly mutationId: number; readonly status: 'applied'; readonly version: number; readonly conflict?: boolean }
  /** Applied before (a duplicate delivery): nothing was done this time. */
  | { readonly mutationId: number; readonly status: 'duplicate' }
  /** Can never apply (bad name, too large, deleting a missing section): marked processed so it cannot block the outbox. */
  | { readonly mutationId: number; readonly status: 'rejected'; readonly error: { readonly code: string; readonly message: string } };

export interface PushResponse {
  /** The highest mutation id of this client that the server has processed. */
  readonly lastMutationId: number;
  readonly results: readonly OpOutcome[];
}

export interface PullResponse {
  /** Opaque; pass it as `since` next time. A per-session sequence on the reference server. */
  readonly cursor: string;
  /** Server history entries after `since`, in server order (by sequence), with server version numbers. */
  readonly entries: readonly HistoryEntry[];
  /** Current server rows of every section that `entries` touch, so a client needs no base content to apply them. */
  readonly sections: readonly ServerSection[];
  /** The requesting client's last processed mutation id (0 if unknown): its ops up to here are in `entries`. */
  readonly lastMutationId: number;
  /** True when more entries are waiting: pull again with the new cursor. */
  readonly more: boolean;
}

export interface SnapshotResponse {
  readonly cursor: string;
  readonly sections: readonly ServerSection[];
  readonly lastMutationId: number;
}

/** A section's current row on the server (deleted ones too, as tombstones). */
export type ServerSection = SectionRow;

export interface ErrorResponse {
  readonly error: { readonly code: string; readonly message: string };
}
