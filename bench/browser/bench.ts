/**
 * The page side of `npm run bench:browser`: workloads run in Chromium against real IndexedDB on disk (a persistent
 * profile, not an incognito context, whose IndexedDB lives in memory). `run.mts` calls `window.bench.<name>()` and
 * prints what comes back. Nothing here asserts: it measures.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { createStore as createKeyvalStore, del as keyvalDel, get as keyvalGet, set as keyvalSet } from 'idb-keyval';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createStore } from 'zustand/vanilla';
import { packEntry } from '../../src/core/packed.js';
import { createScratchpad, memoryStorage, type CommitBatch, type Scratchpad, type SessionStorage, type StorageAdapter } from '../../src/index.js';
import { indexedDbStorage } from '../../src/storage/idb.js';

type Durability = IDBTransactionDurability;
const LINES_PER_SECTION = 16;
const LINE = 63; // 16 lines of 63 characters and a newline: 1 KiB per section.

function line(seed: number): string {
  return `edit ${seed} `.padEnd(LINE, 'abcdefghijklmnopqrstuvwxyz0123456789'.charAt(seed % 36));
}

function sectionContent(index: number): string {
  return Array.from({ length: LINES_PER_SECTION }, (_, i) => `section ${index} line ${i} `.padEnd(LINE, '.') + '\n').join('');
}

const sectionName = (i: number): string => `s${String(i).padStart(4, '0')}`;

/** The i-th small edit: one line of one section replaced, sections visited round-robin. */
function editOf(i: number, sections: number): { section: number; line: number; text: string } {
  return { section: i % sections, line: (Math.floor(i / sections) % LINES_PER_SECTION) + 1, text: line(i) };
}

function replaceLine(content: string, lineNumber: number, text: string): string {
  const lines = content.split('\n');
  lines[lineNumber - 1] = text;
  return lines.join('\n');
}

function recording(inner: StorageAdapter, batches: CommitBatch[]): StorageAdapter {
  return {
    name: inner.name,
    async open(sessionId) {
      const session = await inner.open(sessionId);
      return new Proxy(session, {
        get(target, property, receiver) {
          if (property === 'commit') {
            return (batch: CommitBatch) => {
              batches.push(batch);
              return target.commit(batch);
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      }) as SessionStorage;
    },
  };
}

async function deleteDatabase(name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => resolve();
  });
}

async function usage(): Promise<number> {
  return (await navigator.storage.estimate()).usage ?? 0;
}

interface Rate {
  readonly writes: number;
  readonly ms: number;
  readonly perSecond: number;
}
const rate = (writes: number, ms: number): Rate => ({ writes, ms: Math.round(ms), perSecond: Math.round((writes / ms) * 1000) });

// ------------------------------------------------------------------ scratchpad-store

async function seededScratchpad(name: string, sections: number, durability: Durability, batches?: CommitBatch[]): Promise<Scratchpad> {
  const storage = indexedDbStorage({ name, durability });
  const sp = createScratchpad({ storage: batches ? recording(storage, batches) : storage, sessionId: 'bench' });
  await sp.ready;
  await Promise.all(Array.from({ length: sections }, (_, i) => sp.write('bench', sectionName(i), sectionContent(i), { agent: 'seed' })));
  return sp;
}

async function oursAwaited(count: number, sections: number, durability: Durability): Promise<{ rate: Rate; batches: CommitBatch[] }> {
  const name = `ours-awaited-${crypto.randomUUID()}`;
  const batches: CommitBatch[] = [];
  const sp = await seededScratchpad(name, sections, durability, batches);
  batches.length = 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const edit = editOf(i, sections);
    await sp.edit('bench', sectionName(edit.section), { replaceLines: { from: edit.line, to: edit.line }, text: edit.text }, { agent: 'bench' });
  }
  const elapsed = performance.now() - start;
  sp.close();
  await deleteDatabase(name);
  return { rate: rate(count, elapsed), batches };
}

