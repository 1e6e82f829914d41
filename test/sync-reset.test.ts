/**
 * Issue 12, findings 1, 2 and 10, against the real reference server on loopback (SQLite file), each device a
 * scratchpad with its own storage:
 * - a delete (Reset) on one device reaches every other device, caught up or not; they drop their copy and say so,
 *   and a later edit on them never brings the deleted state back;
 * - a device that joins after a reset or a prune gets the history (five versions, blame, contentAt), not a bare row;
 * - live pokes: a device that never polls sees another device's write through the event stream.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createScratchpad, memoryStorage, type Scratchpad, type StorageAdapter } from '../src/index.js';
import { createServer, hmacAuth, signToken, type ScratchpadServer } from '@scratchpad-store/server';
import { sqliteStore } from '@scratchpad-store/server/sqlite';
import { httpSync } from '../src/sync/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';

const SECRET = 'sync-reset-test-secret-0123456789abcdef';
const token = signToken('alice', SECRET);
const dir = mkdtempSync(join(tmpdir(), 'sp-sync-reset-'));

let server: ScratchpadServer;
let url: string;
beforeAll(async () => {
  server = createServer({ store: sqliteStore({ path: join(dir, 'server.db') }), auth: hmacAuth(SECRET), log: () => undefined });
  ({ url } = await server.listen(0));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

let sessions = 0;
const nextSession = () => `reset-${++sessions}`;

/** A device: its own storage, polling off unless asked, so that only flush() or a poke syncs it. */
function device(sessionId: string, storage: StorageAdapter = memoryStorage(), live = false): Scratchpad {
  return createScratchpad({ sessionId, storage, sync: httpSync({ url, token, pullIntervalMs: 0, live }) });
}

/** What the storage itself holds, read by a scratchpad that does not sync. */
async function stored(sessionId: string, storage: StorageAdapter) {
  const sp = createScratchpad({ sessionId, storage });
  await sp.ready;
  const result = { pads: sp.pads(), history: await sp.history() };
  sp.close();
  return result;
}

const DRAFT = [
  'Title',
  'Title\nIntro paragraph',
  'Title\nIntro paragraph\nBody one',
  'Title v2\nIntro paragraph\nBody one',
  'Title v2\nIntro paragraph\nBody one\nClosing line',
];

async function writeDraft(sp: Scratchpad): Promise<void> {
  const agents = ['planner', 'writer', 'writer', 'editor', 'writer'];
  for (const [i, text] of DRAFT.entries()) await sp.write('doc', 'draft', text, { agent: agents[i]! });
}

describe('deletes and resets reach every device', () => {
  it('a caught-up device learns of a reset, drops its copy (storage included), says so, and its later edit starts afresh', async () => {
    const sessionId = nextSession();
    const aStorage = memoryStorage();
    const bStorage = memoryStorage();
    const a = device(sessionId, aStorage);
    const b = device(sessionId, bStorage);
    await a.write('notes', 'todo', '- buy milk\n- call Bob', { agent: 'alice' });
    await a.write('notes', 'todo', '- call Carol', { mode: 'append', agent: 'alice' });
    await a.write('notes', 'secret', 'the old plan', { agent: 'alice' });
    await a.flush();
    await b.flush();
    expect(b.read('notes', 'todo')).toBe('- buy milk\n- call Bob\n- call Carol');
    expect(b.syncStatus.reset).toBeUndefined();

    await a.deleteSession();
    expect(a.pads()).toEqual([]);

    // B is caught up (its cursor is at the server's end): the next pull still tells it.
    await b.flush();
    expect(b.pads()).toEqual([]);
    expect(b.syncStatus.reset).toMatchObject({ at: expect.any(Number) });
    expect(await stored(sessionId, bStorage)).toEqual({ pads: [], history: [] });

    // B's later edit is a new section on the server, not v3 of the old one, and the old text does not come back.
    await b.write('notes', 'todo', '- new list', { agent: 'bob' });
    await b.flush();
    await a.flush();
    expect(a.read('notes', 'todo')).toBe('- new list');
    expect(a.pads()).toEqual(['notes']);
    expect(a.sections('notes')).toEqual(['todo']);
    expect((await a.history({ pad: 'notes', section: 'todo' })).map((e) => [e.version, e.agent])).toEqual([[1, 'bob']]);
    expect(a.syncStatus.reset).toBeUndefined();
    a.close();
    b.close();
  });

  it('an edit made on the old state before the device heard of the reset is discarded, not resurrected', async () => {
    const sessionId = nextSession();
    const a = device(sessionId);
    const bStorage = memoryStorage();
    const b = device(sessionId, bStorage);
    await a.write('notes', 'todo', 'one\ntwo\nthree', { agent: 'alice' });
    await a.flush();
    await b.flush();
    await a.deleteSession();

    // B has not synced since: it edits the deleted section, then syncs.
    await b.edit('notes', 'todo', { oldText: 'two', newText: 'TWO' }, { agent: 'bob' });
    await b.flush();
    expect(b.pads()).toEqual([]);
    expect(b.syncStatus).toMatchObject({ state: 'idle', pending: 0, reset: { at: expect.any(Number) } });
    expect(await stored(sessionId, bStorage)).toEqual({ pads: [], history: [] });
    const c = device(sessionId);
    await c.flush();
    expect(c.pads()).toEqual([]);

    // B goes on writing normally in the new epoch (mutation ids stay gap-free).
    await b.write('notes', 'fresh', 'after the reset', { agent: 'bob' });
    await b.flush();
    await c.flush();
    expect(c.read('notes', 'fresh')).toBe('after the reset');
    expect(c.pads()).toEqual(['notes']);
    a.close();
    b.close();
    c.close();
  });

  it('a device that was closed during the reset learns of it when it opens again', async () => {
    const sessionId = nextSession();
    const a = device(sessionId);
    const bStorage = memoryStorage();
    const b = device(sessionId, bStorage);
    await a.write('p', 's', 'old');
    await a.flush();
    await b.flush();
    b.close();
    await a.deleteSession();
    const reopened = device(sessionId, bStorage);
    await reopened.ready;
    expect(reopened.read('p', 's')).toBe('old'); // what it had, until it syncs
    await reopened.flush();
    expect(reopened.pads()).toEqual([]);
    expect(reopened.syncStatus.reset).toBeDefined();
    a.close();
    reopened.close();
  });
});

