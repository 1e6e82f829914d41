import { ScratchpadError } from '../core/errors.js';
import type { HistoryEntry, HistoryQuery, SectionRecord, SnapshotRecord } from '../core/types.js';
import { packEntry, unpackEntry, type PackedEntry } from '../core/packed.js';
import { historyEntryId } from '../core/change.js';
import { compareEntries, matchesQuery } from './query.js';
import type { ChainRead, CommitBatch, PruneRequest, SectionKey, SectionRewrite, SessionStorage, StorageAdapter, SyncOp } from './types.js';

export interface MemoryStorageOptions {
  /**
   * A quota in bytes (UTF-16 code units × 2 of everything stored). A commit that would exceed it fails with
   * QUOTA_EXCEEDED, as a full IndexedDB would: useful to test an app's failure paths without a browser.
   */
  readonly maxBytes?: number;
}

interface SectionHistory {
  readonly pad: string;
  readonly section: string;
  /** Contiguous versions, ascending: `entries[i].v === entries[0].v + i`. Packed: history is most of what is kept. */
  entries: PackedEntry[];
  /** Every anchor (full and prefix), ascending by version. */
  anchors: SnapshotRecord[];
}

interface SessionData {
  readonly sessionId: string;
  sections: Map<string, SectionRecord>;
  histories: Map<string, SectionHistory>;
  outbox: SyncOp[];
  meta: Map<string, string>;
  bytes: number;
  watchers: Set<{ connection: object; onChange: (changed: readonly SectionKey[]) => void }>;
}

const keyOf = (pad: string, section: string) => `${pad}\u0000${section}`;

/**
 * Keeps sessions in memory, in this adapter instance. Every `open` of the same session on one adapter shares its data,
 * as tabs share one IndexedDB database, so two scratchpads on one adapter behave like two tabs.
 */
export function memoryStorage(options: MemoryStorageOptions = {}): StorageAdapter {
  const sessions = new Map<string, SessionData>();
  const dataOf = (sessionId: string): SessionData => {
    let data = sessions.get(sessionId);
    if (!data) {
      data = { sessionId, sections: new Map(), histories: new Map(), outbox: [], meta: new Map(), bytes: 0, watchers: new Set() };
      sessions.set(sessionId, data);
    }
    return data;
  };
  return {
    name: 'memory',
    async open(sessionId) {
      return openSession(dataOf(sessionId), options);
    },
  };
}

