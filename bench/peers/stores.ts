/**
 * scratchpad-store and the stores users would pick instead, behind one interface, each used the way its documentation
 * shows, with what it offers for durability and history. What each one awaits per write is said in `durability`.
 */
import Dexie from 'dexie';
import { createStore as createKeyvalStore, del as keyvalDel, get as keyvalGet, set as keyvalSet } from 'idb-keyval';
import { createCheckpoints, type Checkpoints } from 'tinybase/checkpoints';
import { createIndexedDbPersister } from 'tinybase/persisters/persister-indexed-db';
import { createStore as createTinyStore, type Store as TinyStore } from 'tinybase/store';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createStore as createZustandStore } from 'zustand/vanilla';
import { createScratchpad, type Scratchpad } from '../../src/index.js';
import { indexedDbStorage } from '../../src/storage/idb.js';
import { PAD, appendLine, replaceLine, type Edit } from './workload.js';

/** Where a run keeps its data: a storage bucket of its own (so that its bytes on disk can be told apart). */
export interface Db {
  readonly name: string;
  readonly idb: IDBFactory;
}

export interface HistoryAnswer {
  readonly content: string;
  readonly author: string | undefined;
  /** A unified diff of that version against the one before, when the store gives one. */
  readonly diff: string | undefined;
}

export interface Session {
  /** Untimed: creates the sections, durably. */
  seed(sections: readonly (readonly [string, string])[]): Promise<void>;
  replaceLine(edit: Edit): Promise<void>;
  append(section: string, text: string, agent: string): Promise<void>;
  /** Untimed: the rest of an append log in one go, leaving exactly what the appends one by one would have stored. */
  bulkAppend?(section: string, items: readonly { text: string; agent: string }[], firstVersion: number): Promise<void>;
  /** Current content of every section, from memory. */
  read(): Map<string, string>;
  /** (e): the section as it was right after the session's n-th edit, which made version `version` of it. */
  historyAt?(n: number, section: string, version: number): Promise<HistoryAnswer>;
  close(): Promise<void>;
}

export interface StoreUnderTest {
  readonly id: StoreId;
  readonly label: string;
  readonly packages: readonly string[];
  /** What a write's promise means here. */
  readonly durability: string;
  /** What (e) reads, and what it answers with. */
  readonly history: string;
  open(db: Db): Promise<Session>;
}

export type StoreId = 'ours' | 'zustand' | 'tinybase' | 'yjs' | 'dexie';

// ---------------------------------------------------------------- scratchpad-store

const ours: StoreUnderTest = {
  id: 'ours',
  label: 'scratchpad-store',
  packages: ['scratchpad-store', 'idb', 'zustand', 'diff'],
  durability: 'each write/edit promise (resolves once its IndexedDB transaction has committed)',
  history: 'contentAt + diff + history entry of that version, read from IndexedDB (kept across reloads)',
  async open(db) {
    const sp: Scratchpad = createScratchpad({ sessionId: 'bench', storage: indexedDbStorage({ name: db.name, indexedDB: db.idb }) });
    await sp.ready;
    return {
      async seed(sections) {
        await Promise.all(sections.map(([name, content]) => sp.write(PAD, name, content, { agent: 'seed' })));
      },
      async replaceLine(edit) {
        await sp.edit(PAD, edit.section, { replaceLines: { from: edit.line + 1, to: edit.line + 1 }, text: edit.text }, { agent: edit.agent });
      },
      async append(section, text, agent) {
        await sp.write(PAD, section, text, { mode: 'append', agent });
      },
      read() {
        return new Map(sp.sections(PAD).map((name) => [name, sp.read(PAD, name)!]));
      },
      async historyAt(_n, section, version) {
        const [content, diff, entries] = await Promise.all([
          sp.contentAt(PAD, section, version),
          sp.diff(PAD, section, version - 1, version),
          sp.history({ pad: PAD, section }),
        ]);
        return { content, diff: diff.text, author: entries.find((e) => e.version === version)?.agent };
      },
      async close() {
        await sp.flush();
        sp.close();
      },
    };
  },
};

