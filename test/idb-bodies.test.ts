import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, type Scratchpad, type ScratchpadOptions } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import fc from 'fast-check';
import { countLines, knownLineCount } from '../src/core/lines.js';
import { computePatch } from '../src/core/patch.js';
import type { HistoryEntry, SectionRecord } from '../src/core/types.js';
import { INLINE_LIMIT, MAX_DEFERRED_VERSIONS, headOf, replayHead } from '../src/storage/idb/bodies.js';
import { uniqueName } from './idb-fixtures.js';

// Large sections keep their content in a body row beside a small head (src/storage/idb/bodies.ts). Whatever a
// scratchpad writes, what it reads back after a reopen, its history and its export must be exactly what
// memoryStorage gives for the same calls.

const pads: Scratchpad[] = [];
afterEach(() => {
  for (const sp of pads.splice(0)) sp.close();
});

function open(name: string, factory: IDBFactory, options: ScratchpadOptions = {}): Scratchpad {
  const sp = createScratchpad({ storage: indexedDbStorage({ name, indexedDB: factory }), ...options });
  pads.push(sp);
  return sp;
}

const line = (i: number): string => `line ${String(i).padStart(5, '0')} ${'abcdefghij'.repeat(5)}`;
const APPENDS = Math.ceil(INLINE_LIMIT / line(0).length) + MAX_DEFERRED_VERSIONS + 40;

/** The same calls on an IndexedDB scratchpad and on a memory one, with the same clock. */
async function both(name: string, factory: IDBFactory, run: (sp: Scratchpad) => Promise<void>, options: ScratchpadOptions = {}) {
  let a = 1_000;
  let b = 1_000;
  const idb = open(name, factory, { ...options, now: () => a++ });
  const memory = createScratchpad({ storage: memoryStorage(), ...options, now: () => b++ });
  pads.push(memory);
  await Promise.all([idb.ready, memory.ready]);
  await run(idb);
  await run(memory);
  return { idb, memory };
}

/** Export of one adapter in a form comparable with another's: adapters list sections in their own order. */
async function comparable(sp: Scratchpad) {
  const snapshot = await sp.exportJSON();
  const key = (s: { pad: string; section: string }): string => `${s.pad}\u0000${s.section}`;
  return { ...snapshot, exportedAt: 0, sections: [...snapshot.sections].sort((x, y) => (key(x) < key(y) ? -1 : 1)) };
}

async function rawKeys(name: string, factory: IDBFactory): Promise<IDBValidKey[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise<IDBValidKey[]>((resolve, reject) => {
      const request = db.transaction('sections').objectStore('sections').getAllKeys();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

describe('replayHead', () => {
  const record = (content: string, version: number): SectionRecord => ({
    pad: 'p',
    section: 's',
    content,
    version,
    updatedAt: 0,
    updatedBy: 'a',
    deleted: false,
    chain: { anchorVersion: 0, bytesSinceAnchor: 0, openPrefix: false },
  });
  const change = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), text: fc.string({ maxLength: 12 }), newline: fc.boolean() }),
    fc.record({ kind: fc.constant('edit' as const), at: fc.nat(), remove: fc.nat({ max: 3 }), text: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }) }),
  );

  it('gives the content that the patches since the body lead to, with or without its line count', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8 }), { maxLength: 30 }), fc.boolean(), fc.array(change, { minLength: 1, maxLength: 12 }), (start, final, changes) => {
        const base = start.join('\n') + (final && start.length > 0 ? '\n' : '');
        let content = base;
        const entries: HistoryEntry[] = [];
        for (const c of changes) {
          let next: string;
          if (c.kind === 'append') next = content + (c.newline ? '\n' : '') + c.text;
          else {
            const lines = content.split('\n');
            const at = lines.length === 0 ? 0 : c.at % lines.length;
            lines.splice(at, c.remove, ...c.text);
            next = lines.join('\n');
          }
          if (next === content) continue;
          const { patch } = computePatch(content, next);
          const version = entries.length + 2;
          entries.push({ id: String(version), sessionId: 'x', pad: 'p', section: 's', version, op: 'edit', agent: 'a', timestamp: 0, patch, stats: { added: 0, removed: 0 } });
          content = next;
        }
        const head = headOf(record(content, entries.length + 1), { version: 1, count: entries.length, bytes: 0 });
        const replayed = replayHead(head, { body: 1, content: base, lines: countLines(base) }, entries);
        expect(replayed.content).toBe(content);
        expect(knownLineCount(replayed)).toBe(countLines(content));
        expect(replayHead(head, { body: 1, content: base }, entries).content).toBe(content);
      }),
      { numRuns: 500 },
    );
  });
});

