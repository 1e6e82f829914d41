/**
 * `scratchpad-store/server`: the reference sync server (DESIGN.md, "Sync protocol"). Hono on Node, with an SQLite
 * store (default, one process), a PostgreSQL store (several instances on one database), and Azure Cosmos DB and
 * Azure Blob Storage stores (src/server/azure).
 *
 *   const server = createServer({ store: sqliteStore({ path: './scratchpad.db' }), auth: hmacAuth(secret) });
 *   await server.listen(8787);
 */
export { createServer, type ScratchpadServer, type ServerOptions, type ListenInfo, type RetentionOptions } from './server.js';
export type { CorsOptions, ScratchpadApp } from './app.js';
export { sqliteStore, type SqliteStoreOptions } from './sql/sqlite.js';
export { postgresStore, type PostgresStoreOptions } from './sql/postgres.js';
export { cosmosStore, type CosmosStoreOptions } from './azure/cosmos.js';
export { blobStore, type BlobStoreOptions } from './azure/blob.js';
export type { RetryPolicy } from './azure/common.js';
export { tokenFileAuth, tokenMapAuth, hmacAuth, signToken, anyAuth, type Authenticator } from './auth.js';
export { HttpError, type HttpStatus } from './errors.js';
export { resolveServerLimits } from './limits.js';
export type { ServerStore, ServerLimits, PushInput, PullInput, SnapshotInput, PruneOptions, PruneReport, DeleteSessionInput } from './types.js';
export * from '../core/protocol.js';
