import { describe, expect, it } from 'vitest';
import { NO_NEWLINE } from '../src/core/patch.js';
import type { HistoryEntry, ScratchpadSnapshot } from '../src/core/types.js';
import { createScratchpad, memoryStorage, type Scratchpad } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import { SCHEMA_VERSION } from '../src/storage/idb/schema.js';
import { uniqueName } from './idb-fixtures.js';

// Databases written by earlier releases, in real Chromium IndexedDB: schema version 1 (whole entries in `history`) and
// the current schema with entries packed one item per patch line, anchored by a full snapshot every 32 versions (the
// format before history went by bytes and hunks were joined). Both must open, rebuild every version, and take writes.

/** A seeded history of mixed work on two sections: replaces, appends (unterminated lines too), edits, a delete. */
async function history(): Promise<{ source: Scratchpad; snapshot: ScratchpadSnapshot }> {
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let clock = 1_000;
  const source = createScratchpad({ sessionId: 's1', storage: memoryStorage(), history: { checkpointEvery: 32 }, now: () => clock++ });
  for (let i = 0; i < 160; i++) {
    const section = rand() < 0.6 ? 'notes' : 'log';
    const r = rand();
    const current = source.read('p', section);
    if (current === undefined || current === '' || r < 0.15) await source.write('p', section, `rewrite ${i}\nsecond line ${i}\n`, { agent: 'writer' });
    else if (r < 0.55) await source.write('p', section, `appended ${i}${rand() < 0.5 ? '\n' : ''}`, { mode: 'append', agent: 'researcher' });
    else if (r < 0.95) {
      const pieces = current.split('\n').length;
      const lines = current.endsWith('\n') ? pieces - 1 : pieces;
      const n = 1 + Math.floor(rand() * lines);
      await source.edit('p', section, { replaceLines: { from: n, to: n }, text: `edited ${i}` }, { agent: 'reviewer' });
    } else await source.delete('p', section, { agent: 'reviewer' });
  }
  return { source, snapshot: await source.exportJSON() };
}

/** How entries were packed before hunks were joined: one item per line, 1 when a hunk starts by re-terminating. */
function packOld(entry: HistoryEntry): Record<string, unknown> {
  const codes = { write_replace: 'r', write_append: 'a', write_prepend: 'p', edit: 'e', revert: 'v', delete: 'd' } as const;
  const hunks = entry.patch.hunks.map((h) => {
    const lines = h.lines.map((line) => (line === NO_NEWLINE ? '\\' : line));
    const [removed, marker, added] = lines;
    const reterminated = removed?.startsWith('-') && marker === '\\' && added?.startsWith('+') && removed.slice(1) === added.slice(1);
    return reterminated ? [h.oldStart, h.oldLines, h.newStart, h.newLines, 1, ...lines.slice(2)] : [h.oldStart, h.oldLines, h.newStart, h.newLines, ...lines];
  });
  return { s: entry.sessionId, v: entry.version, o: codes[entry.op], a: entry.agent, t: entry.timestamp, h: hunks };
}

function done(request: IDBRequest | IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    if (request instanceof IDBTransaction) {
      request.oncomplete = () => resolve();
      request.onerror = () => reject(request.error);
    } else {
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    }
  });
}

async function rawDatabase(name: string, version: number, create: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  const request = indexedDB.open(name, version);
  request.onupgradeneeded = () => create(request.result);
  await done(request);
  return request.result;
}

async function writeVersion1(name: string, snapshot: ScratchpadSnapshot): Promise<void> {
  const db = await rawDatabase(name, 1, (d) => {
    d.createObjectStore('sections');
    d.createObjectStore('history', { keyPath: ['sessionId', 'pad', 'section', 'version'] }).createIndex('bySessionTime', ['sessionId', 'timestamp']);
    d.createObjectStore('snapshots');
  });
  const tx = db.transaction(['sections', 'history', 'snapshots'], 'readwrite');
  for (const record of snapshot.sections) tx.objectStore('sections').put(record, ['s1', record.pad, record.section]);
  for (const entry of snapshot.history) tx.objectStore('history').put(entry);
  for (const anchor of snapshot.snapshots) tx.objectStore('snapshots').put(anchor, ['s1', anchor.pad, anchor.section, anchor.version]);
  await done(tx);
  db.close();
}