/** `rounds` bursts of `burst` edits issued in one tick (each to a different section), each burst awaited. */
async function oursBursts(rounds: number, burst: number, sections: number, durability: Durability): Promise<{ rate: Rate; batches: CommitBatch[] }> {
  const name = `ours-bursts-${crypto.randomUUID()}`;
  const batches: CommitBatch[] = [];
  const sp = await seededScratchpad(name, sections, durability, batches);
  batches.length = 0;
  const start = performance.now();
  for (let round = 0; round < rounds; round++) {
    const writes: Promise<unknown>[] = [];
    for (let s = 0; s < burst; s++) {
      const edit = editOf(round * burst + s, sections);
      writes.push(sp.edit('bench', sectionName(edit.section), { replaceLines: { from: edit.line, to: edit.line }, text: edit.text }, { agent: 'bench' }));
    }
    await Promise.all(writes);
  }
  const elapsed = performance.now() - start;
  sp.close();
  await deleteDatabase(name);
  return { rate: rate(rounds * burst, elapsed), batches };
}

/** The same bursts on memoryStorage: what the library itself costs, before any IndexedDB work. */
async function memoryBursts(rounds: number, burst: number, sections: number): Promise<Rate> {
  const sp = createScratchpad({ storage: memoryStorage(), sessionId: 'bench' });
  await sp.ready;
  await Promise.all(Array.from({ length: sections }, (_, i) => sp.write('bench', sectionName(i), sectionContent(i), { agent: 'seed' })));
  const start = performance.now();
  for (let round = 0; round < rounds; round++) {
    const writes: Promise<unknown>[] = [];
    for (let s = 0; s < burst; s++) {
      const edit = editOf(round * burst + s, sections);
      writes.push(sp.edit('bench', sectionName(edit.section), { replaceLines: { from: edit.line, to: edit.line }, text: edit.text }, { agent: 'bench' }));
    }
    await Promise.all(writes);
  }
  const elapsed = performance.now() - start;
  sp.close();
  return rate(rounds * burst, elapsed);
}

// ------------------------------------------------------------------ raw idb, replaying the very records we stored

async function rawDatabase(name: string): Promise<IDBPDatabase> {
  return openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore('sections');
      db.createObjectStore('history', { keyPath: ['sessionId', 'pad', 'section', 'version'] });
      db.createObjectStore('snapshots');
    },
  });
}

interface RawRecord {
  readonly store: 'sections' | 'history' | 'snapshots';
  readonly value: unknown;
  readonly key?: IDBValidKey;
}

function recordsOf(batch: CommitBatch): RawRecord[] {
  return [
    ...batch.sections.map(({ record }) => ({ store: 'sections' as const, value: record, key: ['bench', record.pad, record.section] })),
    ...batch.entries.map((entry) => ({ store: 'history' as const, value: entry })),
    ...batch.snapshots.map((s) => ({ store: 'snapshots' as const, value: s, key: ['bench', s.pad, s.section, s.version] })),
  ];
}

const writesIn = (batches: readonly CommitBatch[]): number => batches.reduce((n, b) => n + b.entries.length, 0);

function put(store: { put(value: unknown, key?: IDBValidKey): Promise<unknown> }, record: RawRecord): Promise<unknown> {
  return record.key === undefined ? store.put(record.value) : store.put(record.value, record.key);
}

/** One transaction per write (its section row, entry and snapshots), each awaited. */
async function rawPerWriteAwaited(batches: CommitBatch[], durability: Durability): Promise<Rate> {
  const name = `raw-${crypto.randomUUID()}`;
  const db = await rawDatabase(name);
  const start = performance.now();
  for (const batch of batches) {
    const tx = db.transaction(['sections', 'history', 'snapshots'], 'readwrite', { durability });
    for (const record of recordsOf(batch)) void put(tx.objectStore(record.store), record);
    await tx.done;
  }
  const elapsed = performance.now() - start;
  db.close();
  await deleteDatabase(name);
  return rate(batches.length, elapsed);
}