function openSession(data: SessionData, options: MemoryStorageOptions): SessionStorage {
  const connection = {};
  let closed = false;
  const check = () => {
    if (closed) throw new ScratchpadError('STORAGE_UNAVAILABLE', 'The memory storage connection is closed.');
  };
  const historyOf = (pad: string, section: string): SectionHistory | undefined => data.histories.get(keyOf(pad, section));

  return {
    async loadSections(keys) {
      check();
      if (!keys) return [...data.sections.values()];
      return keys.flatMap(({ pad, section }) => data.sections.get(keyOf(pad, section)) ?? []);
    },

    async commit(batch: CommitBatch) {
      check();
      for (const { record, expectedVersion } of batch.sections) {
        const stored = data.sections.get(keyOf(record.pad, record.section))?.version ?? 0;
        if (stored !== expectedVersion) {
          throw new ScratchpadError('CONFLICT', `'${record.pad}.${record.section}' is at version ${stored} in storage, not ${expectedVersion}.`, {
            pad: record.pad,
            section: record.section,
            expectedVersion,
            actualVersion: stored,
          });
        }
      }
      if (options.maxBytes !== undefined) {
        const added = batchBytes(batch) - batch.sections.reduce((n, s) => n + recordBytes(data.sections.get(keyOf(s.record.pad, s.record.section))), 0);
        if (data.bytes + added > options.maxBytes) {
          throw new ScratchpadError('QUOTA_EXCEEDED', `Storage quota exceeded: ${data.bytes + added} bytes needed, ${options.maxBytes} allowed.`, {
            limit: options.maxBytes,
            actual: data.bytes + added,
          });
        }
        data.bytes += added;
      }
      // Validated: from here on nothing can fail, so the batch lands whole.
      for (const { record } of batch.sections) data.sections.set(keyOf(record.pad, record.section), record);
      for (const entry of batch.entries) {
        const history = ensureHistory(data, entry.pad, entry.section);
        const packed = packEntry(entry);
        const first = history.entries[0]?.v;
        if (first === undefined || entry.version === first + history.entries.length) history.entries.push(packed);
        else insertSortedBy(history.entries, packed, (e) => e.v);
      }
      for (const snapshot of batch.snapshots) insertSortedBy(ensureHistory(data, snapshot.pad, snapshot.section).anchors, snapshot, anchorVersion);
      if (batch.outbox) data.outbox.push(...batch.outbox);
      if (data.watchers.size > 0) notify(data, connection, batch.sections.map(({ record }) => ({ pad: record.pad, section: record.section })));
    },

    async readHistory(query: HistoryQuery) {
      check();
      const sources =
        query.pad !== undefined && query.section !== undefined
          ? [historyOf(query.pad, query.section)]
          : [...data.histories.values()].filter((h) => query.pad === undefined || h.pad === query.pad);
      const found: HistoryEntry[] = [];
      for (const history of sources) {
        if (!history) continue;
        for (const packed of history.entries) {
          if (query.agent !== undefined && packed.a !== query.agent) continue;
          const entry = unpackEntry(packed, data.sessionId, history.pad, history.section);
          if (matchesQuery(entry, query)) found.push(entry);
        }
      }
      found.sort(compareEntries);
      if (query.order === 'desc') found.reverse();
      return query.limit === undefined ? found : found.slice(0, query.limit);
    },

    async readEntries(pad, section, from, to) {
      check();
      return sliceVersions(data, historyOf(pad, section), from, to);
    },

    async readChain(pad, section, upTo): Promise<ChainRead> {
      check();
      const history = historyOf(pad, section);
      const anchors = history?.anchors ?? [];
      const at = lastIndexAtOrBefore(anchors, upTo, anchorVersion);
      const anchor = at === -1 ? undefined : anchors[at];
      let resolvedBy: SnapshotRecord | undefined;
      if (anchor && anchor.content === undefined) resolvedBy = anchors.slice(at + 1).find((a) => a.content !== undefined);
      return {
        anchor,
        resolvedBy,
        current: anchor && anchor.content === undefined && !resolvedBy ? data.sections.get(keyOf(pad, section)) : undefined,
        entries: sliceVersions(data, history, (anchor?.version ?? 0) + 1, upTo),
      };
    },

    async prune(requests: readonly PruneRequest[]) {
      check();
      for (const request of requests) {
        const history = ensureHistory(data, request.pad, request.section);
        history.entries = history.entries.filter((e) => e.v >= request.belowVersion);
        history.anchors = history.anchors.filter((a) => a.version >= request.belowVersion);
        insertSortedBy(history.anchors, request.snapshot, anchorVersion);
      }
    },

    async readSnapshots() {
      check();
      return [...data.histories.values()].flatMap((h) => h.anchors);
    },

    outbox: {
      async pending(limit) {
        check();
        return data.outbox.slice(0, limit);
      },
      async ack(clientId, upToMutationId) {
        check();
        data.outbox = data.outbox.filter((op) => op.clientId !== clientId || op.mutationId > upToMutationId);
      },
      async count() {
        check();
        return data.outbox.length;
      },
    },

    meta: {
      async get(key) {
        check();
        const value = data.meta.get(key);
        return value === undefined ? undefined : (JSON.parse(value) as unknown);
      },
      async set(key, value) {
        check();
        // Stored as JSON, as IndexedDB would clone it: later changes to `value` do not leak in.
        data.meta.set(key, JSON.stringify(value));
      },
    },

    async rewriteSection(change: SectionRewrite) {
      check();
      const { record } = change;
      const stored = data.sections.get(keyOf(record.pad, record.section))?.version ?? 0;
      if (stored !== change.expectedVersion) {
        throw new ScratchpadError('CONFLICT', `'${record.pad}.${record.section}' is at version ${stored} in storage, not ${change.expectedVersion}.`, {
          pad: record.pad,
          section: record.section,
          expectedVersion: change.expectedVersion,
          actualVersion: stored,
        });
      }
      const history = ensureHistory(data, record.pad, record.section);
      history.entries = history.entries.filter((e) => e.v < change.fromVersion);
      history.anchors = history.anchors.filter((a) => a.version < change.fromVersion);
      for (const entry of change.entries) insertSortedBy(history.entries, packEntry(entry), (e) => e.v);
      for (const snapshot of change.snapshots) insertSortedBy(history.anchors, snapshot, anchorVersion);
      data.sections.set(keyOf(record.pad, record.section), record);
      if (data.watchers.size > 0) notify(data, connection, [{ pad: record.pad, section: record.section }]);
    },

    watch(onChange) {
      const watcher = { connection, onChange };
      data.watchers.add(watcher);
      return () => data.watchers.delete(watcher);
    },

    async deleteSession() {
      check();
      const keys = [...data.sections.values()].map((r) => ({ pad: r.pad, section: r.section }));
      data.sections.clear();
      data.histories.clear();
      data.outbox = [];
      data.meta.clear();
      data.bytes = 0;
      notify(data, connection, keys);
    },

    close() {
      closed = true;
      for (const watcher of data.watchers) if (watcher.connection === connection) data.watchers.delete(watcher);
    },
  };
}