async function writeOldPacking(name: string, snapshot: ScratchpadSnapshot): Promise<void> {
  const db = await rawDatabase(name, SCHEMA_VERSION, (d) => {
    d.createObjectStore('sections');
    d.createObjectStore('snapshots').createIndex('full', 'fullKey');
    const entries = d.createObjectStore('entries');
    entries.createIndex('bySessionTime', ['s', 't']);
    entries.createIndex('bySessionAgentTime', ['s', 'a', 't']);
    const outbox = d.createObjectStore('outbox', { autoIncrement: true });
    outbox.createIndex('bySession', 's');
    outbox.createIndex('byClient', ['s', 'clientId', 'mutationId'], { unique: true });
    d.createObjectStore('meta');
  });
  const tx = db.transaction(['sections', 'entries', 'snapshots'], 'readwrite');
  for (const record of snapshot.sections) tx.objectStore('sections').put(record, ['s1', record.pad, record.section]);
  for (const entry of snapshot.history) tx.objectStore('entries').put(packOld(entry), ['s1', entry.pad, entry.section, entry.version]);
  for (const anchor of snapshot.snapshots) {
    const key = ['s1', anchor.pad, anchor.section, anchor.version];
    tx.objectStore('snapshots').put(anchor.content === undefined ? anchor : { ...anchor, fullKey: key }, key);
  }
  await done(tx);
  db.close();
}

async function expectSameHistory(opened: Scratchpad, source: Scratchpad): Promise<void> {
  expect(await opened.history({})).toEqual(await source.history({}));
  for (const section of ['notes', 'log']) {
    const [last] = await source.history({ pad: 'p', section, order: 'desc', limit: 1 });
    for (let v = 1; v <= last!.version; v++) expect(await opened.contentAt('p', section, v)).toBe(await source.contentAt('p', section, v));
    expect(await opened.blame('p', section).catch(() => 'deleted')).toEqual(await source.blame('p', section).catch(() => 'deleted'));
  }
}

describe('IndexedDB databases written by earlier releases (Chromium)', () => {
  for (const [label, write] of [
    ['schema version 1 (whole entries)', writeVersion1],
    ['entries packed one item per line, a snapshot every 32 versions', writeOldPacking],
  ] as const) {
    it(`opens ${label}, rebuilds every version and takes new writes`, async () => {
      const { source, snapshot } = await history();
      expect(snapshot.history.length).toBeGreaterThan(150);
      const name = uniqueName('old-format');
      await write(name, snapshot);
      const sp = createScratchpad({ sessionId: 's1', storage: indexedDbStorage({ name }) });
      await sp.ready;
      expect(sp.read('p', 'notes')).toBe(source.read('p', 'notes'));
      await expectSameHistory(sp, source);
      // New writes on top of the old history, in today's format, rebuild alongside it.
      for (let i = 0; i < 40; i++) {
        await sp.write('p', 'notes', `after ${i}\n`, { mode: 'append', agent: 'writer' });
        await source.write('p', 'notes', `after ${i}\n`, { mode: 'append', agent: 'writer' });
      }
      await sp.edit('p', 'notes', { replaceLines: { from: 1, to: 1 }, text: 'first line replaced' });
      await source.edit('p', 'notes', { replaceLines: { from: 1, to: 1 }, text: 'first line replaced' });
      expect((await sp.history({})).map((e) => e.version)).toEqual((await source.history({})).map((e) => e.version));
      for (let v = 1; v <= sp.get('p', 'notes')!.version; v++) expect(await sp.contentAt('p', 'notes', v)).toBe(await source.contentAt('p', 'notes', v));
      sp.close();
      source.close();
    });
  }
});
