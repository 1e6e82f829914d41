import { unwrap, wrap, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { ScratchpadError } from '../../core/errors.js';
import { domErrorName, toStorageError } from './errors.js';
import { SCHEMA_VERSION, upgradeSchema, type ScratchpadDB, type Store } from './schema.js';

export type Database = IDBPDatabase<ScratchpadDB>;

export interface ConnectionOptions {
  readonly name: string;
  /** Shown in error messages, e.g. 'indexeddb:scratchpad-store'. */
  readonly where: string;
  readonly factory: IDBFactory | undefined;
  readonly blockedTimeoutMs: number;
  readonly durability: IDBTransactionDurability;
}

/**
 * One lazily opened IndexedDB connection that heals itself: when another tab needs a newer schema or deletes the
 * database (`versionchange`, idb's `blocking`) the connection is closed at once so that the other tab is not held up,
 * and when the browser drops it (`close`, idb's `terminated`) it is forgotten; either way the next transaction opens a
 * new one. An open that stays `blocked` by a tab which will not let go fails with STORAGE_UNAVAILABLE after
 * `blockedTimeoutMs` instead of hanging, and succeeds later once that tab closes.
 */
export class Connection {
  private db: Database | undefined;
  private opening: Promise<Database> | undefined;
  /** The pending open got `blocked`: calls waiting for it start their timeout. */
  private blocked = false;
  private readonly armers = new Set<() => void>();
  private generation = 0;

  constructor(private readonly options: ConnectionOptions) {}

  /**
   * The open connection, opening (or reopening) it when needed. While the open is blocked by another tab, each call
   * waits at most `blockedTimeoutMs` and then fails; the open itself goes on, and calls succeed once it completes.
   */
  get(): Promise<Database> {
    if (this.db) return Promise.resolve(this.db);
    const opening = this.opening ?? this.open();
    return new Promise<Database>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = (): void => {
        timer = setTimeout(() => {
          this.armers.delete(arm);
          reject(
            new ScratchpadError(
              'STORAGE_UNAVAILABLE',
              `${this.options.where}: another tab keeps an older version of this database open and does not let it ` +
                'upgrade; close or reload the other tabs of this site',
              { storage: this.options.where, cause: 'blocked' },
            ),
          );
        }, this.options.blockedTimeoutMs);
      };
      const settle = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.armers.delete(arm);
      };
      opening.then(
        (db) => {
          settle();
          resolve(db);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
      if (this.blocked) arm();
      else this.armers.add(arm);
    });
  }

  /**
   * Starts a transaction. A connection found closed (InvalidStateError: the other tab's upgrade or the browser closed it
   * between two calls) is reopened once; nothing was done on it, so trying again is safe.
   */
  async transaction<S extends Store[], M extends IDBTransactionMode>(
    stores: S,
    mode: M,
  ): Promise<IDBPTransaction<ScratchpadDB, S, M>> {
    for (let attempt = 0; ; attempt++) {
      const db = await this.get();
      try {
        const tx = db.transaction(stores, mode, { durability: this.options.durability });
        // idb creates tx.done eagerly; an aborted transaction must not surface as an unhandled rejection.
        tx.done.catch(() => undefined);
        return tx;
      } catch (error) {
        if (attempt === 0 && domErrorName(error) === 'InvalidStateError') {
          this.forget(db);
          continue;
        }
        throw toStorageError(error, this.options.where);
      }
    }
  }

  /**
   * `transaction` without idb's wrappers, for the commit path where their promises and proxies cost more than the
   * work: the plain IDBTransaction, and a `done` promise that settles exactly as idb's `tx.done` does (resolves on
   * `complete`; rejects on the first `error` or `abort` event with `tx.error`, or an AbortError when it has none).
   */
  async rawTransaction(stores: Store[], mode: IDBTransactionMode): Promise<{ tx: IDBTransaction; done: Promise<void> }> {
    for (let attempt = 0; ; attempt++) {
      const db = await this.get();
      let tx: IDBTransaction;
      try {
        tx = unwrap(db).transaction(stores, mode, { durability: this.options.durability });
      } catch (error) {
        if (attempt === 0 && domErrorName(error) === 'InvalidStateError') {
          this.forget(db);
          continue;
        }
        throw toStorageError(error, this.options.where);
      }
      const settled = tx;
      const done = new Promise<void>((resolve, reject) => {
        settled.oncomplete = () => resolve();
        settled.onerror = settled.onabort = () => reject(settled.error || new DOMException('AbortError', 'AbortError'));
      });
      // An aborted transaction must not surface as an unhandled rejection.
      done.catch(() => undefined);
      return { tx, done };
    }
  }

  close(): void {
    this.generation++;
    const db = this.db;
    this.db = undefined;
    this.opening = undefined;
    this.blocked = false;
    db?.close();
  }

  private forget(db: Database): void {
    if (this.db === db) this.db = undefined;
  }

  private open(): Promise<Database> {
    const { name, where, factory } = this.options;
    const generation = this.generation;
    const idb = factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!idb) {
      return this.fail(
        new ScratchpadError(
          'STORAGE_UNAVAILABLE',
          `${where}: IndexedDB is not available in this environment (in Node, import 'fake-indexeddb/auto' or pass indexedDB)`,
          { storage: where },
        ),
      );
    }
    let request: IDBOpenDBRequest;
    try {
      request = idb.open(name, SCHEMA_VERSION);
    } catch (error) {
      // Opaque origins (sandboxed iframes, data: URLs) throw SecurityError synchronously.
      return this.fail(toStorageError(error, where));
    }

    const settle = (): void => {
      if (this.opening === opening) {
        this.opening = undefined;
        this.blocked = false;
      }
    };

    request.addEventListener('upgradeneeded', (event) => {
      const tx = request.transaction;
      if (!tx) return;
      upgradeSchema(wrap(request.result) as Database, event.oldVersion, wrap(tx) as unknown as Parameters<typeof upgradeSchema>[2]);
    });
    request.addEventListener('blocked', () => {
      if (this.opening !== opening) return;
      this.blocked = true;
      for (const arm of [...this.armers]) arm();
      this.armers.clear();
    });

    const opening = (wrap(request) as Promise<Database>).then(
      (db) => {
        settle();
        if (generation !== this.generation) {
          // Closed while opening: nobody wants this connection any more.
          db.close();
          return db;
        }
        db.addEventListener('versionchange', () => {
          db.close();
          this.forget(db);
        });
        db.addEventListener('close', () => this.forget(db));
        this.db = db;
        return db;
      },
      (error: unknown) => {
        settle();
        throw toStorageError(error, where, request.transaction?.error);
      },
    );
    opening.catch(() => undefined);
    this.opening = opening;
    return opening;
  }

  // Not cached: the next call tries again (IndexedDB may become available, a refusing profile may recover).
  private fail(error: ScratchpadError): Promise<Database> {
    return Promise.reject(error);
  }
}
