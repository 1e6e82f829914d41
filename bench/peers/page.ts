/**
 * The page side of `npm run bench:peers`: every store runs here, in the same page build, against Chromium's IndexedDB
 * on disk. Each run gets a storage bucket of its own (a fresh database, and its own figure in `bucket.estimate()`);
 * `window.indexedDB` is pointed at that bucket for the stores that cannot be given an IDBFactory. `run.mts` calls
 * `window.peers.<name>()` and checks and prints what comes back. Nothing here asserts: it measures, and reports whether
 * what each store holds (and reads back after a reopen) is what the workload must leave.
 */
import { STORES, reopen, type Db, type Session, type StoreId } from './stores.js';
import {
  FULL,
  LOG_SECTION,
  QUICK,
  checksum,
  expectedAfterEdits,
  expectedLog,
  makeWorkload,
  sectionVersionAfterEdit,
  type Workload,
} from './workload.js';

interface StorageBucket {
  readonly indexedDB: IDBFactory;
  estimate(): Promise<StorageEstimate>;
}
interface StorageBucketManager {
  open(name: string): Promise<StorageBucket>;
  delete(name: string): Promise<void>;
}
const buckets = (): StorageBucketManager => {
  const manager = (navigator as Navigator & { storageBuckets?: StorageBucketManager }).storageBuckets;
  if (!manager) throw new Error('this Chromium has no Storage Buckets API');
  return manager;
};

const DB_NAME = 'bench';
let bucket: StorageBucket | undefined;
let session: Session | undefined;
let cached: Workload | undefined;

function workload(quick: boolean): Workload {
  const sizes = quick ? QUICK : FULL;
  if (cached?.sizes !== sizes) cached = makeWorkload(sizes);
  return cached;
}

function db(): Db {
  if (!bucket) throw new Error('useBucket() first');
  return { name: DB_NAME, idb: bucket.indexedDB };
}

function store(id: StoreId) {
  const found = STORES.find((s) => s.id === id);
  if (!found) throw new Error(`no store ${id}`);
  return found;
}

/** Every IndexedDB of this page (and of every library in it) goes to the bucket `name` from now on. */
async function useBucket(name: string): Promise<void> {
  bucket = await buckets().open(name);
  const factory = bucket.indexedDB;
  Object.defineProperty(window, 'indexedDB', { get: () => factory, configurable: true });
}

async function deleteBucket(name: string): Promise<void> {
  await buckets().delete(name);
}

function describeStores() {
  return STORES.map(({ id, label, packages, durability, history }) => ({ id, label, packages, durability, history }));
}

interface Timed {
  readonly ms: number;
  /** Operations done inside the timed part (fewer than `total` when the cap stopped it). */
  readonly timed: number;
  readonly total: number;
  readonly ok: boolean;
  readonly detail: string;
}

/** (a): the session's sections, then its edits one by one, each awaited. */
async function runEdits(id: StoreId, quick: boolean, capMs: number): Promise<Timed> {
  const w = workload(quick);
  session = await store(id).open(db());
  await session.seed(w.seed);
  let done = 0;
  const start = performance.now();
  const marks: number[] = [];
  while (done < w.edits.length && performance.now() - start < capMs) {
    await session.replaceLine(w.edits[done++]!);
    if (done % 250 === 0) marks.push(performance.now() - start);
  }
  const ms = performance.now() - start;
  (globalThis as { lastMarks?: number[] }).lastMarks = marks;
  const timed = done;
  // Past the cap, finish untimed: history, storage and reopen are measured on the whole workload.
  while (done < w.edits.length) await session.replaceLine(w.edits[done++]!);
  const got = checksum(session.read());
  const want = checksum(expectedAfterEdits(w));
  return { ms, timed, total: w.edits.length, ok: got === want, detail: got === want ? got : `got ${got}, expected ${want}` };
}

/** (b): appends to one section one by one, each awaited. */
async function runAppends(id: StoreId, quick: boolean, capMs: number): Promise<Timed> {
  const w = workload(quick);
  session = await store(id).open(db());
  let done = 0;
  const start = performance.now();
  while (done < w.appends.length && performance.now() - start < capMs) {
    const item = w.appends[done++]!;
    await session.append(LOG_SECTION, item.text, item.agent);
  }
  const ms = performance.now() - start;
  const timed = done;
  if (done < w.appends.length && session.bulkAppend) {
    await session.bulkAppend(LOG_SECTION, w.appends.slice(done), done + 1);
    done = w.appends.length;
  }
  while (done < w.appends.length) {
    const item = w.appends[done++]!;
    await session.append(LOG_SECTION, item.text, item.agent);
  }
  const got = checksum(session.read());
  const want = checksum(new Map([[LOG_SECTION, expectedLog(w)]]));
  return { ms, timed, total: w.appends.length, ok: got === want, detail: got === want ? got : `got ${got}, expected ${want}` };
}

/** (e): the section the n-th edit changed, as it was right after that edit. */
async function history(quick: boolean): Promise<{ ms: number; contentOk: boolean; author: string | null; authorOk: boolean; diff: string | null } | null> {
  const w = workload(quick);
  if (!session?.historyAt) return null;
  const n = w.sizes.historyEdit;
  const target = sectionVersionAfterEdit(w, n);
  const start = performance.now();
  const answer = await session.historyAt(n, target.section, target.version);
  const ms = performance.now() - start;
  return {
    ms,
    contentOk: answer.content === expectedAfterEdits(w, n).get(target.section),
    author: answer.author ?? null,
    authorOk: answer.author === target.agent,
    diff: answer.diff ?? null,
  };
}