function notify(data: SessionData, from: object, changed: readonly SectionKey[]): void {
  if (changed.length === 0) return;
  // Asynchronously, as a BroadcastChannel would deliver it: never inside the committing call.
  for (const watcher of data.watchers) if (watcher.connection !== from) queueMicrotask(() => watcher.onChange(changed));
}

function ensureHistory(data: SessionData, pad: string, section: string): SectionHistory {
  const key = keyOf(pad, section);
  let history = data.histories.get(key);
  if (!history) {
    history = { pad, section, entries: [], anchors: [] };
    data.histories.set(key, history);
  }
  return history;
}

function sliceVersions(data: SessionData, history: SectionHistory | undefined, from: number, to: number): HistoryEntry[] {
  const first = history?.entries[0]?.v;
  if (!history || first === undefined || to < from) return [];
  const prefix = historyEntryId(history.pad, history.section, 0).slice(0, -1);
  const end = Math.min(history.entries.length, Math.max(0, to - first + 1));
  const out: HistoryEntry[] = [];
  for (let i = Math.max(0, from - first); i < end; i++) out.push(unpackEntry(history.entries[i]!, data.sessionId, history.pad, history.section, prefix));
  return out;
}

function lastIndexAtOrBefore<T>(items: readonly T[], version: number, versionOf: (item: T) => number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (versionOf(items[mid]!) <= version) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Inserts by version, replacing an item of the same version (a full snapshot supersedes a prefix checkpoint). */
function insertSortedBy<T>(items: T[], item: T, versionOf: (item: T) => number): void {
  const at = lastIndexAtOrBefore(items, versionOf(item), versionOf);
  if (at !== -1 && versionOf(items[at]!) === versionOf(item)) items[at] = item;
  else items.splice(at + 1, 0, item);
}

const anchorVersion = (anchor: SnapshotRecord) => anchor.version;

function recordBytes(record: SectionRecord | undefined): number {
  return record ? (record.content.length + record.pad.length + record.section.length + 64) * 2 : 0;
}

function batchBytes(batch: CommitBatch): number {
  let chars = 0;
  for (const { record } of batch.sections) chars += record.content.length + record.pad.length + record.section.length + 64;
  for (const entry of batch.entries) for (const hunk of entry.patch.hunks) for (const line of hunk.lines) chars += line.length + 8;
  chars += batch.entries.length * 96;
  for (const snapshot of batch.snapshots) chars += (snapshot.content?.length ?? 0) + 32;
  for (const op of batch.outbox ?? []) chars += op.content.length + 96;
  return chars * 2;
}
