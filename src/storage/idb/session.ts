import type { IDBPIndex, IDBPObjectStore, IDBPTransaction } from 'idb';
import { ScratchpadError } from '../../core/errors.js';
import type { HistoryEntry, HistoryQuery, SectionRecord, SnapshotRecord } from '../../core/types.js';
import { patchSize } from '../../core/patch.js';
import { compareEntries } from '../query.js';
import type { ChainRead, CommitBatch, PruneRequest, SectionKey, SectionRewrite, SessionStorage, SyncOp } from '../types.js';
import { INLINE_LIMIT, bodyKey, isBody, isHead, planLargeRow, replayHead, type SectionHead, type StoredBody, type StoredSectionValue } from './bodies.js';
import type { ChangeChannel } from './channel.js';
import type { Connection } from './connection.js';
import { toStorageError } from './errors.js';
import {
  fromStoredEntry,
  fromStoredSnapshot,
  padRange,
  sectionRange,
  sessionRange,
  toStoredEntry,
  toStoredSnapshot,
  versionRange,
  type ScratchpadDB,
  type SectionKeyPath,
  type Store,
  type StoredEntry,
  type StoredOp,
  type VersionKeyPath,
} from './schema.js';

type Tx<Mode extends IDBTransactionMode> = IDBPTransaction<ScratchpadDB, Store[], Mode>;
type HistoryIndex = IDBPIndex<ScratchpadDB, Store[], 'entries', 'bySessionTime' | 'bySessionAgentTime', 'readonly'>;
type EntryStore = IDBPObjectStore<ScratchpadDB, Store[], 'entries', 'readonly'>;
type SectionStore<Mode extends IDBTransactionMode> = IDBPObjectStore<ScratchpadDB, Store[], 'sections', Mode>;

const ignore = (): void => undefined;

