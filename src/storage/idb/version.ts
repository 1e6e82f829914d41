// Its own module: `scratchpad-store/idb` exports it without loading the adapter's code up front.
/**
 * Schema versions. `upgradeSchema` walks a database from whatever version it was left at up to this one, in place,
 * keeping its data.
 *
 * 1. `sections`, `history` (whole `HistoryEntry` objects, keyed by their own fields, with a session/time index) and
 *    `snapshots`.
 * 2. History moves to `entries` in core's packed form (about a third of the bytes; see core/packed.ts) with a
 *    session/agent/time index besides the session/time one; `snapshots` gains the full-snapshot-only index (backfilled
 *    from the rows that hold content); the sync `outbox` (queue order across the clients of a session) and `meta`
 *    stores appear.
 * 3. Same stores. A large section's row may be a head with its content in a body row beside it (see bodies.ts); the
 *    version goes up so that a tab still running a library that would read a body row as a section has to let go.
 *    Rows written by version 2 are valid as they are: nothing to migrate.
 */
export const SCHEMA_VERSION = 3;
