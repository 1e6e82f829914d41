/**
 * `@scratchpad-store/server/postgres`: PostgreSQL, for several server instances on one database. Needs the optional
 * peer `pg` (`npm install pg`).
 */
export { postgresStore, type PgPoolLike, type PostgresStoreOptions } from './sql/postgres.js';
