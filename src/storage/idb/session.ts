import type { IDBPIndex, IDBPTransaction } from 'idb';
import { ScratchpadError } from '../../core/errors.js';
import type { HistoryEntry, HistoryQuery, SectionRecord, SnapshotRecord } from '../../core/types.js';
import { compareEntries } from '../query.js';
import type { ChainRead, CommitBatch, PruneRequest, SectionKey, SessionStorage, SyncOp } from '../types.js';
import type { ChangeChannel } from './channel.js';
import type { Connection } from './connection.js';
import { toStorageError } from './errors.js';
import {
  fromStoredSnapshot,
  padRange,
  sectionRange,
  sessionRange,
  toStoredSnapshot,
  versionRange,
  type ScratchpadDB,
  type SectionKeyPath,
  type Store,
  type VersionKeyPath,
} from './schema.js';

type Tx<Mode extends IDBTransactionMode> = IDBPTransaction<ScratchpadDB, Store[], Mode>;
type HistoryIndex = IDBPIndex<ScratchpadDB, Store[], 'history', 'bySessionTime' | 'bySessionAgentTime', 'readonly'>;

const ignore = (): void => undefined;

/** One session's view of an IndexedDB database. Every method is one transaction. */
export class IdbSessionStorage implements SessionStorage {
  readonly outbox: SessionStorage['outbox'];
  private closed = false;
  private readonly unsubscribers = new Set<() => void>();

  constructor(
    private readonly sessionId: string,
    private readonly connection: Connection,
    private readonly channel: ChangeChannel,
    private readonly where: string,
    private readonly onClose: () => void,
  ) {
    this.outbox = {
      pending: (limit) => this.pendingOps(limit),
      ack: (upToMutationId) => this.ackOps(upToMutationId),
    };
  }

  loadSections(): Promise<SectionRecord[]> {
    return this.read(['sections'], (tx) => tx.objectStore('sections').getAll(sessionRange(this.sessionId)));
  }

  async commit(batch: CommitBatch): Promise<void> {
    const outbox = batch.outbox ?? [];
    const stores: Store[] = [];
    if (batch.sections.length > 0) stores.push('sections');
    if (batch.entries.length > 0) stores.push('history');
    if (batch.snapshots.length > 0) stores.push('snapshots');
    if (outbox.length > 0) stores.push('outbox');
    if (stores.length === 0) return;
    const sid = this.sessionId;

    await this.write(stores, (tx) => {
      let conflict: ScratchpadError | undefined;
      const track = (request: Promise<unknown>): void => {
        request.catch(ignore);
      };
      if (batch.sections.length > 0) {
        const sections = tx.objectStore('sections');
        // Each check is queued right before its put, and requests run in order: the check sees the rows this batch
        // wrote before it (two writes to one section in one group commit), and a failed check aborts the transaction
        // before anything it queued can commit. No round trip to this thread between checking and writing.
        for (const { record, expectedVersion } of batch.sections) {
          const key: SectionKeyPath = [sid, record.pad, record.section];
          const check = sections.get(key).then((row) => {
            const actualVersion = row?.version ?? 0;
            if (actualVersion === expectedVersion || conflict) return;
            conflict = new ScratchpadError(
              'CONFLICT',
              `'${record.pad}.${record.section}' is at version ${actualVersion} in storage, not ${expectedVersion}: another tab or scratchpad wrote it first`,
              { pad: record.pad, section: record.section, expectedVersion, actualVersion, storage: this.where },
            );
            try {
              tx.abort();
            } catch {
              // Already aborting for another reason; the conflict is still what the caller needs to know.
            }
          });
          track(check);
          track(sections.put(record, key));
        }
      }
      if (batch.entries.length > 0) {
        const history = tx.objectStore('history');
        for (const entry of batch.entries) {
          // The key path reads sessionId from the entry: an entry of another session must not land in this one.
          track(history.put(entry.sessionId === sid ? entry : { ...entry, sessionId: sid }));
        }
      }
      if (batch.snapshots.length > 0) {
        const snapshots = tx.objectStore('snapshots');
        for (const snapshot of batch.snapshots) {
          const key: VersionKeyPath = [sid, snapshot.pad, snapshot.section, snapshot.version];
          track(snapshots.put(toStoredSnapshot(sid, snapshot), key));
        }
      }
      if (outbox.length > 0) {
        const store = tx.objectStore('outbox');
        // add, not put: a mutation id already queued (by another tab of the same client) must never be overwritten.
        for (const op of outbox) track(store.add(op, [sid, op.mutationId]));
      }
      return () => conflict;
    });

    const changed = new Map<string, SectionKey>();
    for (const { record } of batch.sections) changed.set(JSON.stringify([record.pad, record.section]), { pad: record.pad, section: record.section });
    for (const entry of batch.entries) changed.set(JSON.stringify([entry.pad, entry.section]), { pad: entry.pad, section: entry.section });
    this.channel.post({ sessionId: sid, sections: [...changed.values()] });
  }

