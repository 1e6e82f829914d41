import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage } from '../src/index.js';

const fresh = async () => {
  let t = 1_000;
  const sp = createScratchpad({ now: () => t++ });
  await sp.ready;
  return sp;
};

describe('write', () => {
  it('creates the pad and section, and reports the diff in the old manager format', async () => {
    const sp = await fresh();
    const first = await sp.write('research', 'findings', 'a\nb\nc\n', { agent: 'researcher' });
    expect(first).toMatchObject({ pad: 'research', section: 'findings', mode: 'replace', version: 1, previousVersion: 0, changed: true, stats: { added: 3, removed: 0 } });
    const appended = await sp.write('research', 'findings', 'new line one\nnew line two', { mode: 'append', agent: 'researcher' });
    expect(appended.message).toBe(
      "Wrote to 'research.findings' (mode: append)\n\n```diff\n@@ -3,0 +4,2 @@\n+new line one\n+new line two\n\\ No newline at end of file\n```",
    );
    expect(appended).toMatchObject({ version: 2, previousVersion: 1, stats: { added: 2, removed: 0 } });
    expect(sp.pads()).toEqual(['research']);
    expect(sp.sections('research')).toEqual(['findings']);
    expect(sp.get('research', 'findings')).toEqual({ content: 'a\nb\nc\nnew line one\nnew line two', version: 2, updatedAt: 1_001, updatedBy: 'researcher' });
  });

  it('keeps the append newline rule: one separator unless empty or already ending in a newline', async () => {
    const sp = await fresh();
    await sp.write('p', 's', 'x', { mode: 'append' });
    expect(sp.read('p', 's')).toBe('x');
    await sp.write('p', 's', 'y', { mode: 'append' });
    expect(sp.read('p', 's')).toBe('x\ny');
    await sp.write('p', 's', '\n', { mode: 'append' });
    expect(sp.read('p', 's')).toBe('x\ny\n\n');
    await sp.write('p', 's', 'z', { mode: 'append' });
    expect(sp.read('p', 's')).toBe('x\ny\n\nz');
    await sp.write('p', 'empty', '', { mode: 'replace' });
    await sp.write('p', 'empty', 'first', { mode: 'append' });
    expect(sp.read('p', 'empty')).toBe('first');
  });

  it('mirrors the rule for prepend', async () => {
    const sp = await fresh();
    await sp.write('p', 's', 'body', { mode: 'prepend' });
    expect(sp.read('p', 's')).toBe('body');
    const r = await sp.write('p', 's', 'title', { mode: 'prepend' });
    expect(sp.read('p', 's')).toBe('title\nbody');
    expect(r.message).toBe("Wrote to 'p.s' (mode: prepend)\n\n```diff\n@@ -0,0 +1,1 @@\n+title\n```");
    await sp.write('p', 's', 'top\n', { mode: 'prepend' });
    expect(sp.read('p', 's')).toBe('top\ntitle\nbody');
  });

  it('treats a write of identical content as a no-op without a new version', async () => {
    const sp = await fresh();
    await sp.write('p', 's', 'same');
    const again = await sp.write('p', 's', 'same');
    expect(again).toMatchObject({ changed: false, version: 1, previousVersion: 1, stats: { added: 0, removed: 0 } });
    expect(again.patch.hunks).toEqual([]);
    expect(await sp.history()).toHaveLength(1);
  });

  it('creates an empty section as version 1', async () => {
    const sp = await fresh();
    const r = await sp.write('p', 'blank', '');
    expect(r).toMatchObject({ changed: true, version: 1 });
    expect(sp.read('p', 'blank')).toBe('');
  });

  it('updates the store synchronously, before the write resolves', async () => {
    const sp = await fresh();
    const pending = sp.write('p', 's', 'now');
    expect(sp.read('p', 's')).toBe('now');
    expect(sp.store.getState().pads.get('p')?.get('s')?.version).toBe(1);
    await pending;
  });

  it('leaves other pads and sections referentially unchanged in the store', async () => {
    const sp = await fresh();
    await sp.write('a', 'one', '1');
    await sp.write('b', 'two', '2');
    const before = sp.store.getState();
    await sp.write('a', 'one', '1b');
    const after = sp.store.getState();
    expect(after.pads.get('b')).toBe(before.pads.get('b'));
    expect(after.pads.get('a')).not.toBe(before.pads.get('a'));
  });

  it('accepts names such as __proto__ and constructor safely', async () => {
    const sp = await fresh();
    await sp.write('__proto__', 'constructor', 'x');
    await sp.write('toString', '__proto__', 'y');
    expect(sp.pads()).toEqual(['__proto__', 'toString']);
    expect(sp.read('__proto__', 'constructor')).toBe('x');
    expect(sp.read('toString', '__proto__')).toBe('y');
    expect(sp.read('constructor', 'prototype')).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(sp.render('__proto__')).toContain('## constructor');
  });
});

