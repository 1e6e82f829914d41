import { ScratchpadError } from '../src/core/errors.js';
// Records as core would produce them, built by hand so that the adapter can be tested on its own.
import { packEntry, unpackEntry } from '../src/core/packed.js';
import type { HistoryEntry, HistoryOp, SectionRecord, SnapshotRecord } from '../src/core/types.js';
import type { CommitBatch } from '../src/storage/types.js';

export function entry(
  sessionId: string,
  pad: string,
  section: string,
  version: number,
  options: { agent?: string; timestamp?: number; op?: HistoryOp; line?: string } = {},
): HistoryEntry {
  const line = options.line ?? `line ${version}`;
  const raw: HistoryEntry = {
    id: JSON.stringify([pad, section, version]),
    sessionId,
    pad,
    section,
    version,
    op: options.op ?? 'write_append',
    agent: options.agent ?? 'agent',
    timestamp: options.timestamp ?? 1_000 + version,
    patch: {
      oldFileName: `${pad}/${section}`,
      newFileName: `${pad}/${section}`,
      oldHeader: undefined,
      newHeader: undefined,
      hunks: [{ oldStart: version - 1, oldLines: 0, newStart: version, newLines: 1, lines: [`+${line}`] }],
    },
    stats: { added: 1, removed: 0 },
  };
  // In the form every adapter hands entries back (ids, file names and stats as core derives them).
  return unpackEntry(packEntry(raw), sessionId, pad, section);
}

export function row(pad: string, section: string, version: number, content = linesUpTo(version), deleted = false): SectionRecord {
  return {
    pad,
    section,
    content,
    version,
    updatedAt: 1_000 + version,
    updatedBy: 'agent',
    deleted,
    chain: { anchorVersion: 0, bytesSinceAnchor: 0, openPrefix: false },
  };
}

export function linesUpTo(version: number): string {
  return Array.from({ length: version }, (_, i) => `line ${i + 1}\n`).join('');
}

export function full(pad: string, section: string, version: number, content = linesUpTo(version)): SnapshotRecord {
  return { pad, section, version, content };
}

export function prefix(pad: string, section: string, version: number, prefixLength = linesUpTo(version).length): SnapshotRecord {
  return { pad, section, version, prefixLength };
}

/** The batch of one append that takes a section from `version - 1` to `version`. */
export function append(sessionId: string, pad: string, section: string, version: number, extra: Partial<CommitBatch> = {}): CommitBatch {
  return {
    sections: [{ record: row(pad, section, version), expectedVersion: version - 1 }],
    entries: [entry(sessionId, pad, section, version)],
    snapshots: [],
    ...extra,
  };
}

/** A database name no other test (or test file running in parallel) uses, so BroadcastChannels never cross. */
export function uniqueName(label = 'db'): string {
  return `${label}-${crypto.randomUUID()}`;
}

/** The Storage Buckets API (Chromium 122+): a bucket has its own IndexedDB and, here, its own small quota. */
interface StorageBucket {
  readonly indexedDB: IDBFactory;
}
interface StorageBucketManager {
  open(name: string, options?: { quota?: number; persisted?: boolean }): Promise<StorageBucket>;
  delete(name: string): Promise<void>;
}

/**
 * A fresh storage bucket with a quota of `quota` bytes, so that a test can run out of space for real. (A quota override
 * through the DevTools protocol only applies to storage the browser has not opened yet, so it cannot be used after
 * the first test.)
 */
export async function smallQuotaBucket(quota: number): Promise<{ indexedDB: IDBFactory; remove: () => Promise<void> }> {
  const buckets = (navigator as Navigator & { storageBuckets?: StorageBucketManager }).storageBuckets;
  if (!buckets) throw new Error('this browser has no Storage Buckets API');
  const name = `quota-${crypto.randomUUID().slice(0, 8)}`;
  const bucket = await buckets.open(name, { quota });
  return { indexedDB: bucket.indexedDB, remove: () => buckets.delete(name) };
}

/** Random text: Chromium compresses what it stores, so repeated characters would hardly use any quota. */
export function randomText(length: number): string {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(33 + (byte % 90));
  return text;
}

/** The ScratchpadError a promise rejects with; anything else fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<ScratchpadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ScratchpadError)) throw new Error(`expected a ScratchpadError, got ${String(error)}`);
  return error;
}