describe('indexedDbStorage: large sections (head and body rows)', () => {
  it(`an append log past ${INLINE_LIMIT} characters reopens with the same content, history and export as memoryStorage`, async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const { idb, memory } = await both(name, factory, async (sp) => {
      await sp.write('notes', 'small', 'stays inline', { agent: 'a' });
      for (let i = 0; i < APPENDS; i++) await sp.write('log', 'events', line(i), { mode: 'append', agent: `agent${i % 3}` });
    });
    const expected = await comparable(memory);
    expect(idb.read('log', 'events')).toBe(memory.read('log', 'events'));
    expect((idb.read('log', 'events') ?? '').length).toBeGreaterThan(INLINE_LIMIT);
    expect(await comparable(idb)).toEqual(expected);
    idb.close();

    const reopened = open(name, factory);
    await reopened.ready;
    expect(reopened.read('log', 'events')).toBe(memory.read('log', 'events'));
    expect(reopened.get('log', 'events')).toEqual(memory.get('log', 'events'));
    expect(await comparable(reopened)).toEqual(expected);
    for (const v of [1, 2, 33, APPENDS - MAX_DEFERRED_VERSIONS, APPENDS - 3, APPENDS - 1, APPENDS]) {
      expect(await reopened.contentAt('log', 'events', v)).toBe(await memory.contentAt('log', 'events', v));
    }
    expect(await reopened.blame('log', 'events')).toEqual(await memory.blame('log', 'events'));
  });

  it('writes a body beside the head, and drops it when the section shrinks back under the limit', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const sp = open(name, factory);
    await sp.ready;
    const big = Array.from({ length: 400 }, (_, i) => line(i)).join('\n');
    await sp.write('p', 's', big);
    await sp.write('p', 's', 'one more line', { mode: 'append' });
    expect((await rawKeys(name, factory)).map((key) => (key as unknown[]).length).sort()).toEqual([3, 4]);
    await sp.write('p', 's', 'small again');
    expect((await rawKeys(name, factory)).map((key) => (key as unknown[]).length)).toEqual([3]);
    sp.close();
    const reopened = open(name, factory);
    await reopened.ready;
    expect(reopened.read('p', 's')).toBe('small again');
    expect(await reopened.contentAt('p', 's', 2)).toBe(`${big}\none more line`);
  });

  it('edits in the middle of a large section, deletes and re-creates it, all through heads', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const { idb, memory } = await both(name, factory, async (sp) => {
      await sp.write('p', 'doc', Array.from({ length: 600 }, (_, i) => line(i)).join('\n'));
      for (let i = 0; i < 300; i++) {
        await sp.edit('p', 'doc', { replaceLines: { from: 1 + ((i * 7) % 600), to: 1 + ((i * 7) % 600) }, text: `edited ${i}` }, { agent: 'editor' });
      }
      await sp.delete('p', 'doc');
      await sp.write('p', 'doc', Array.from({ length: 500 }, (_, i) => line(i + 1000)).join('\n'));
      await sp.write('p', 'doc', 'tail', { mode: 'append' });
    });
    const expected = await comparable(memory);
    idb.close();
    const reopened = open(name, factory);
    await reopened.ready;
    expect(reopened.read('p', 'doc')).toBe(memory.read('p', 'doc'));
    expect(await comparable(reopened)).toEqual(expected);
    for (const v of [1, 150, 301, 302, 303, 304]) expect(await reopened.contentAt('p', 'doc', v)).toBe(await memory.contentAt('p', 'doc', v));
  });

  it('retention that drops the history a head still needs first stores the content again', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const options: ScratchpadOptions = { history: { retain: { maxVersionsPerSection: 5 } } };
    const { idb, memory } = await both(
      name,
      factory,
      async (sp) => {
        for (let i = 0; i < APPENDS; i++) await sp.write('log', 'events', line(i), { mode: 'append' });
        await sp.flush();
      },
      options,
    );
    expect((await idb.history({ pad: 'log', section: 'events' })).length).toBe(5);
    idb.close();
    const reopened = open(name, factory, options);
    await reopened.ready;
    expect(reopened.read('log', 'events')).toBe(memory.read('log', 'events'));
    expect(await reopened.contentAt('log', 'events', APPENDS - 4)).toBe(await memory.contentAt('log', 'events', APPENDS - 4));
  });

  it('two scratchpads on one database append to one large section concurrently, and each follows the other', async () => {
    const name = uniqueName();
    const factory = new IDBFactory();
    const a = open(name, factory);
    const b = open(name, factory);
    await Promise.all([a.ready, b.ready]);
    await a.write('log', 'events', Array.from({ length: 400 }, (_, i) => line(i)).join('\n'));
    const run = async (sp: Scratchpad, agent: string): Promise<void> => {
      for (let i = 0; i < 150; i++) await sp.write('log', 'events', `${agent} ${i}`, { mode: 'append', agent });
    };
    await Promise.all([run(a, 'a'), run(b, 'b')]);
    const check = open(name, factory);
    await check.ready;
    const lines = (check.read('log', 'events') ?? '').split('\n');
    expect(lines).toHaveLength(700);
    expect(new Set(lines.slice(400)).size).toBe(300);
    expect(check.get('log', 'events')?.version).toBe(301);
    await expect.poll(() => a.read('log', 'events')).toBe(check.read('log', 'events'));
    await expect.poll(() => b.read('log', 'events')).toBe(check.read('log', 'events'));
  });
});