// ---------------------------------------------------------------- zustand + persist + idb-keyval

interface Row {
  content: string;
  version: number;
  updatedAt: number;
  updatedBy: string;
}
interface ZustandState {
  sections: Record<string, Row>;
}

const zustand: StoreUnderTest = {
  id: 'zustand',
  label: 'zustand persist',
  packages: ['zustand', 'idb-keyval'],
  durability:
    "none offered (persist's setState returns nothing); the bench awaits the idb-keyval set() that persist starts on every change (resolves on transaction complete)",
  history: 'none: persist keeps the current state only',
  async open(db) {
    const kv = createKeyvalStore(db.name, 'keyval');
    let lastWrite: Promise<void> = Promise.resolve();
    const storage = createJSONStorage<ZustandState>(() => ({
      getItem: async (key) => (await keyvalGet<string>(key, kv)) ?? null,
      setItem: (key, value) => (lastWrite = keyvalSet(key, value, kv)),
      removeItem: (key) => keyvalDel(key, kv),
    }));
    const store = createZustandStore<ZustandState>()(persist(() => ({ sections: {} }), { name: 'scratchpad', storage, skipHydration: true }));
    await store.persist.rehydrate();
    const change = async (name: string, content: string, agent: string): Promise<void> => {
      store.setState((state) => {
        const old = state.sections[name];
        return { sections: { ...state.sections, [name]: { content, version: (old?.version ?? 0) + 1, updatedAt: Date.now(), updatedBy: agent } } };
      });
      await lastWrite;
    };
    return {
      async seed(sections) {
        const rows: Record<string, Row> = {};
        for (const [name, content] of sections) rows[name] = { content, version: 1, updatedAt: Date.now(), updatedBy: 'seed' };
        store.setState({ sections: rows });
        await lastWrite;
      },
      replaceLine: (edit) => change(edit.section, replaceLine(store.getState().sections[edit.section]!.content, edit.line, edit.text), edit.agent),
      append: (section, text, agent) => change(section, appendLine(store.getState().sections[section]?.content ?? '', text), agent),
      async bulkAppend(section, items) {
        const old = store.getState().sections[section];
        let content = old?.content ?? '';
        for (const item of items) content = appendLine(content, item.text);
        store.setState({ sections: { ...store.getState().sections, [section]: { content, version: (old?.version ?? 0) + items.length, updatedAt: Date.now(), updatedBy: items.at(-1)!.agent } } });
        await lastWrite;
      },
      read: () => new Map(Object.entries(store.getState().sections).map(([name, row]) => [name, row.content])),
      async close() {
        await lastWrite;
      },
    };
  },
};

// ---------------------------------------------------------------- TinyBase + IndexedDB persister + checkpoints