/** A burst of writes as one transaction per record (what a naive wrapper over put does), all in flight at once. */
async function rawPerRecordBurst(bursts: CommitBatch[], durability: Durability): Promise<Rate> {
  const name = `raw-${crypto.randomUUID()}`;
  const db = await rawDatabase(name);
  const start = performance.now();
  for (const batch of bursts) {
    await Promise.all(
      recordsOf(batch).map(async (record) => {
        const tx = db.transaction(record.store, 'readwrite', { durability });
        void put(tx.store, record);
        await tx.done;
      }),
    );
  }
  const elapsed = performance.now() - start;
  db.close();
  await deleteDatabase(name);
  return rate(writesIn(bursts), elapsed);
}

/** A burst of writes as one transaction with one put per record: the floor for storing these records. */
async function rawBatchedBurst(bursts: CommitBatch[], durability: Durability): Promise<Rate> {
  const name = `raw-${crypto.randomUUID()}`;
  const db = await rawDatabase(name);
  const start = performance.now();
  for (const batch of bursts) {
    const tx = db.transaction(['sections', 'history', 'snapshots'], 'readwrite', { durability });
    for (const record of recordsOf(batch)) void put(tx.objectStore(record.store), record);
    await tx.done;
  }
  const elapsed = performance.now() - start;
  db.close();
  await deleteDatabase(name);
  return rate(writesIn(bursts), elapsed);
}

// ------------------------------------------------------------------ zustand + persist + idb-keyval

interface PersistedSection {
  content: string;
  version: number;
  updatedAt: number;
  updatedBy: string;
}
interface PersistedState {
  sections: Record<string, PersistedSection>;
}

/**
 * What an app would write without this library: a zustand store with the persist middleware on idb-keyval, which
 * serialises the whole state and puts it on every change. A write counts once its setItem has resolved.
 */
async function zustandPersist(mode: 'awaited' | 'bursts', sections: number, writes: number, burstSize = 100): Promise<Rate> {
  const dbName = `zustand-${crypto.randomUUID()}`;
  const kv = createKeyvalStore(dbName, 'keyval');
  let waiting: (() => void)[] = [];
  const storage = createJSONStorage<PersistedState>(() => ({
    getItem: async (key) => (await keyvalGet<string>(key, kv)) ?? null,
    setItem: async (key, value) => {
      await keyvalSet(key, value, kv);
      waiting.shift()?.();
    },
    removeItem: (key) => keyvalDel(key, kv),
  }));
  const initial: Record<string, PersistedSection> = {};
  for (let i = 0; i < sections; i++) initial[sectionName(i)] = { content: sectionContent(i), version: 1, updatedAt: Date.now(), updatedBy: 'seed' };
  const store = createStore<PersistedState>()(persist(() => ({ sections: initial }), { name: 'scratchpad', storage }));
  const saved = (): Promise<void> => new Promise((resolve) => waiting.push(resolve));
  const apply = (i: number): Promise<void> => {
    const edit = editOf(i, sections);
    const key = sectionName(edit.section);
    const done = saved();
    store.setState((state) => {
      const old = state.sections[key] as PersistedSection;
      return {
        sections: {
          ...state.sections,
          [key]: { content: replaceLine(old.content, edit.line, edit.text), version: old.version + 1, updatedAt: Date.now(), updatedBy: 'bench' },
        },
      };
    });
    return done;
  };
  await apply(0);
  const start = performance.now();
  if (mode === 'awaited') {
    for (let i = 1; i <= writes; i++) await apply(i);
  } else {
    for (let i = 1; i <= writes; i += burstSize) {
      const burst: Promise<void>[] = [];
      for (let j = i; j < Math.min(i + burstSize, writes + 1); j++) burst.push(apply(j));
      await Promise.all(burst);
    }
  }
  const elapsed = performance.now() - start;
  waiting = [];
  await deleteDatabase(dbName);
  return rate(writes, elapsed);
}

