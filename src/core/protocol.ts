/**
 * The wire protocol between `httpSync` and the reference server (docs/sync-protocol.md). Plain JSON over HTTP,
 * `Authorization: Bearer <token>`. Server authoritative; the client rebases its pending ops on what it pulls.
 *
 *   POST /v1/sessions/:sessionId/push      PushRequest  -> PushResponse
 *   GET  /v1/sessions/:sessionId/pull?since=<cursor>&clientId=<id>&limit=<n>   -> PullResponse (paged by count and bytes)
 *   GET  /v1/sessions/:sessionId/snapshot?clientId=<id>&after=<page>           -> SnapshotResponse (paged by bytes)
 *   DELETE /v1/sessions/:sessionId                                               -> DeleteSessionResponse
 *   GET  /v1/sessions/:sessionId/events                                          -> text/event-stream of SessionEvent
 *
 * Errors are `{ error: { code, message } }` with status 400 (bad request), 401 (no or bad token), 403 (another user's
 * session or client id), 404, 409 (a gap in mutation ids), 410 (CURSOR_EXPIRED: history after the cursor was dropped;
 * SESSION_RESET: the session was deleted since the cursor), 413 (body or batch too large).
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
  /**
   * The server epoch of the state the change was made on, when the client knew one (it learns it from pulls). A
   * session's epoch goes up each time it is deleted; the server rejects an op of an older epoch with
   * `SESSION_RESET`, so that a change made on deleted state never brings it back. Absent: the change was made before
   * the client ever pulled (on nothing the server had), and applies.
   */
  readonly epoch?: number;
}


/** 2: epochs (SESSION_RESET), byte-bounded pull pages with bases, paged snapshots, quotas, the event stream. */
export const PROTOCOL_VERSION = 2;

/**
 * Error codes of the protocol beyond the HTTP basics. `SESSION_RESET` (410 on pull, or a rejected op's code): the
 * session was deleted since this client's cursor or op; drop the local copy and pull from the start.
 * `CURSOR_EXPIRED` (410): retention dropped history after the cursor; pull again from the start (no cursor).
 * `QUOTA_EXCEEDED` (a rejected op's code): the session or the user is over its storage quota.
 */
export type SyncErrorCode = 'SESSION_RESET' | 'CURSOR_EXPIRED' | 'QUOTA_EXCEEDED';

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
  /** Opaque; pass it as `since` next time. `<epoch>.<seq>` on the reference server. */
  readonly cursor: string;
  /** The session's epoch: bumped by each delete. Tag ops with it; a change of epoch means the session was reset. */
  readonly epoch: number;
  /** Server history entries after `since`, in server order (by sequence), with server version numbers. */
  readonly entries: readonly HistoryEntry[];
  /** Current server rows of every section that `entries` touch, so a client needs no base content to apply them. */
  readonly sections: readonly ServerSection[];
  /** The requesting client's last processed mutation id (0 if unknown): its ops up to here are in `entries`. */
  readonly lastMutationId: number;
  /** True when more entries are waiting (the page was cut by count or by bytes): pull again with the new cursor. */
  readonly more: boolean;
  /**
   * Full content at the first version the server still has history for, for each section of this page whose older
   * history retention dropped: a client that has nothing older (a device joining late) starts that section's history
   * here instead of at version 1, so blame, diffs and older versions keep working from there on.
   */
  readonly bases?: readonly SectionBase[];
}

/** A section's full content at `version`, from which the entries after it chain. */
export interface SectionBase {
  readonly pad: string;
  readonly section: string;
  readonly version: number;
  readonly content: string;
}

export interface SnapshotResponse {
  /** Where a pull continues after this snapshot (taken on the first page). */
  readonly cursor: string;
  readonly epoch: number;
  /** The current rows, in (pad, section) order; one page of them, cut by bytes. */
  readonly sections: readonly ServerSection[];
  readonly lastMutationId: number;
  /** Set when more rows are waiting: pass it as `after` for the next page. */
  readonly next?: string;
}

/** The answer to `DELETE /v1/sessions/:sessionId`. */
export interface DeleteSessionResponse {
  readonly deleted: boolean;
  /** The session's epoch after the deletion, and a cursor at its start: the deleting client pulls on from there. */
  readonly epoch: number;
  readonly cursor: string;
}

/**
 * What `GET /v1/sessions/:sessionId/events` streams (Server-Sent Events, `data:` one JSON object per event): a poke
 * that the session changed (pull now), sent after each push that changed something, after a delete, and once on
 * connect. `': keep-alive'` comments come every 25 s. Polling stays the fallback: an event may be lost.
 */
export interface SessionEvent {
  readonly type: 'poke';
  /** The session's epoch and its newest cursor when the event was sent. */
  readonly epoch: number;
  readonly cursor: string;
}

/** A section's current row on the server (deleted ones too, as tombstones). */
export type ServerSection = SectionRow;

export interface ErrorResponse {
  readonly error: { readonly code: string; readonly message: string };
}