const tinybase: StoreUnderTest = {
  id: 'tinybase',
  label: 'TinyBase',
  packages: ['tinybase'],
  durability: 'await persister.save() after each change (resolves once its transaction is complete)',
  history: 'checkpoints.goTo(checkpoint of that edit), read the cell and the checkpoint label, goTo back; in memory only (gone after a reload), no diff',
  async open(db) {
    const store: TinyStore = createTinyStore();
    const persister = createIndexedDbPersister(store, db.name);
    await persister.load();
    const checkpoints: Checkpoints = createCheckpoints(store);
    checkpoints.setSize(Number.MAX_SAFE_INTEGER); // default 100: every edit of (a) must stay reachable
    const ids: string[] = [];
    const change = async (name: string, content: string, agent: string): Promise<void> => {
      store.transaction(() => {
        const version = (store.getCell('sections', name, 'version') as number | undefined) ?? 0;
        store.setRow('sections', name, { content, version: version + 1, updatedAt: Date.now(), updatedBy: agent });
      });
      ids.push(checkpoints.addCheckpoint(agent));
      await persister.save();
    };
    const content = (name: string): string => (store.getCell('sections', name, 'content') as string | undefined) ?? '';
    return {
      async seed(sections) {
        store.transaction(() => {
          for (const [name, text] of sections) store.setRow('sections', name, { content: text, version: 1, updatedAt: Date.now(), updatedBy: 'seed' });
        });
        checkpoints.clear();
        await persister.save();
      },
      replaceLine: (edit) => change(edit.section, replaceLine(content(edit.section), edit.line, edit.text), edit.agent),
      append: (section, text, agent) => change(section, appendLine(content(section), text), agent),
      async bulkAppend(section, items) {
        let text = content(section);
        for (const item of items) text = appendLine(text, item.text);
        const version = ((store.getCell('sections', section, 'version') as number | undefined) ?? 0) + items.length;
        store.setRow('sections', section, { content: text, version, updatedAt: Date.now(), updatedBy: items.at(-1)!.agent });
        await persister.save();
      },
      read: () => new Map(store.getRowIds('sections').map((name) => [name, content(name)])),
      async historyAt(n, section) {
        const target = ids[n - 1]!;
        const now = checkpoints.getCheckpointIds()[1]!;
        checkpoints.goTo(target);
        const answer = { content: content(section), author: checkpoints.getCheckpoint(target), diff: undefined };
        checkpoints.goTo(now);
        return answer;
      },
      async close() {
        await persister.save();
        await persister.destroy();
      },
    };
  },
};

// ---------------------------------------------------------------- Yjs + y-indexeddb + UndoManager

/**
 * y-indexeddb writes every update in a transaction of its own and returns nothing to await. A read-only transaction
 * on the same store, started after the update's, cannot start before that one has finished (IndexedDB orders
 * transactions with overlapping scopes), so its completion means the update is committed.
 */
function barrier(db: IDBDatabase): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(['updates'], 'readonly');
    tx.objectStore('updates').get(-1);
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

const yjs: StoreUnderTest = {
  id: 'yjs',
  label: 'Yjs',
  packages: ['yjs', 'y-indexeddb'],
  durability:
    'none offered (y-indexeddb stores each update in its own transaction and exposes no promise); the bench awaits a read-only transaction on the updates store queued behind it',
  history:
    'UndoManager: undo back to that edit, read the Y.Text and the stack item meta (author set by the app), redo; in memory only (gone after a reload), no diff; the undos and redos are themselves new updates, written to IndexedDB',
  async open(db) {
    const doc = new Y.Doc();
    const persistence = new IndexeddbPersistence(db.name, doc);
    await persistence.whenSynced;
    const undo = new Y.UndoManager([], { captureTimeout: 0, doc });
    let agent = '';
    undo.on('stack-item-added', (event: { stackItem: { meta: Map<string, unknown> }; type: 'undo' | 'redo' }) => {
      if (event.type === 'undo' && !event.stackItem.meta.has('agent')) event.stackItem.meta.set('agent', agent);
    });
    const text = (name: string): Y.Text => {
      const t = doc.getText(name);
      undo.addToScope(t);
      return t;
    };
    const durable = (): Promise<void> => barrier(persistence.db!);
    let edits = 0;
    return {
      async seed(sections) {
        doc.transact(() => {
          for (const [name, content] of sections) text(name).insert(0, content);
        }, 'seed'); // not tracked by the UndoManager: the seed is not an edit to undo
        await durable();
      },
      async replaceLine(edit) {
        agent = edit.agent;
        const t = text(edit.section);
        const content = t.toString();
        let start = 0;
        for (let i = 0; i < edit.line; i++) start = content.indexOf('\n', start) + 1;
        const end = content.indexOf('\n', start);
        doc.transact(() => {
          t.delete(start, end - start);
          t.insert(start, edit.text);
        });
        undo.stopCapturing();
        edits++;
        await durable();
      },
      async append(section, line, who) {
        agent = who;
        const t = text(section);
        t.insert(t.length, t.length === 0 ? line : '\n' + line);
        undo.stopCapturing();
        await durable();
      },
      read: () => new Map([...doc.share.keys()].map((name) => [name, doc.getText(name).toString()])),
      async historyAt(n, section) {
        const steps = edits - n;
        for (let i = 0; i < steps; i++) undo.undo();
        const top = undo.undoStack[undo.undoStack.length - 1];
        const answer = { content: doc.getText(section).toString(), author: top?.meta.get('agent') as string | undefined, diff: undefined };
        for (let i = 0; i < steps; i++) undo.redo();
        return answer;
      },
      async close() {
        await durable();
        undo.destroy();
        await persistence.destroy();
        doc.destroy();
      },
    };
  },
};