// ------------------------------------------------------------------ opening a large session

/** Writes `sections` sections with `versions` versions each through the library (bursts of one write per section). */
async function buildLargeSession(
  name: string,
  sections: number,
  versions: number,
): Promise<{ ms: number; bytes: number; versions: number; wholeEntryBytes: number; storedEntryBytes: number }> {
  const before = await usage();
  const sp = createScratchpad({ storage: indexedDbStorage({ name }), sessionId: 'large' });
  await sp.ready;
  const start = performance.now();
  for (let v = 1; v <= versions; v++) {
    const writes: Promise<unknown>[] = [];
    for (let s = 0; s < sections; s++) {
      writes.push(sp.write(`pad${s % 10}`, sectionName(s), `v${v}: finding ${v} of section ${s}, noted by the agent`, { mode: 'append', agent: `agent${v % 3}` }));
    }
    await Promise.all(writes);
  }
  const ms = performance.now() - start;
  const sample = await sp.history({ pad: 'pad0', section: sectionName(0) });
  sp.close();
  // The estimate trails the files on disk; give the backing store a moment to settle before reading it.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const bytes = (await usage()) - before;
  const whole = sample.reduce((sum, entry) => sum + JSON.stringify(entry).length, 0) / sample.length;
  const stored = sample.reduce((sum, entry) => sum + JSON.stringify({ s: 'large', ...packEntry(entry) }).length, 0) / sample.length;
  return { ms: Math.round(ms), bytes, versions: sections * versions, wholeEntryBytes: Math.round(whole), storedEntryBytes: Math.round(stored) };
}

async function openLargeSession(name: string): Promise<{ ms: number; sections: number }> {
  const start = performance.now();
  const sp = createScratchpad({ storage: indexedDbStorage({ name }), sessionId: 'large' });
  await sp.ready;
  const ms = performance.now() - start;
  const sections = sp.pads().reduce((n, pad) => n + sp.sections(pad).length, 0);
  sp.close();
  return { ms: Math.round(ms * 10) / 10, sections };
}

declare global {
  interface Window {
    bench: typeof bench;
  }
}

/**
 * `writers` writes issued at the same moment (one per writer, each to its own section of a `sections`-section pad),
 * milliseconds until every one of them is durable. Seeding is not timed.
 */
async function concurrentOurs(writers: number, sections: number): Promise<number> {
  const name = `ours-concurrent-${crypto.randomUUID()}`;
  const sp = await seededScratchpad(name, sections, 'default');
  const start = performance.now();
  const writes: Promise<unknown>[] = [];
  for (let w = 0; w < writers; w++) {
    const edit = editOf(w, sections);
    writes.push(sp.edit('bench', sectionName(edit.section), { replaceLines: { from: edit.line, to: edit.line }, text: edit.text }, { agent: `writer ${w}` }));
  }
  await Promise.all(writes);
  const elapsed = performance.now() - start;
  sp.close();
  await deleteDatabase(name);
  return elapsed;
}

/** The same for zustand persist on idb-keyval: one burst of `writers` setStates, until every setItem has resolved. */
async function concurrentZustand(writers: number, sections: number): Promise<number> {
  return (await zustandPersist('bursts', sections, writers, writers)).ms;
}

async function panelWrites(count: number, withPanel: boolean): Promise<{ ms: number; perWrite: number }> {
  // React and the panel load only for this workload.
  const { panelWrites: run } = await import('./panel.js');
  return run(count, withPanel);
}

const bench = {
  concurrentOurs,
  concurrentZustand,
  panelWrites,
  memoryBursts,
  oursAwaited,
  oursBursts,
  rawPerWriteAwaited,
  rawPerRecordBurst,
  rawBatchedBurst,
  zustandPersist,
  buildLargeSession,
  openLargeSession,
  deleteDatabase,
  usage,
};
window.bench = bench;
document.title = 'ready';