  readHistory(query: HistoryQuery): Promise<HistoryEntry[]> {
    const { pad, section, agent, since, until, limit, order = 'asc' } = query;
    const lo = since ?? -Infinity;
    const hi = until ?? Infinity;
    if ((limit !== undefined && limit <= 0) || Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) return this.empty([]);
    const sid = this.sessionId;
    const inTime = (e: HistoryEntry): boolean => e.timestamp >= lo && e.timestamp <= hi;

    return this.read(['history'], async (tx) => {
      const store = tx.objectStore('history');
      if (pad !== undefined && section !== undefined) {
        const rows = await store.getAll(sectionRange(sid, pad, section));
        return finish(rows.filter((e) => inTime(e) && (agent === undefined || e.agent === agent)), order, limit);
      }
      if (agent !== undefined) {
        const range = IDBKeyRange.bound([sid, agent, lo], [sid, agent, hi]);
        const filter =
          pad === undefined && section === undefined
            ? undefined
            : (e: HistoryEntry): boolean => (pad === undefined || e.pad === pad) && (section === undefined || e.section === section);
        return scanIndex(store.index('bySessionAgentTime'), range, order, limit, filter);
      }
      if (pad !== undefined) {
        const rows = await store.getAll(padRange(sid, pad));
        return finish(rows.filter(inTime), order, limit);
      }
      const range = IDBKeyRange.bound([sid, lo], [sid, hi]);
      const filter = section === undefined ? undefined : (e: HistoryEntry): boolean => e.section === section;
      return scanIndex(store.index('bySessionTime'), range, order, limit, filter);
    });
  }

  readEntries(pad: string, section: string, from: number, to: number): Promise<HistoryEntry[]> {
    const range = versionRange(this.sessionId, pad, section, from, to);
    return this.read(['history'], async (tx) => (range ? tx.objectStore('history').getAll(range) : []));
  }

  readChain(pad: string, section: string, upTo: number): Promise<ChainRead> {
    const sid = this.sessionId;
    return this.read(['sections', 'history', 'snapshots'], async (tx) => {
      const snapshots = tx.objectStore('snapshots');
      const below = versionRange(sid, pad, section, -Infinity, upTo);
      const cursor = below ? await snapshots.openCursor(below, 'prev') : null;
      const anchor = cursor ? fromStoredSnapshot(cursor.value) : undefined;
      let resolvedBy: SnapshotRecord | undefined;
      let current: SectionRecord | undefined;
      if (anchor && anchor.content === undefined) {
        const after = versionRange(sid, pad, section, anchor.version, Infinity, true);
        const full = after ? await snapshots.index('full').openCursor(after) : null;
        if (full) resolvedBy = fromStoredSnapshot(full.value);
        else current = await tx.objectStore('sections').get([sid, pad, section]);
      }
      const entriesRange = versionRange(sid, pad, section, anchor?.version ?? 0, upTo, true);
      const entries = entriesRange ? await tx.objectStore('history').getAll(entriesRange) : [];
      return { anchor, resolvedBy, current, entries };
    });
  }

  async prune(requests: readonly PruneRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const sid = this.sessionId;
    await this.write(['history', 'snapshots'], (tx) => {
      const history = tx.objectStore('history');
      const snapshots = tx.objectStore('snapshots');
      for (const { pad, section, belowVersion, snapshot } of requests) {
        const range = versionRange(sid, pad, section, -Infinity, belowVersion, false, true);
        if (range) {
          history.delete(range).catch(ignore);
          snapshots.delete(range).catch(ignore);
        }
        snapshots.put(toStoredSnapshot(sid, snapshot), [sid, snapshot.pad, snapshot.section, snapshot.version]).catch(ignore);
      }
      return undefined;
    });
  }

  readSnapshots(): Promise<SnapshotRecord[]> {
    return this.read(['snapshots'], async (tx) => (await tx.objectStore('snapshots').getAll(sessionRange(this.sessionId))).map(fromStoredSnapshot));
  }

  watch(onChange: (changed: readonly SectionKey[]) => void): () => void {
    if (this.closed) return ignore;
    const unsubscribe = this.channel.subscribe((message) => {
      if (message.sessionId === this.sessionId && !this.closed) onChange(message.sections);
    });
    this.unsubscribers.add(unsubscribe);
    return () => {
      unsubscribe();
      this.unsubscribers.delete(unsubscribe);
    };
  }