// ---------------------------------------------------------------- Dexie: sections + history rows, by hand

interface DexieSection {
  name: string;
  /** The content as of `baseVersion`; the appends after it are history rows (one row per append, nothing rewritten). */
  content: string;
  baseVersion: number;
  version: number;
  updatedAt: number;
  updatedBy: string;
}
interface DexieHistory {
  section: string;
  version: number;
  op: 'seed' | 'edit' | 'append';
  agent: string;
  timestamp: number;
  /** The whole new content for an edit, the appended line for an append. */
  text: string;
}

const dexie: StoreUnderTest = {
  id: 'dexie',
  label: 'Dexie (by hand)',
  packages: ['dexie'],
  durability:
    "each change is one db.transaction('rw', ...), awaited: an edit reads the row, checks its version, puts it and adds a history row; an append adds one history row (the appended line) and bumps the row's version, without rewriting the content",
  history: 'db.history.get([section, version]): the whole content stored for an edit, and its author; kept across reloads; no diff',
  async open(db) {
    const d = new Dexie(db.name, { indexedDB: db.idb, IDBKeyRange });
    d.version(1).stores({ sections: 'name', history: '[section+version], agent, timestamp' });
    await d.open();
    const sections = d.table<DexieSection, string>('sections');
    const history = d.table<DexieHistory, [string, number]>('history');
    const memory = new Map<string, string>();
    const change = (name: string, op: DexieHistory['op'], agent: string, make: (old: string) => { content: string; text: string }): Promise<void> =>
      d.transaction('rw', sections, history, async () => {
        const row = await sections.get(name);
        // The current content: the row's base plus the appends after it (kept in memory, as the store shows it).
        const { content, text } = make(memory.get(name) ?? row?.content ?? '');
        const version = (row?.version ?? 0) + 1;
        const timestamp = Date.now();
        await Promise.all([
          // A fair design for appends: a row per append, the section row only moves its version (no O(n) rewrite).
          op === 'append' && row
            ? sections.put({ ...row, version, updatedAt: timestamp, updatedBy: agent })
            : sections.put({ name, content, baseVersion: version, version, updatedAt: timestamp, updatedBy: agent }),
          history.add({ section: name, version, op, agent, timestamp, text }),
        ]);
        memory.set(name, content);
      });
    return {
      async seed(list) {
        const timestamp = Date.now();
        await d.transaction('rw', sections, history, async () => {
          await sections.bulkPut(list.map(([name, content]) => ({ name, content, baseVersion: 1, version: 1, updatedAt: timestamp, updatedBy: 'seed' })));
          await history.bulkAdd(list.map(([name, content]) => ({ section: name, version: 1, op: 'seed' as const, agent: 'seed', timestamp, text: content })));
        });
        for (const [name, content] of list) memory.set(name, content);
      },
      replaceLine: (edit) =>
        change(edit.section, 'edit', edit.agent, (old) => {
          const content = replaceLine(old, edit.line, edit.text);
          return { content, text: content };
        }),
      append: (section, text, agent) => change(section, 'append', agent, (old) => ({ content: appendLine(old, text), text })),
      async bulkAppend(section, items, firstVersion) {
        let content = memory.get(section) ?? '';
        for (const item of items) content = appendLine(content, item.text);
        const timestamp = Date.now();
        await d.transaction('rw', sections, history, async () => {
          const row = await sections.get(section);
          const version = firstVersion + items.length - 1;
          await sections.put(row ? { ...row, version, updatedAt: timestamp, updatedBy: items.at(-1)!.agent } : { name: section, content, baseVersion: version, version, updatedAt: timestamp, updatedBy: items.at(-1)!.agent });
          await history.bulkAdd(items.map((item, i) => ({ section, version: firstVersion + i, op: 'append' as const, agent: item.agent, timestamp, text: item.text })));
        });
        memory.set(section, content);
      },
      read: () => new Map(memory),
      async historyAt(_n, section, version) {
        const row = await history.get([section, version]);
        // (e) asks for an edit's version: its row holds the whole content. (An append's row holds only its line.)
        return { content: row?.text ?? '', author: row?.agent, diff: undefined };
      },
      async close() {
        d.close();
      },
    };
  },
};