describe('edit', () => {
  it('replaces exact, unique text', async () => {
    const sp = await fresh();
    await sp.write('p', 's', 'alpha\nbeta\ngamma\n');
    const r = await sp.edit('p', 's', { oldText: 'beta', newText: 'BETA' }, { agent: 'writer' });
    expect(sp.read('p', 's')).toBe('alpha\nBETA\ngamma\n');
    expect(r.message).toBe("Edited 'p.s'\n\n```diff\n@@ -2,1 +2,1 @@\n-beta\n+BETA\n```");
    expect(sp.get('p', 's')?.updatedBy).toBe('writer');
  });

  it('inserts before a line, and at line count + 1 appends', async () => {
    const sp = await fresh();
    await sp.write('p', 's', 'one\nthree\n');
    await sp.edit('p', 's', { insertAtLine: 2, text: 'two' });
    expect(sp.read('p', 's')).toBe('one\ntwo\nthree\n');
    await sp.edit('p', 's', { insertAtLine: 4, text: 'four' });
    expect(sp.read('p', 's')).toBe('one\ntwo\nthree\nfour');
    await sp.edit('p', 's', { insertAtLine: 1, text: 'zero\n' });
    expect(sp.read('p', 's')).toBe('zero\none\ntwo\nthree\nfour');
  });

  it('deletes and replaces inclusive line ranges', async () => {
    const sp = await fresh();
    await sp.write('p', 's', '1\n2\n3\n4\n5');
    await sp.edit('p', 's', { deleteLines: { from: 2, to: 3 } });
    expect(sp.read('p', 's')).toBe('1\n4\n5');
    await sp.edit('p', 's', { replaceLines: { from: 2, to: 2 }, text: 'four\nfour and a half' });
    expect(sp.read('p', 's')).toBe('1\nfour\nfour and a half\n5');
    await sp.edit('p', 's', { replaceLines: { from: 4, to: 4 }, text: 'five' });
    expect(sp.read('p', 's')).toBe('1\nfour\nfour and a half\nfive');
  });
});

describe('delete', () => {
  it('removes a section but keeps its history queryable, and a re-created section continues the numbering', async () => {
    const sp = await fresh();
    await sp.write('p', 's', 'v1');
    await sp.write('p', 'other', 'keep');
    const del = await sp.delete('p', 's', { agent: 'cleaner' });
    expect(del).toMatchObject({ mode: 'delete', version: 2, changed: true, stats: { removed: 1 } });
    expect(sp.read('p', 's')).toBeUndefined();
    expect(sp.sections('p')).toEqual(['other']);
    expect((await sp.history({ section: 's' })).map((e) => e.op)).toEqual(['write_replace', 'delete']);
    expect(await sp.contentAt('p', 's', 1)).toBe('v1');
    const again = await sp.write('p', 's', 'v3');
    expect(again).toMatchObject({ version: 3, previousVersion: 0 });
  });

  it('deletePad deletes every section of the pad in one commit', async () => {
    const sp = await fresh();
    await sp.write('p', 'a', 'A');
    await sp.write('p', 'b', 'B');
    await sp.write('q', 'c', 'C');
    const results = await sp.deletePad('p', { agent: 'cleaner' });
    expect(results.map((r) => r.section)).toEqual(['a', 'b']);
    expect(sp.pads()).toEqual(['q']);
    expect((await sp.history({ agent: 'cleaner' })).length).toBe(2);
  });
});

describe('reading', () => {
  it('numbers lines for a model, with a range', async () => {
    const sp = await fresh();
    await sp.write('p', 's', 'a\nb\nc\nd\n');
    expect(sp.lines('p', 's')).toBe('  1\ta\n  2\tb\n  3\tc\n  4\td');
    expect(sp.lines('p', 's', { from: 2, to: 3 })).toBe('  2\tb\n  3\tc');
    expect(sp.lines('p', 's', { from: 3, to: 99 })).toBe('  3\tc\n  4\td');
    await sp.write('p', 'empty', '');
    expect(sp.lines('p', 'empty')).toBe('');
    expect(sp.lines('p', 'empty', { from: 1 })).toBe('');
  });

  it('renders pads as markdown in natural section order, without a second heading', async () => {
    const sp = await fresh();
    await sp.write('report', 'notes', 'loose notes');
    await sp.write('report', '10_appendix', 'appendix');
    await sp.write('report', '2_results', 'results');
    await sp.write('report', '1_intro', '# Introduction\n\nHello.\n');
    expect(sp.sections('report')).toEqual(['1_intro', '2_results', '10_appendix', 'notes']);
    expect(sp.render('report')).toBe(
      '# report\n\n# Introduction\n\nHello.\n\n## 2_results\n\nresults\n\n## 10_appendix\n\nappendix\n\n## notes\n\nloose notes\n',
    );
    await sp.write('alpha', 'x', 'y');
    expect(sp.render()).toBe(`${sp.render('alpha')}\n${sp.render('report')}`);
  });

  it('isolates two sessions on one storage', async () => {
    const storage = memoryStorage();
    const alice = createScratchpad({ storage, sessionId: 'alice' });
    const bob = createScratchpad({ storage, sessionId: 'bob' });
    await alice.write('p', 's', 'alice text');
    await bob.write('p', 's', 'bob text');
    await bob.write('bob-only', 's', 'x');
    expect(alice.read('p', 's')).toBe('alice text');
    expect(alice.pads()).toEqual(['p']);
    expect((await alice.history()).every((e) => e.sessionId === 'alice')).toBe(true);
    await bob.deleteSession();
    const aliceAgain = createScratchpad({ storage, sessionId: 'alice' });
    await aliceAgain.ready;
    expect(aliceAgain.read('p', 's')).toBe('alice text');
    const bobAgain = createScratchpad({ storage, sessionId: 'bob' });
    await bobAgain.ready;
    expect(bobAgain.pads()).toEqual([]);
    expect(await bobAgain.history()).toEqual([]);
  });

  it('hydrates a second scratchpad from the same storage, with history', async () => {
    const storage = memoryStorage();
    const one = createScratchpad({ storage });
    await one.write('p', 's', 'a');
    await one.write('p', 's', 'b', { mode: 'append' });
    one.close();
    const two = createScratchpad({ storage });
    // A write before `ready` waits for hydration and lands on top of what was stored.
    const w = two.write('p', 's', 'c', { mode: 'append' });
    await two.ready;
    expect((await w).version).toBe(3);
    expect(two.read('p', 's')).toBe('a\nb\nc');
    expect(await two.contentAt('p', 's', 1)).toBe('a');
  });
});
