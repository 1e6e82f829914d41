import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, ScratchpadError, type Scratchpad, type SessionStorage, type StorageAdapter } from '../src/index.js';

/** Everything observable about a scratchpad: its store, and what storage holds (sections, history, anchors). */
async function observe(sp: Scratchpad) {
  const pads = [...sp.store.getState().pads].map(([pad, sections]) => [pad, [...sections]]);
  const { exportedAt: _, ...stored } = await sp.exportJSON();
  return JSON.stringify({ pads, stored });
}

async function seeded(storage?: StorageAdapter) {
  let t = 0;
  const sp = createScratchpad({ now: () => ++t, limits: { maxSectionBytes: 64, maxNameLength: 16 }, ...(storage ? { storage } : {}) });
  await sp.write('p', 's', 'one\ntwo\ntwo\n', { agent: 'seed' });
  await sp.write('p', 't', 'other');
  return sp;
}

async function expectUnchanged(sp: Scratchpad, code: string, action: () => Promise<unknown> | unknown) {
  const before = await observe(sp);
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ScratchpadError);
  expect((caught as ScratchpadError).code).toBe(code);
  expect((caught as ScratchpadError).message.length).toBeGreaterThan(10);
  expect(await observe(sp)).toBe(before);
}

describe('every bad input gets a typed error and changes nothing', () => {
  it('INVALID_NAME: empty, too long, control characters, not a string', async () => {
    const sp = await seeded();
    for (const bad of ['', 'x'.repeat(17), 'tab\there', 'nul\u0000', 'line\nbreak', 'del\u007f', 42, null, undefined, {}]) {
      await expectUnchanged(sp, 'INVALID_NAME', () => sp.write(bad as string, 's', 'x'));
      await expectUnchanged(sp, 'INVALID_NAME', () => sp.write('p', bad as string, 'x'));
    }
    await expectUnchanged(sp, 'INVALID_NAME', () => sp.write('p', 's', 'x', { agent: 'bad\nagent' }));
    await expectUnchanged(sp, 'INVALID_NAME', () => sp.read('', 's'));
  });

  it('INVALID_ARGUMENT: content not a string, unknown mode, bad versions and edits, bad queries', async () => {
    const sp = await seeded();
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.write('p', 's', 42 as unknown as string));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.write('p', 's', 'x', { mode: 'upsert' as 'replace' }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.write('p', 's', 'x', { expectedVersion: -1 }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.write('p', 's', 'x', { expectedVersion: 1.5 }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.edit('p', 's', { oldText: 'two', newText: '2' }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.edit('p', 's', { oldText: '', newText: '2' }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.edit('p', 's', { insertAtLine: 0, text: 'x' }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.edit('p', 's', { insertAtLine: 5, text: 'x' }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.edit('p', 's', { deleteLines: { from: 3, to: 2 } }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.edit('p', 's', { replaceLines: { from: 1, to: 9 }, text: 'x' }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.edit('p', 's', { insertAtLine: 1, text: 'x', deleteLines: { from: 1, to: 1 } } as never));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.contentAt('p', 's', 0));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.history({ limit: 0 }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.history({ order: 'sideways' as 'asc' }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.lines('p', 's', { from: 3, to: 1 }));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.importJSON({ format: 'nope' } as never));
  });

  it('NOT_FOUND: missing sections, pads, versions and edit text', async () => {
    const sp = await seeded();
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.edit('p', 'missing', { insertAtLine: 1, text: 'x' }));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.edit('p', 's', { oldText: 'three', newText: '3' }));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.delete('p', 'missing'));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.deletePad('missing'));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.contentAt('p', 's', 2));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.diff('p', 's', 1, 7));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.revert('p', 's', 9));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.blame('p', 'missing'));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.lines('p', 'missing'));
    await expectUnchanged(sp, 'NOT_FOUND', () => sp.render('missing'));
  });

  it('CONFLICT: expectedVersion mismatch, with both versions in the details', async () => {
    const sp = await seeded();
    await expectUnchanged(sp, 'CONFLICT', () => sp.write('p', 's', 'x', { expectedVersion: 0 }));
    await expectUnchanged(sp, 'CONFLICT', () => sp.edit('p', 's', { insertAtLine: 1, text: 'x' }, { expectedVersion: 2 }));
    await expectUnchanged(sp, 'CONFLICT', () => sp.delete('p', 's', { expectedVersion: 3 }));
    const error = await sp.write('p', 's', 'x', { expectedVersion: 5 }).catch((e: ScratchpadError) => e);
    expect(error).toMatchObject({ code: 'CONFLICT', details: { pad: 'p', section: 's', expectedVersion: 5, actualVersion: 1 } });
    await expect(sp.write('p', 'new', 'x', { expectedVersion: 0 })).resolves.toMatchObject({ version: 1 });
    await expect(sp.write('p', 's', 'y', { expectedVersion: 1 })).resolves.toMatchObject({ version: 2 });
  });

  it('TOO_LARGE: content over maxSectionBytes, counted in UTF-8, by replace and by append', async () => {
    const sp = await seeded();
    await expectUnchanged(sp, 'TOO_LARGE', () => sp.write('p', 's', 'x'.repeat(65)));
    await expectUnchanged(sp, 'TOO_LARGE', () => sp.write('p', 's', '€'.repeat(22)));
    await expectUnchanged(sp, 'TOO_LARGE', () => sp.write('p', 's', 'y'.repeat(60), { mode: 'append' }));
    await expect(sp.write('p', 'u', '€'.repeat(21))).resolves.toMatchObject({ version: 1 });
  });

  it('QUOTA_EXCEEDED: storage full rolls the store back and the scratchpad keeps working', async () => {
    const sp = await seeded(memoryStorage({ maxBytes: 4_000 }));
    const before = await observe(sp);
    const big = 'z'.repeat(60);
    const writes = Array.from({ length: 40 }, (_, i) => sp.write('p', `s${i}`, big));
    // The store shows the writes at once…
    expect(sp.read('p', 's0')).toBe(big);
    const outcomes = await Promise.allSettled(writes);
    // …and when the batch they share does not fit, all of them fail and the store is rolled back.
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as ScratchpadError).code === 'QUOTA_EXCEEDED')).toBe(true);
    expect(await observe(sp)).toBe(before);
    await expect(sp.write('p', 's', 'still works')).resolves.toMatchObject({ version: 2 });
  });

  it('STORAGE_UNAVAILABLE: a storage that fails to open or to commit', async () => {
    const refusing: StorageAdapter = {
      name: 'refusing',
      open: () => Promise.reject(new Error('disk on fire')),
    };
    const sp = createScratchpad({ storage: refusing });
    await expect(sp.ready).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    await expect(sp.write('p', 's', 'x')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(sp.pads()).toEqual([]);

    // A database lost mid-session: commits throw a plain error, which surfaces as STORAGE_UNAVAILABLE.
    const inner = memoryStorage();
    let lost = false;
    const losing: StorageAdapter = {
      name: 'losing',
      async open(sessionId) {
        const session = await inner.open(sessionId);
        const wrapped: SessionStorage = {
          ...session,
          commit: (batch) => (lost ? Promise.reject(new DOMException('The database connection is closing.', 'InvalidStateError')) : session.commit(batch)),
        };
        return wrapped;
      },
    };
    const sp2 = await seeded(losing);
    lost = true;
    const before = await observe(sp2);
    await expect(sp2.write('p', 's', 'lost?')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(await observe(sp2)).toBe(before);
    lost = false;
    await expect(sp2.write('p', 's', 'back')).resolves.toMatchObject({ version: 2 });
  });

  it('CLOSED: every call after close()', async () => {
    const sp = await seeded();
    sp.close();
    expect(() => sp.read('p', 's')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(() => sp.pads()).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await expect(sp.write('p', 's', 'x')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(sp.history()).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(sp.flush()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('conflicting writers on one storage', () => {
  it('a stale scratchpad rebases: appends re-apply on top, replaces land as a new version, nothing is lost', async () => {
    const storage = memoryStorage();
    const tab1 = createScratchpad({ storage });
    const tab2 = createScratchpad({ storage });
    await Promise.all([tab1.ready, tab2.ready]);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      writes.push(tab1.write('log', 'lines', `tab1 ${i}`, { mode: 'append', agent: 'tab1' }));
      writes.push(tab2.write('log', 'lines', `tab2 ${i}`, { mode: 'append', agent: 'tab2' }));
    }
    await Promise.all(writes);
    await tab1.flush();
    await tab2.flush();
    const fresh = createScratchpad({ storage });
    await fresh.ready;
    const lines = fresh.read('log', 'lines')!.split('\n');
    expect(lines).toHaveLength(200);
    expect(new Set(lines).size).toBe(200);
    expect(fresh.get('log', 'lines')?.version).toBe(200);
    const history = await fresh.history({ pad: 'log', section: 'lines' });
    expect(history.map((e) => e.version)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // Each tab's lines keep their own order.
    for (const tab of ['tab1', 'tab2']) {
      const mine = lines.filter((l) => l.startsWith(tab));
      expect(mine).toEqual(Array.from({ length: 100 }, (_, i) => `${tab} ${i}`));
    }
    // The other tab saw the final state through the storage's change notifications.
    await new Promise((r) => setTimeout(r, 10));
    expect(tab1.read('log', 'lines')).toBe(fresh.read('log', 'lines'));

    await tab2.write('log', 'lines', 'replaced by tab2');
    await expect(tab1.write('log', 'lines', 'replaced by tab1', { expectedVersion: 200 })).rejects.toMatchObject({ code: 'CONFLICT' });
    await tab1.write('log', 'lines', 'replaced by tab1');
    expect(await fresh.contentAt('log', 'lines', 201)).toBe('replaced by tab2');
    expect(await fresh.contentAt('log', 'lines', 202)).toBe('replaced by tab1');
  });
});

describe('export and import', () => {
  it('round-trips a session, history included, and refuses a tampered snapshot without changing anything', async () => {
    const sp = await seeded();
    await sp.write('p', 's', 'appended', { mode: 'append' });
    await sp.delete('p', 't');
    const snapshot = await sp.exportJSON();
    const copy = createScratchpad({ sessionId: 'copy' });
    await copy.importJSON(JSON.parse(JSON.stringify(snapshot)));
    expect(copy.render()).toBe(sp.render());
    expect(await copy.contentAt('p', 's', 1)).toBe('one\ntwo\ntwo\n');
    expect((await copy.history()).map((e) => [e.pad, e.section, e.version, e.op, e.sessionId])).toEqual(
      (await sp.history()).map((e) => [e.pad, e.section, e.version, e.op, 'copy']),
    );
    const tampered = JSON.parse(JSON.stringify(snapshot));
    tampered.sections[0].content = 'not what history says';
    const target = createScratchpad();
    await expectUnchanged(target, 'INVALID_ARGUMENT', () => target.importJSON(tampered));
    await expectUnchanged(sp, 'INVALID_ARGUMENT', () => sp.importJSON(snapshot));
  });
});