  async deleteSession(): Promise<void> {
    const range = sessionRange(this.sessionId);
    let removed: SectionKeyPath[] = [];
    await this.write(['sections', 'history', 'snapshots', 'outbox'], async (tx) => {
      // Read the keys in the same transaction as the delete, so the other tabs hear of exactly what was removed.
      const keys = tx.objectStore('sections').getAllKeys(range);
      for (const store of ['sections', 'history', 'snapshots', 'outbox'] as const) tx.objectStore(store).delete(range).catch(ignore);
      removed = await keys;
      return undefined;
    });
    this.channel.post({ sessionId: this.sessionId, sections: removed.map(([, pad, section]) => ({ pad, section })) });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.clear();
    this.channel.close();
    this.onClose();
  }

  private pendingOps(limit: number): Promise<SyncOp[]> {
    if (!(limit > 0)) return this.empty([]);
    return this.read(['outbox'], (tx) => tx.objectStore('outbox').getAll(sessionRange(this.sessionId), Math.floor(limit)));
  }

  private async ackOps(upToMutationId: number): Promise<void> {
    if (Number.isNaN(upToMutationId)) return;
    const range = IDBKeyRange.bound([this.sessionId, -Infinity], [this.sessionId, upToMutationId]);
    await this.write(['outbox'], (tx) => {
      tx.objectStore('outbox').delete(range).catch(ignore);
      return undefined;
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new ScratchpadError('CLOSED', `${this.where}: this session storage was closed`, { storage: this.where });
  }

  /** An answer known without asking IndexedDB, still refused after close() like every other call. */
  private async empty<T>(value: T): Promise<T> {
    this.assertOpen();
    return value;
  }

  private async read<T>(stores: Store[], body: (tx: Tx<'readonly'>) => Promise<T>): Promise<T> {
    this.assertOpen();
    const tx = await this.connection.transaction(stores, 'readonly');
    try {
      return await body(tx);
    } catch (error) {
      throw toStorageError(error, this.where, tx.error);
    }
  }

  /**
   * A readwrite transaction that settles with `tx.done`: the promise resolves only once everything is committed.
   * `body` queues requests and returns either nothing or a function telling, once the transaction has ended, which
   * error of its own (a conflict) caused an abort. Only IndexedDB requests are awaited inside.
   */
  private async write(
    stores: Store[],
    body: (tx: Tx<'readwrite'>) => (() => ScratchpadError | undefined) | undefined | Promise<undefined>,
  ): Promise<void> {
    this.assertOpen();
    const tx = await this.connection.transaction(stores, 'readwrite');
    let reason: (() => ScratchpadError | undefined) | undefined;
    let failure: unknown;
    try {
      const result = await body(tx);
      if (typeof result === 'function') reason = result;
    } catch (error) {
      failure = error;
      try {
        tx.abort();
      } catch {
        // The transaction has already ended; tx.done tells how.
      }
    }
    try {
      await tx.done;
    } catch (error) {
      // The transaction's own error is the root cause (a failed request, the quota at commit); a synchronous throw
      // while queueing (TransactionInactiveError after that abort) is only its consequence.
      throw reason?.() ?? toStorageError(tx.error ?? failure ?? error, this.where, tx.error);
    }
    if (failure !== undefined) throw toStorageError(failure, this.where, tx.error);
    const own = reason?.();
    if (own) throw own;
  }
}

function finish(rows: HistoryEntry[], order: 'asc' | 'desc', limit: number | undefined): HistoryEntry[] {
  rows.sort(compareEntries);
  if (order === 'desc') rows.reverse();
  return limit === undefined ? rows : rows.slice(0, Math.floor(limit));
}

/**
 * Reads a history index in its own order, which is exactly the order history is returned in: index key (session,
 * [agent,] timestamp), then primary key (pad, section, version). A limit stops the cursor early.
 */
async function scanIndex(
  index: HistoryIndex,
  range: IDBKeyRange,
  order: 'asc' | 'desc',
  limit: number | undefined,
  filter: ((entry: HistoryEntry) => boolean) | undefined,
): Promise<HistoryEntry[]> {
  const max = limit === undefined ? undefined : Math.floor(limit);
  if (max === undefined) {
    const rows = await index.getAll(range);
    const kept = filter ? rows.filter(filter) : rows;
    return order === 'desc' ? kept.reverse() : kept;
  }
  if (!filter && order === 'asc') return index.getAll(range, max);
  const rows: HistoryEntry[] = [];
  let cursor = await index.openCursor(range, order === 'desc' ? 'prev' : 'next');
  while (cursor) {
    if (!filter || filter(cursor.value)) rows.push(cursor.value);
    if (rows.length >= max) break;
    cursor = await cursor.continue();
  }
  return rows;
}