/** One session's view of an IndexedDB database. Every method is one transaction. */
export class IdbSessionStorage implements SessionStorage {
  readonly outbox: SessionStorage['outbox'];
  readonly meta: SessionStorage['meta'];
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
      ack: (clientId, upToMutationId) => this.ackOps(clientId, upToMutationId),
      count: () => this.read(['outbox'], (tx) => tx.objectStore('outbox').index('bySession').count(this.sessionId)),
    };
    this.meta = {
      get: (key) => this.getMeta(key),
      set: (key, value) => this.setMeta(key, value),
    };
  }

  loadSections(keys?: readonly SectionKey[]): Promise<SectionRecord[]> {
    const sid = this.sessionId;
    return this.read(['sections', 'entries'], async (tx) => {
      const store = tx.objectStore('sections');
      const rows: (SectionRecord | SectionHead)[] = [];
      const bodies = new Map<SectionHead, StoredBody>();
      if (!keys) {
        // A body's key extends its head's, so in key order it comes right after its head.
        let head: SectionHead | undefined;
        for (const value of await store.getAll(sessionRange(sid))) {
          if (isBody(value)) {
            if (head) bodies.set(head, value);
            head = undefined;
          } else {
            rows.push(value);
            head = isHead(value) ? value : undefined;
          }
        }
      } else {
        const found = await Promise.all(keys.map(({ pad, section }) => store.get([sid, pad, section])));
        for (const value of found) if (value !== undefined && !isBody(value)) rows.push(value);
      }
      return Promise.all(rows.map((row) => (isHead(row) ? materialize(tx, sid, row, bodies.get(row)) : row)));
    });
  }

  async commit(batch: CommitBatch): Promise<void> {
    const outbox = batch.outbox ?? [];
    const stores: Store[] = [];
    if (batch.sections.length > 0) stores.push('sections');
    if (batch.entries.length > 0) stores.push('entries');
    if (batch.snapshots.length > 0) stores.push('snapshots');
    if (outbox.length > 0) stores.push('outbox');
    if (stores.length === 0) return;
    const sid = this.sessionId;

    // Versions and patch bytes of each large section's entries in this batch: what a head's deferred content owes.
    let spans: Map<string, { from: number; to: number; count: number; bytes: number }> | undefined;
    if (batch.sections.some(({ record }) => record.content.length > INLINE_LIMIT)) {
      spans = new Map();
      for (const entry of batch.entries) {
        const key = `${entry.pad}\u0000${entry.section}`;
        const span = spans.get(key);
        const bytes = patchSize(entry.patch);
        if (!span) spans.set(key, { from: entry.version, to: entry.version, count: 1, bytes });
        else spans.set(key, { from: Math.min(span.from, entry.version), to: Math.max(span.to, entry.version), count: span.count + 1, bytes: span.bytes + bytes });
      }
    }

    // Raw IndexedDB requests: this is the path every write takes, and idb's per-request promises and proxies cost
    // more than the requests themselves. Same requests in the same order as the rest of this file would queue them.
    await this.writeRaw(stores, (tx) => {
      let conflict: ScratchpadError | undefined;
      let pending = 0;
      let checksDone!: (conflict: ScratchpadError | undefined) => void;
      let checkFailed!: (error: unknown) => void;
      const checked = new Promise<ScratchpadError | undefined>((resolve, reject) => {
        checksDone = resolve;
        checkFailed = reject;
      });
      // When queueing throws, nobody awaits `checked`, yet the aborted checks still reject it.
      checked.catch(ignore);
      if (batch.sections.length > 0) {
        const sections = tx.objectStore('sections');
        // Each check is queued right before its put, and requests run in order: the check sees the rows this batch
        // wrote before it (two writes to one section in one group commit), and a failed check aborts the transaction
        // before anything it queued can commit. No round trip to this thread between checking and writing. A large
        // section's row depends on the row it replaces (bodies.ts), so it is queued from the check, still inside the
        // transaction, before it commits.
        for (const { record, expectedVersion } of batch.sections) {
          const key: SectionKeyPath = [sid, record.pad, record.section];
          const large = record.content.length > INLINE_LIMIT;
          const request = sections.get(key) as IDBRequest<StoredSectionValue | undefined>;
          pending++;
          request.onsuccess = () => {
            try {
              const row = request.result;
              const actualVersion = versionOf(row);
              if (!conflict && actualVersion !== expectedVersion) {
                conflict = conflictError(record.pad, record.section, expectedVersion, actualVersion, this.where);
                try {
                  tx.abort();
                } catch {
                  // Already aborting for another reason; the conflict is still what the caller needs to know.
                }
              } else if (!conflict && large) {
                const planned = planLargeRow(record, row, expectedVersion, spans?.get(`${record.pad}\u0000${record.section}`));
                if (planned.body) sections.put(planned.body, bodyKey(sid, record.pad, record.section));
                sections.put(planned.head, key);
              } else if (!conflict && isHead(row)) {
                sections.delete(bodyKey(sid, record.pad, record.section));
              }
            } catch (error) {
              checkFailed(error);
              return;
            }
            if (--pending === 0) checksDone(conflict);
          };
          // Once a check has found a conflict and aborted, the later checks fail with AbortError: the conflict is
          // still the answer (a stale tab must rebase, not report a broken database).
          request.onerror = () => (conflict ? checksDone(conflict) : checkFailed(request.error));
          if (!large) sections.put(record, key);
        }
      }
      if (batch.entries.length > 0) {
        const entries = tx.objectStore('entries');
        for (const entry of batch.entries) entries.put(toStoredEntry(sid, entry), [sid, entry.pad, entry.section, entry.version]);
      }
      if (batch.snapshots.length > 0) {
        const snapshots = tx.objectStore('snapshots');
        for (const snapshot of batch.snapshots) {
          const key: VersionKeyPath = [sid, snapshot.pad, snapshot.section, snapshot.version];
          snapshots.put(toStoredSnapshot(sid, snapshot), key);
        }
      }
      if (outbox.length > 0) {
        const store = tx.objectStore('outbox');
        // The unique byClient index refuses a (client, mutation id) queued twice: the batch aborts, nothing is lost.
        for (const op of outbox) store.add({ ...op, s: sid });
      }
      if (pending === 0) checksDone(conflict);
      // Settles while the transaction is still active (in the last check's success event), so that writeRaw() can
      // still abort or commit it.
      return checked;
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

    return this.read(['entries'], async (tx) => {
      const store = tx.objectStore('entries');
      if (pad !== undefined && section !== undefined) {
        const rows = await sectionEntries(store, sid, pad, section, sectionRange(sid, pad, section));
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
        if (limit !== undefined) {
          // The latest (or first) `limit` entries of a pad, as a history view asks after every write: read by time
          // and stop at the limit, instead of reading the pad's whole history each time. A pad that holds few of the
          // session's recent entries would make that scan long, so it gives up after 20 × limit entries.
          const inPad = (e: HistoryEntry): boolean => e.pad === pad;
          const found = await endOfIndex(store.index('bySessionTime'), [sid, lo], [sid, hi], order, Math.floor(limit), inPad);
          if (found) return found;
        }
        const range = padRange(sid, pad);
        const [values, keys] = await Promise.all([store.getAll(range), store.getAllKeys(range)]);
        return finish(zip(values, keys).filter(inTime), order, limit);
      }
      const range = IDBKeyRange.bound([sid, lo], [sid, hi]);
      const filter = section === undefined ? undefined : (e: HistoryEntry): boolean => e.section === section;
      return scanIndex(store.index('bySessionTime'), range, order, limit, filter);
    });
  }

  readEntries(pad: string, section: string, from: number, to: number): Promise<HistoryEntry[]> {
    const range = versionRange(this.sessionId, pad, section, from, to);
    return this.read(['entries'], async (tx) => (range ? sectionEntries(tx.objectStore('entries'), this.sessionId, pad, section, range) : []));
  }

  readChain(pad: string, section: string, upTo: number): Promise<ChainRead> {
    const sid = this.sessionId;
    return this.read(['sections', 'entries', 'snapshots'], async (tx) => {
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
        else {
          const row = await tx.objectStore('sections').get([sid, pad, section]);
          if (row !== undefined && !isBody(row)) current = isHead(row) ? await materialize(tx, sid, row) : row;
        }
      }
      const entriesRange = versionRange(sid, pad, section, anchor?.version ?? 0, upTo, true);
      const entries = entriesRange ? await sectionEntries(tx.objectStore('entries'), sid, pad, section, entriesRange) : [];
      return { anchor, resolvedBy, current, entries };
    });
  }

  async prune(requests: readonly PruneRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const sid = this.sessionId;
    await this.write(['sections', 'entries', 'snapshots'], async (tx) => {
      const history = tx.objectStore('entries');
      const snapshots = tx.objectStore('snapshots');
      // A head whose content needs entries that are about to go gets its body rewritten at its current version first
      // (read before the deletes are queued; requests run in order).
      const sections = tx.objectStore('sections');
      const rows = await Promise.all(requests.map(({ pad, section }) => sections.get([sid, pad, section])));
      const stale = requests.flatMap((request, i) => {
        const row = rows[i];
        return isHead(row) && row.deferred.version + 1 < request.belowVersion ? [row] : [];
      });
      for (const record of await Promise.all(stale.map((head) => materialize(tx, sid, head)))) putWhole(sections, sid, record);
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
    const sid = this.sessionId;
    const range = sessionRange(sid);
    let removed: SectionKeyPath[] = [];
    await this.write(['sections', 'entries', 'snapshots', 'outbox', 'meta'], async (tx) => {
      // Read the keys in the same transaction as the delete, so the other tabs hear of exactly what was removed.
      const keys = tx.objectStore('sections').getAllKeys(range);
      for (const store of ['sections', 'entries', 'snapshots', 'meta'] as const) tx.objectStore(store).delete(range).catch(ignore);
      const outbox = tx.objectStore('outbox');
      const ops = await outbox.index('bySession').getAllKeys(sid);
      for (const key of ops) outbox.delete(key).catch(ignore);
      // Body rows ([sessionId, pad, section, 0]) are not sections of their own.
      removed = (await keys).filter((key): key is SectionKeyPath => key.length === 3);
      return undefined;
    });
    this.channel.post({ sessionId: sid, sections: removed.map(([, pad, section]) => ({ pad, section })) });
  }

  /**
   * Replaces a section's history from `fromVersion` on and puts its row, after checking the stored version, in one
   * transaction (sync adopting the server's numbering).
   */
  async rewriteSection(change: SectionRewrite): Promise<void> {
    const sid = this.sessionId;
    const { record, expectedVersion, fromVersion } = change;
    const key: SectionKeyPath = [sid, record.pad, record.section];
    await this.write(['sections', 'entries', 'snapshots'], (tx) => {
      const sections = tx.objectStore('sections');
      const entries = tx.objectStore('entries');
      const snapshots = tx.objectStore('snapshots');
      let conflict: ScratchpadError | undefined;
      const check = sections.get(key).then((row) => {
        const actualVersion = versionOf(row);
        if (actualVersion === expectedVersion) return;
        conflict = conflictError(record.pad, record.section, expectedVersion, actualVersion, this.where);
        try {
          tx.abort();
        } catch {
          // Already aborting; the conflict is still the reason.
        }
      });
      check.catch(ignore);
      const stale = versionRange(sid, record.pad, record.section, fromVersion, Infinity);
      if (stale) {
        entries.delete(stale).catch(ignore);
        snapshots.delete(stale).catch(ignore);
      }
      for (const entry of change.entries) entries.put(toStoredEntry(sid, entry), [sid, entry.pad, entry.section, entry.version]).catch(ignore);
      for (const snapshot of change.snapshots) {
        snapshots.put(toStoredSnapshot(sid, snapshot), [sid, snapshot.pad, snapshot.section, snapshot.version]).catch(ignore);
      }
      putWhole(sections, sid, record);
      return check.then(() => conflict);
    });
    this.channel.post({ sessionId: sid, sections: [{ pad: record.pad, section: record.section }] });
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
    const count = Math.min(Math.floor(limit), 2 ** 32 - 1);
    return this.read(['outbox'], async (tx) => {
      const ops = await tx.objectStore('outbox').index('bySession').getAll(this.sessionId, count);
      return ops.map(({ s: _session, ...op }: StoredOp) => op);
    });
  }

  private async ackOps(clientId: string, upToMutationId: number): Promise<void> {
    if (Number.isNaN(upToMutationId)) return;
    const range = IDBKeyRange.bound([this.sessionId, clientId, -Infinity], [this.sessionId, clientId, upToMutationId]);
    await this.write(['outbox'], async (tx) => {
      const outbox = tx.objectStore('outbox');
      for (const key of await outbox.index('byClient').getAllKeys(range)) outbox.delete(key).catch(ignore);
      return undefined;
    });
  }

  private getMeta(key: string): Promise<unknown> {
    return this.read(['meta'], async (tx) => {
      const text = await tx.objectStore('meta').get([this.sessionId, key]);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    });
  }

  private async setMeta(key: string, value: unknown): Promise<void> {
    // Kept as JSON text, like memoryStorage: what comes back is what JSON makes of the value, in every adapter.
    const text = JSON.stringify(value) as string | undefined;
    await this.write(['meta'], (tx) => {
      const store = tx.objectStore('meta');
      (text === undefined ? store.delete([this.sessionId, key]) : store.put(text, [this.sessionId, key])).catch(ignore);
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
   * `body` queues requests and may resolve to an error of its own (a conflict) for which it has aborted the
   * transaction. Only IndexedDB requests are awaited inside. Once `body` is through, `commit()` tells IndexedDB that
   * nothing more is coming, so it commits as soon as the queued requests are done instead of waiting for their results
   * to reach this thread first.
   */
  private async write(stores: Store[], body: (tx: Tx<'readwrite'>) => Promise<ScratchpadError | undefined> | undefined): Promise<void> {
    this.assertOpen();
    const tx = await this.connection.transaction(stores, 'readwrite');
    await settle(tx, tx.done, () => body(tx), this.where);
  }

  /** `write` on a plain IDBTransaction (`Connection.rawTransaction`), with the same settling and error mapping. */
  private async writeRaw(stores: Store[], body: (tx: IDBTransaction) => Promise<ScratchpadError | undefined> | undefined): Promise<void> {
    this.assertOpen();
    const { tx, done } = await this.connection.rawTransaction(stores, 'readwrite');
    await settle(tx, done, () => body(tx), this.where);
  }
}

/**
 * Runs a write transaction's body, commits it unless the body found a conflict, and waits for the outcome. The body's
 * conflict wins; otherwise the transaction's own error is the root cause (a failed request, the quota at commit); a
 * synchronous throw while queueing (TransactionInactiveError after that abort) is only its consequence.
 */
async function settle(
  tx: { commit?(): void; abort(): void; readonly error: DOMException | null },
  done: Promise<unknown>,
  body: () => Promise<ScratchpadError | undefined> | undefined,
  where: string,
): Promise<void> {
  let own: ScratchpadError | undefined;
  let failure: unknown;
  try {
    own = await body();
    if (!own) tx.commit?.();
  } catch (error) {
    failure = error;
    try {
      tx.abort();
    } catch {
      // The transaction has already ended; `done` tells how.
    }
  }
  try {
    await done;
  } catch (error) {
    throw own ?? toStorageError(tx.error ?? failure ?? error, where, tx.error);
  }
  if (failure !== undefined) throw toStorageError(failure, where, tx.error);
  if (own) throw own;
}

function conflictError(pad: string, section: string, expectedVersion: number, actualVersion: number, where: string): ScratchpadError {
  return new ScratchpadError(
    'CONFLICT',
    `'${pad}.${section}' is at version ${actualVersion} in storage, not ${expectedVersion}: another tab or scratchpad wrote it first`,
    { pad, section, expectedVersion, actualVersion, storage: where },
  );
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
  if (max === undefined || (!filter && order === 'asc')) {
    // Values and primary keys of one range in one transaction come back in the same order.
    const [values, keys] = await Promise.all([index.getAll(range, max), index.getAllKeys(range, max)]);
    const rows = zip(values, keys);
    const kept = filter ? rows.filter(filter) : rows;
    return order === 'desc' ? kept.reverse() : kept;
  }
  const rows: HistoryEntry[] = [];
  let cursor = await index.openCursor(range, order === 'desc' ? 'prev' : 'next');
  while (cursor) {
    const entry = fromStoredEntry(cursor.value, cursor.primaryKey);
    if (!filter || filter(entry)) rows.push(entry);
    if (rows.length >= max) break;
    cursor = await cursor.continue();
  }
  return rows;
}

/**
 * The first (asc) or last (desc) `limit` entries of an index range that pass `filter`, read in windows: a key cursor
 * jumps `window` entries from the end in one step (`advance`), then one `getAll` reads the window. Windows of limit,
 * 4 × limit and 20 × limit entries are tried; undefined if even the last holds too few, for the caller to read another
 * way. Entries that share the boundary's timestamp all fall inside the window, so the order stays exact.
 */
async function endOfIndex(
  index: HistoryIndex,
  lower: [string, number],
  upper: [string, number],
  order: 'asc' | 'desc',
  limit: number,
  filter: (entry: HistoryEntry) => boolean,
): Promise<HistoryEntry[] | undefined> {
  const range = IDBKeyRange.bound(lower, upper);
  for (const window of [limit, limit * 4, limit * 20]) {
    const cursor = await index.openKeyCursor(range, order === 'desc' ? 'prev' : 'next');
    if (!cursor) return [];
    const edge = window > 1 ? await cursor.advance(window - 1) : cursor;
    const part = edge === null ? range : order === 'desc' ? IDBKeyRange.bound(edge.key, upper) : IDBKeyRange.bound(lower, edge.key);
    const [values, keys] = await Promise.all([index.getAll(part), index.getAllKeys(part)]);
    const rows = zip(values, keys).filter(filter);
    if (rows.length >= limit || edge === null) return finish(rows, order, limit);
  }
  return undefined;
}

function zip(values: readonly StoredEntry[], keys: readonly VersionKeyPath[]): HistoryEntry[] {
  return values.map((value, i) => fromStoredEntry(value, keys[i] as VersionKeyPath));
}

/** Entries of one section: pad and section are known, so the keys need not be read. */
async function sectionEntries(store: EntryStore, sessionId: string, pad: string, section: string, range: IDBKeyRange): Promise<HistoryEntry[]> {
  return (await store.getAll(range)).map((value) => fromStoredEntry(value, [sessionId, pad, section, value.v]));
}

function versionOf(row: StoredSectionValue | undefined): number {
  return row === undefined || isBody(row) ? 0 : row.version;
}

/**
 * A head's current record, read in `tx`: its body (given, or read) with the patches of the versions after it applied.
 */
async function materialize(
  tx: IDBPTransaction<ScratchpadDB, Store[], IDBTransactionMode>,
  sessionId: string,
  head: SectionHead,
  body?: StoredBody,
): Promise<SectionRecord> {
  const { pad, section, version, deferred } = head;
  const [stored, entries] = await Promise.all([
    body ?? tx.objectStore('sections').get(bodyKey(sessionId, pad, section)),
    deferred.version < version
      ? sectionEntries(tx.objectStore('entries') as unknown as EntryStore, sessionId, pad, section, versionRange(sessionId, pad, section, deferred.version, version, true)!)
      : [],
  ]);
  return replayHead(head, stored !== undefined && isBody(stored) ? stored : undefined, entries);
}

/** Puts a record as a fresh row: inline when small (dropping any body), else a body and a head that owes nothing. */
function putWhole(sections: SectionStore<'readwrite'>, sessionId: string, record: SectionRecord): void {
  const key: SectionKeyPath = [sessionId, record.pad, record.section];
  if (record.content.length <= INLINE_LIMIT) {
    sections.put(record, key).catch(ignore);
    sections.delete(bodyKey(sessionId, record.pad, record.section)).catch(ignore);
    return;
  }
  const planned = planLargeRow(record, undefined, record.version, undefined);
  sections.put(planned.body!, bodyKey(sessionId, record.pad, record.section)).catch(ignore);
  sections.put(planned.head, key).catch(ignore);
}