export const STORES: readonly StoreUnderTest[] = [ours, zustand, tinybase, yjs, dexie];

/**
 * Cold start: opens the store on an existing database and reads every section, the way an app does on load. Returns
 * the content read and how to close it.
 */
export async function reopen(id: StoreId, db: Db): Promise<{ sections: Map<string, string>; close: () => Promise<void> }> {
  switch (id) {
    case 'ours': {
      const sp = createScratchpad({ sessionId: 'bench', storage: indexedDbStorage({ name: db.name, indexedDB: db.idb }) });
      await sp.ready;
      const sections = new Map(sp.sections(PAD).map((name) => [name, sp.read(PAD, name)!]));
      return { sections, close: async () => sp.close() };
    }
    case 'zustand': {
      const kv = createKeyvalStore(db.name, 'keyval');
      const storage = createJSONStorage<ZustandState>(() => ({
        getItem: async (key) => (await keyvalGet<string>(key, kv)) ?? null,
        setItem: (key, value) => keyvalSet(key, value, kv),
        removeItem: (key) => keyvalDel(key, kv),
      }));
      const store = createZustandStore<ZustandState>()(persist(() => ({ sections: {} }), { name: 'scratchpad', storage, skipHydration: true }));
      await store.persist.rehydrate();
      const sections = new Map(Object.entries(store.getState().sections).map(([name, row]) => [name, row.content]));
      return { sections, close: async () => undefined };
    }
    case 'tinybase': {
      const store = createTinyStore();
      const persister = createIndexedDbPersister(store, db.name);
      await persister.load();
      const sections = new Map(store.getRowIds('sections').map((name) => [name, store.getCell('sections', name, 'content') as string]));
      return { sections, close: async () => void (await persister.destroy()) };
    }
    case 'yjs': {
      const doc = new Y.Doc();
      const persistence = new IndexeddbPersistence(db.name, doc);
      await persistence.whenSynced;
      const sections = new Map([...doc.share.keys()].map((name) => [name, doc.getText(name).toString()]));
      return {
        sections,
        close: async () => {
          await persistence.destroy();
          doc.destroy();
        },
      };
    }
    case 'dexie': {
      const d = new Dexie(db.name, { indexedDB: db.idb, IDBKeyRange });
      d.version(1).stores({ sections: 'name', history: '[section+version], agent, timestamp' });
      const rows = await d.table<DexieSection, string>('sections').toArray();
      const history = d.table<DexieHistory, [string, number]>('history');
      const sections = new Map<string, string>();
      for (const row of rows) {
        // The base, then the appends after it, in version order.
        const appends = await history.where('[section+version]').between([row.name, row.baseVersion + 1], [row.name, Infinity]).toArray();
        let content = row.content;
        for (const append of appends) content = appendLine(content, append.text);
        sections.set(row.name, content);
      }
      return { sections, close: async () => d.close() };
    }
  }
}