async function closeSession(): Promise<void> {
  await session?.close();
  session = undefined;
}

/** (c): a cold start in this fresh page: open the store on the existing database and read every section. */
async function runReopen(id: StoreId, quick: boolean, after: 'edits' | 'appends'): Promise<{ ms: number; ok: boolean; detail: string }> {
  const w = workload(quick);
  const start = performance.now();
  const opened = await reopen(id, db());
  const ms = performance.now() - start;
  const got = checksum(opened.sections);
  const want = checksum(after === 'edits' ? expectedAfterEdits(w) : new Map([[LOG_SECTION, expectedLog(w)]]));
  await opened.close();
  return { ms, ok: got === want, detail: got === want ? got : `got ${got}, expected ${want}` };
}

const varint = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
const oneByte = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
};

/**
 * Bytes of a value as V8's ValueSerializer writes it into IndexedDB (what Chromium stores before compression): a tag
 * per value, small integers as varints, other numbers as 8 bytes, Latin-1 strings 1 byte a character (else 2), field
 * names with every object. An estimate from the format, not a call into the browser.
 */
function serializedSize(value: unknown): number {
  if (typeof value === 'string') {
    const bytes = oneByte(value) ? value.length : value.length * 2;
    return 1 + varint(bytes) + bytes;
  }
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 2 ** 30 ? 1 + varint(Math.abs(value) * 2) : 9;
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (value instanceof ArrayBuffer) return 1 + varint(value.byteLength) + value.byteLength;
  if (ArrayBuffer.isView(value)) return 1 + varint(value.byteLength) + value.byteLength + 4;
  if (Array.isArray(value)) return 1 + 2 * varint(value.length) + 1 + value.reduce((sum: number, item) => sum + serializedSize(item), 0);
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    return 2 + varint(entries.length) + entries.reduce((sum, [key, item]) => sum + serializedSize(key) + serializedSize(item), 0);
  }
  return 0;
}

/** Bytes of a key as Chromium's IndexedDB encodes it: a type byte, numbers as 8 bytes, strings as UTF-16. */
function keySize(key: unknown): number {
  if (typeof key === 'number' || key instanceof Date) return 9;
  if (typeof key === 'string') return 1 + varint(key.length) + 2 * key.length;
  if (Array.isArray(key)) return 1 + varint(key.length) + key.reduce((sum: number, item) => sum + keySize(item), 0);
  if (key instanceof ArrayBuffer || ArrayBuffer.isView(key)) return 1 + varint(key.byteLength) + key.byteLength;
  return 0;
}

/**
 * (d): what the run left in its bucket, two ways: every record of every database read back and counted (its key as
 * IndexedDB encodes it, its value as V8 serializes it; index entries not counted), and the bucket's usage as Chromium
 * reports it (files on disk: LevelDB logs and tables, blobs).
 */
async function storage(): Promise<{ payload: number; records: number; disk: number }> {
  if (!bucket) throw new Error('useBucket() first');
  let payload = 0;
  let records = 0;
  for (const info of await bucket.indexedDB.databases()) {
    const database = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = bucket!.indexedDB.open(info.name!);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const names = [...database.objectStoreNames];
    if (names.length > 0) {
      const tx = database.transaction(names, 'readonly');
      for (const name of names) {
        const [keys, values] = await Promise.all([
          new Promise<IDBValidKey[]>((resolve, reject) => {
            const request = tx.objectStore(name).getAllKeys();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          }),
          new Promise<unknown[]>((resolve, reject) => {
            const request = tx.objectStore(name).getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          }),
        ]);
        records += keys.length;
        for (const key of keys) payload += keySize(key);
        for (const value of values) payload += serializedSize(value) + 3; // + Blink's envelope
      }
    }
    database.close();
  }
  const disk = (await bucket.estimate()).usage ?? 0;
  return { payload, records, disk };
}

/**
 * (a) with the stores taking turns edit by edit (each store's session open side by side, in databases of their own
 * in the current bucket), each edit timed on its own: a finer A/B than alternating whole runs when the machine's
 * load moves. Returns each store's total and median edit time.
 */
async function runInterleaved(ids: StoreId[], quick: boolean): Promise<Record<string, { total: number; median: number }>> {
  const w = workload(quick);
  if (!bucket) throw new Error('useBucket() first');
  const sessions: Session[] = [];
  for (const id of ids) {
    const s = await store(id).open({ name: `interleaved-${id}`, idb: bucket.indexedDB });
    await s.seed(w.seed);
    sessions.push(s);
  }
  const times = ids.map(() => [] as number[]);
  for (let i = 0; i < w.edits.length; i++) {
    for (let k = 0; k < ids.length; k++) {
      const j = (i + k) % ids.length;
      const start = performance.now();
      await sessions[j]!.replaceLine(w.edits[i]!);
      times[j]!.push(performance.now() - start);
    }
  }
  for (const s of sessions) await s.close();
  const result: Record<string, { total: number; median: number }> = {};
  ids.forEach((id, k) => {
    const sorted = [...times[k]!].sort((a, b) => a - b);
    result[id] = { total: times[k]!.reduce((a, b) => a + b, 0), median: sorted[Math.floor(sorted.length / 2)]! };
  });
  return result;
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const marks = (): number[] => (globalThis as { lastMarks?: number[] }).lastMarks ?? [];
const peers = { marks, useBucket, deleteBucket, describeStores, runEdits, runAppends, runInterleaved, history, closeSession, runReopen, storage, settle };

declare global {
  interface Window {
    peers: typeof peers;
  }
}
window.peers = peers;
document.title = 'ready';
