/**
 * Issue 12, findings 1 and 2 in a real Chromium: two devices (each a scratchpad on an IndexedDB database of its own)
 * synced through the reference server that the browser project's global setup runs on loopback. A Reset on one
 * reaches the other, which drops its copy on disk too and says so; its later edit does not bring the deleted state
 * back; and a device that joins after the reset gets the new draft with its whole history and blame.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createScratchpad, type Scratchpad } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import { httpSync } from '../src/sync/index.js';

const url = inject('syncUrl');
const token = inject('syncToken');
let counter = 0;
const unique = (label: string) => `${label}-${Date.now()}-${++counter}`;

const opened: Scratchpad[] = [];
afterEach(() => {
  for (const sp of opened.splice(0)) sp.close();
});

/** A device: its own database, syncing only when told to (flush), so that the test decides the order of events. */
async function device(sessionId: string, database: string, sync = true): Promise<Scratchpad> {
  const sp = createScratchpad({
    sessionId,
    storage: indexedDbStorage({ name: database }),
    ...(sync ? { sync: httpSync({ url, token, pullIntervalMs: 0, live: false }) } : {}),
  });
  opened.push(sp);
  await sp.ready;
  return sp;
}

describe('a Reset in Chromium', () => {
  it('reaches a caught-up device, which drops its IndexedDB copy, and its later edit does not resurrect anything', async () => {
    const sessionId = unique('reset');
    const databaseB = unique('device-b');
    const a = await device(sessionId, unique('device-a'));
    const b = await device(sessionId, databaseB);
    for (let v = 1; v <= 5; v++) await a.write('brief', 'draft', `draft v${v}\nline two\n`, { agent: 'writer' });
    await a.write('brief', 'notes', 'keep?', { agent: 'planner' });
    await a.flush();
    await b.flush();
    expect(b.read('brief', 'draft')).toBe('draft v5\nline two\n');
    expect(b.syncStatus.reset).toBeUndefined();

    await a.deleteSession();
    await b.flush();
    expect(b.pads()).toEqual([]);
    expect(b.syncStatus.reset).toBeDefined();

    // On disk too: the same database opened without sync holds nothing of the old session.
    b.close();
    const onDisk = await device(sessionId, databaseB, false);
    expect(onDisk.pads()).toEqual([]);
    expect(await onDisk.history()).toEqual([]);
    onDisk.close();

    // B edits after the reset: a new version 1 of what it writes, nothing of the old session with it.
    const b2 = await device(sessionId, databaseB);
    await b2.flush();
    await b2.write('brief', 'draft', 'a fresh start\n', { agent: 'person' });
    await b2.flush();
    const c = await device(sessionId, unique('device-c'));
    await c.flush();
    expect(c.pads()).toEqual(['brief']);
    expect(c.sections('brief')).toEqual(['draft']);
    expect(c.read('brief', 'draft')).toBe('a fresh start\n');
    expect((await c.history({ pad: 'brief', section: 'draft' })).map((e) => e.agent)).toEqual(['person']);
  });

  it('gives a device that joins after the reset the draft with its five versions and its blame', async () => {
    const sessionId = unique('late');
    const a = await device(sessionId, unique('device-a'));
    await a.write('brief', 'draft', 'old\n', { agent: 'writer' });
    await a.flush();
    await a.deleteSession();
    const lines = ['# Brief', 'Costs: low', 'Risks: few', 'Recommendation: go', 'Owner: ops'];
    for (let v = 1; v <= 5; v++) await a.write('brief', 'draft', `${lines.slice(0, v).join('\n')}\n`, { agent: `agent-${v}` });
    await a.flush();

    const late = await device(sessionId, unique('device-late'));
    await late.flush();
    const history = await late.history({ pad: 'brief', section: 'draft', order: 'asc' });
    expect(history.map((e) => [e.version, e.agent])).toEqual([1, 2, 3, 4, 5].map((v) => [v, `agent-${v}`]));
    expect(await late.contentAt('brief', 'draft', 2)).toBe('# Brief\nCosts: low\n');
    expect((await late.blame('brief', 'draft')).map((line) => line.agent)).toEqual(['agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5']);
  });
});