describe('deletes and resets reach IndexedDB too', () => {
  it('B on IndexedDB (fake-indexeddb) drops its database contents on a reset made by A, and keeps them dropped after a reload', async () => {
    const sessionId = nextSession();
    const indexedDB = new IDBFactory();
    const bStorage = () => indexedDbStorage({ name: `reset-${sessionId}`, indexedDB });
    const a = device(sessionId);
    const b = device(sessionId, bStorage());
    await a.write('notes', 'todo', 'secret plan v1', { agent: 'alice' });
    await a.write('notes', 'todo', 'secret plan v2', { agent: 'alice' });
    await a.flush();
    await b.flush();
    expect(b.read('notes', 'todo')).toBe('secret plan v2');
    await a.deleteSession();
    await b.flush();
    expect(b.pads()).toEqual([]);
    b.close();
    // A reload of B: nothing in its database, and nothing comes back from the server either.
    expect(await stored(sessionId, bStorage())).toEqual({ pads: [], history: [] });
    const reloaded = device(sessionId, bStorage());
    await reloaded.flush();
    expect(reloaded.pads()).toEqual([]);
    await reloaded.write('notes', 'todo', 'new plan', { agent: 'bob' });
    await reloaded.flush();
    await a.flush();
    expect(a.read('notes', 'todo')).toBe('new plan');
    expect((await a.history({ pad: 'notes', section: 'todo' })).map((e) => e.version)).toEqual([1]);
    a.close();
    reloaded.close();
  });
});

describe('late devices get the whole history', () => {
  it('a device joining after a reset sees the draft\'s five versions, its blame and every older version', async () => {
    const sessionId = nextSession();
    const a = device(sessionId);
    await a.write('doc', 'draft', 'before the reset', { agent: 'someone' });
    await a.flush();
    await a.deleteSession();
    await writeDraft(a);
    await a.flush();

    const late = device(sessionId);
    await late.flush();
    expect(late.read('doc', 'draft')).toBe(DRAFT[4]);
    const history = await late.history({ pad: 'doc', section: 'draft' });
    expect(history.map((e) => [e.version, e.agent])).toEqual([
      [1, 'planner'],
      [2, 'writer'],
      [3, 'writer'],
      [4, 'editor'],
      [5, 'writer'],
    ]);
    for (let v = 1; v <= 5; v++) expect(await late.contentAt('doc', 'draft', v)).toBe(DRAFT[v - 1]);
    const blame = await late.blame('doc', 'draft');
    expect(blame.map((line) => [line.text, line.version, line.agent])).toEqual([
      ['Title v2', 4, 'editor'],
      ['Intro paragraph', 2, 'writer'],
      ['Body one', 3, 'writer'],
      ['Closing line', 5, 'writer'],
    ]);
    expect((await late.diff('doc', 'draft', 1, 5)).text).toContain('+Closing line');
    a.close();
    late.close();
  });

  it('a device joining after a prune gets the kept history, from the first kept version on', async () => {
    const sessionId = nextSession();
    const a = device(sessionId);
    await writeDraft(a);
    await a.flush();
    // Everything so far is older than the retention age (a clock a day ahead), then two more versions.
    await server.store.prune({ maxAgeMs: 1, now: Date.now() + 86_400_000 });
    await a.write('doc', 'draft', `${DRAFT[4]}\nP.S.`, { agent: 'writer' });
    await a.flush();

    const late = device(sessionId);
    await late.flush();
    const history = await late.history({ pad: 'doc', section: 'draft' });
    // Retention kept version 5 (the current one when it ran) and its entry; 6 came after.
    expect(history.map((e) => e.version)).toEqual([5, 6]);
    expect(await late.contentAt('doc', 'draft', 5)).toBe(DRAFT[4]);
    expect(await late.contentAt('doc', 'draft', 6)).toBe(`${DRAFT[4]}\nP.S.`);
    const blame = await late.blame('doc', 'draft');
    expect(blame.at(-1)).toMatchObject({ text: 'P.S.', version: 6 });
    a.close();
    late.close();
  });
});

describe('live pokes', () => {
  it('a device that never polls sees another device\'s write through the event stream', async () => {
    const sessionId = nextSession();
    const writer = device(sessionId, memoryStorage(), true);
    const reader = device(sessionId, memoryStorage(), true);
    await reader.ready;
    await vi.waitFor(() => expect(reader.syncStatus.live).toBe(true), { timeout: 10_000 });
    await writer.write('p', 's', 'hello from the writer');
    await writer.flush();
    await vi.waitFor(() => expect(reader.read('p', 's')).toBe('hello from the writer'), { timeout: 10_000 });
    // A reset is poked too.
    await writer.deleteSession();
    await vi.waitFor(() => expect(reader.pads()).toEqual([]), { timeout: 10_000 });
    expect(reader.syncStatus.reset).toBeDefined();
    writer.close();
    reader.close();
  });
});
