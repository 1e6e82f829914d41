/**
 * `@scratchpad-store/server/sqlite`: the embedded default store, one SQLite file for one server process.
 *
 *   import { createServer, hmacAuth } from '@scratchpad-store/server';
 *   import { sqliteStore } from '@scratchpad-store/server/sqlite';
 *   createServer({ store: sqliteStore({ path: './scratchpad.db' }), auth: hmacAuth(secret) });
 */
export { sqliteStore, type SqliteStoreOptions } from './sql/sqlite.js';
