/**
 * `scratchpad-store/idb`: sessions persisted in IndexedDB, one record per section, history entry and snapshot, shared
 * by every tab of the origin.
 */
import { ScratchpadError } from '../core/errors.js';
import type { SessionStorage, StorageAdapter } from './types.js';
import type { Connection } from './idb/connection.js';

export { SCHEMA_VERSION } from './idb/version.js';

export interface IndexedDbStorageOptions {
  /** Database name. Default 'scratchpad-store'. Every tab that uses the same name shares the data. */
  readonly name?: string;
  /** The IndexedDB to use. Default `globalThis.indexedDB`; in Node pass a fake-indexeddb `IDBFactory`. */
  readonly indexedDB?: IDBFactory;
  /** BroadcastChannel that tells other tabs what changed. Default `scratchpad-store:<name>`. */
  readonly channelName?: string;
  /**
   * How long an upgrade may wait for another tab that keeps an older version of the database open before calls fail
   * with STORAGE_UNAVAILABLE (they succeed again once that tab lets go). Default 5000 ms.
   */
  readonly blockedTimeoutMs?: number;
  /**
   * Durability hint of the write transactions. Default 'default' (the browser's choice). 'strict' waits for the disk to
   * flush before a write resolves (survives power loss, slower); 'relaxed' resolves once the OS has the data (survives
   * a crash of the tab or the browser).
   */
  readonly durability?: IDBTransactionDurability;
}

export const DEFAULT_DATABASE_NAME = 'scratchpad-store';

/**
 * A `StorageAdapter` on IndexedDB. One connection is shared by the sessions opened from this adapter; it is opened on
 * first use, reopened after the browser or another tab closed it, and closed when the last session is closed.
 */
export function indexedDbStorage(options: IndexedDbStorageOptions = {}): StorageAdapter {
  const name = options.name ?? DEFAULT_DATABASE_NAME;
  const where = `indexeddb:${name}`;
  const channelName = options.channelName ?? `scratchpad-store:${name}`;
  // The adapter's code (connection, schema and migrations, sessions, large-section bodies, the change channel) loads
  // on the first `open`: every app opens right away, but its own first chunk no longer waits for this code.
  let modules: Promise<typeof import('./idb/lazy.js')> | undefined;
  let connection: Connection | undefined;
  let openSessions = 0;

  return {
    name: where,
    async open(sessionId: string): Promise<SessionStorage> {
      if (typeof sessionId !== 'string') {
        throw new ScratchpadError('INVALID_ARGUMENT', `${where}: sessionId must be a string`, { storage: where });
      }
      openSessions++;
      let code: typeof import('./idb/lazy.js');
      let opened: Connection;
      try {
        code = await (modules ??= import('./idb/lazy.js'));
        opened = connection ??= new code.Connection({
          name,
          where,
          factory: options.indexedDB,
          blockedTimeoutMs: options.blockedTimeoutMs ?? 5000,
          durability: options.durability ?? 'default',
        });
        // Open now, so that a browser refusing IndexedDB shows up when the scratchpad starts, not at its first write.
        await opened.get();
      } catch (error) {
        release();
        throw error;
      }
      return new code.IdbSessionStorage(sessionId, opened, new code.ChangeChannel(channelName), where, release);
    },
  };

  function release(): void {
    openSessions--;
    // Nobody left to use it: do not keep a connection that would hold up another tab's upgrade or delete.
    if (openSessions === 0) connection?.close();
  }
}
