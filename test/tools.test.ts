import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage } from '../src/index.js';
import type { Scratchpad } from '../src/types.js';
import { createTools } from '../src/tools/index.js';

/** Everything the scratchpad holds (sections, history, checkpoints), without the export's own timestamp. */
async function snapshot(sp: Scratchpad) {
  const { exportedAt: _, ...rest } = await sp.exportJSON();
  return rest;
}

async function setup() {
  let clock = Date.UTC(2025, 0, 1);
  const sp = createScratchpad({ storage: memoryStorage(), now: () => (clock += 1000) });
  await sp.ready;
  return sp;
}

/** The lines of the first fenced diff block in a tool answer. */
function fencedLines(text: string): string[] {
  const match = /```diff\n([\s\S]*?)\n```/.exec(text);
  if (match === null) throw new Error(`no diff block in:\n${text}`);
  return match[1]!.split('\n');
}

describe('scratchpad_write', () => {
  it('creates a section and answers with the diff and the new version', async () => {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'researcher' });
    const text = await tools.call('scratchpad_write', { pad: 'research', section: 'findings', content: 'one\ntwo\n' });
    expect(text).toContain("Wrote to 'research.findings' (mode: replace)");
    expect(fencedLines(text)).toEqual(['@@ -0,0 +1,2 @@', '+one', '+two']);
    expect(text).toContain('Now at version 1 (was 0).');
    expect(sp.get('research', 'findings')).toMatchObject({ content: 'one\ntwo\n', version: 1, updatedBy: 'researcher' });
  });

  it('appends and prepends with the one-newline rule', async () => {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'a' });
    await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'middle' });
    const appended = await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'end', mode: 'append' });
    expect(appended).toContain('(mode: append)');
    expect(sp.read('p', 's')).toBe('middle\nend');
    await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'start\n', mode: 'prepend' });
    expect(sp.read('p', 's')).toBe('start\nmiddle\nend');
    await tools.call('scratchpad_write', { pad: 'p', section: 's', content: '\n', mode: 'append' });
    await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'last', mode: 'append' });
    expect(sp.read('p', 's')).toBe('start\nmiddle\nend\n\nlast');
  });

  it('reports a write of identical content as no change, without a new version', async () => {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'a' });
    await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'same' });
    const text = await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'same' });
    expect(text).not.toMatch(/^Error/);
    expect(text).toContain('No change');
    expect(sp.get('p', 's')?.version).toBe(1);
  });

  it('accepts the arguments as JSON text, as OpenAI delivers them', async () => {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'a' });
    const text = await tools.call('scratchpad_write', JSON.stringify({ pad: 'p', section: 's', content: 'x' }));
    expect(text).toContain('Wrote to');
    expect(sp.read('p', 's')).toBe('x');
  });
});

describe('scratchpad_edit', () => {
  async function withSection() {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'editor' });
    await sp.write('doc', 'body', 'alpha\nbeta\ngamma\ndelta\n', { agent: 'author' });
    return { sp, tools };
  }

  it('replaces exact unique text', async () => {
    const { sp, tools } = await withSection();
    const text = await tools.call('scratchpad_edit', { pad: 'doc', section: 'body', old_text: 'beta', new_text: 'BETA' });
    expect(text).toContain("Edited 'doc.body'");
    expect(fencedLines(text)).toEqual(expect.arrayContaining(['-beta', '+BETA']));
    expect(sp.get('doc', 'body')).toMatchObject({ content: 'alpha\nBETA\ngamma\ndelta\n', version: 2, updatedBy: 'editor' });
  });

  it('inserts before a 1-based line, and at line count + 1 at the end', async () => {
    const { sp, tools } = await withSection();
    await tools.call('scratchpad_edit', { pad: 'doc', section: 'body', insert_at_line: 2, text: 'inserted' });
    expect(sp.read('doc', 'body')).toBe('alpha\ninserted\nbeta\ngamma\ndelta\n');
    await tools.call('scratchpad_edit', { pad: 'doc', section: 'body', insert_at_line: 6, text: 'omega' });
    // At the end, the insert follows the append rule: one newline between, none added after.
    expect(sp.read('doc', 'body')).toBe('alpha\ninserted\nbeta\ngamma\ndelta\nomega');
  });

  it('deletes and replaces inclusive line ranges', async () => {
    const { sp, tools } = await withSection();
    await tools.call('scratchpad_edit', { pad: 'doc', section: 'body', delete_lines: { from: 2, to: 3 } });
    expect(sp.read('doc', 'body')).toBe('alpha\ndelta\n');
    const text = await tools.call('scratchpad_edit', { pad: 'doc', section: 'body', replace_lines: { from: 1, to: 1 }, text: 'ALPHA\nALEPH' });
    expect(text).toContain('Now at version 3 (was 2).');
    expect(sp.read('doc', 'body')).toBe('ALPHA\nALEPH\ndelta\n');
  });
});

describe('scratchpad_read', () => {
  it('reads a section with its version and last writer', async () => {
    const sp = await setup();
    await sp.write('notes', 'todo', 'buy milk\ncall bob\n', { agent: 'planner' });
    const tools = createTools(sp, { agent: 'a' });
    const text = await tools.call('scratchpad_read', { pad: 'notes', section: 'todo' });
    expect(text).toContain("'notes.todo', version 1, last written by planner, 2 lines");
    expect(text.endsWith('buy milk\ncall bob\n')).toBe(true);
  });

  it('numbers lines from 1 and shows a line range', async () => {
    const sp = await setup();
    await sp.write('notes', 'todo', 'one\ntwo\nthree\nfour\n');
    const tools = createTools(sp, { agent: 'a' });
    const numbered = await tools.call('scratchpad_read', { pad: 'notes', section: 'todo', line_numbers: true });
    expect(numbered).toContain(sp.lines('notes', 'todo'));
    expect(numbered).toMatch(/^\s*1\tone$/m);
    const range = await tools.call('scratchpad_read', { pad: 'notes', section: 'todo', from: 2, to: 3 });
    expect(range).toContain('lines 2-3 of 4');
    expect(range).toContain(sp.lines('notes', 'todo', { from: 2, to: 3 }));
    expect(range).toMatch(/^\s*2\ttwo$/m);
    expect(range).not.toContain('one');
    expect(range).not.toContain('four');
  });

  it('renders a whole pad when no section is given', async () => {
    const sp = await setup();
    await sp.write('research', '2_results', 'r');
    await sp.write('research', '1_question', 'q');
    const tools = createTools(sp, { agent: 'a' });
    const text = await tools.call('scratchpad_read', { pad: 'research' });
    expect(text).toContain(sp.render('research'));
    expect(text).toContain('1_question v1');
    expect(await tools.call('scratchpad_read', { pad: 'research', line_numbers: false })).toBe(text);
  });
});

describe('scratchpad_list', () => {
  it('lists pads, and a pad\'s sections with version, bytes and last writer', async () => {
    const sp = await setup();
    await sp.write('a', 'x', 'héllo', { agent: 'w1' });
    await sp.write('a', 'x', 'héllo!', { agent: 'w2' });
    await sp.write('b', 'y', '');
    const tools = createTools(sp, { agent: 'me' });
    const pads = await tools.call('scratchpad_list', {});
    expect(pads).toContain('2 pads');
    expect(pads).toContain('- a (1 section)');
    expect(pads).toContain('- b (1 section)');
    const sections = await tools.call('scratchpad_list', { pad: 'a' });
    expect(sections).toMatch(/- x: version 2, 7 bytes, last written by w2 at 2025-/);
  });

  it('says so when there are no pads', async () => {
    const tools = createTools(await setup(), { agent: 'me' });
    expect(await tools.call('scratchpad_list')).toMatch(/^No pads yet/);
  });
});

describe('scratchpad_history', () => {
  it('lists versions newest first, filtered by section and agent, limited', async () => {
    const sp = await setup();
    await sp.write('p', 's', 'one\n', { agent: 'alice' });
    await sp.write('p', 's', 'two\n', { agent: 'bob', mode: 'append' });
    await sp.write('p', 't', 'other\n', { agent: 'alice' });
    const tools = createTools(sp, { agent: 'me' });
    const all = await tools.call('scratchpad_history', {});
    expect(all.indexOf("'p.t' v1")).toBeLessThan(all.indexOf("'p.s' v2"));
    expect(all.indexOf("'p.s' v2")).toBeLessThan(all.indexOf("'p.s' v1"));
    expect(all).toContain("'p.s' v2: append by bob");
    expect(all).toContain('(+1 -0)');
    const bySection = await tools.call('scratchpad_history', { pad: 'p', section: 's' });
    expect(bySection).not.toContain("'p.t'");
    const byAgent = await tools.call('scratchpad_history', { agent: 'bob' });
    expect(byAgent).toContain('(1 entry)');
    const limited = await tools.call('scratchpad_history', { limit: 2 });
    expect(limited).toContain('(2 entries)');
    expect(await tools.call('scratchpad_history', { agent: 'nobody' })).toBe('No history matches.');
  });
});

describe('scratchpad_diff', () => {
  it('diffs two versions and names who made the changes', async () => {
    const sp = await setup();
    await sp.write('p', 's', 'a\nb\nc\n', { agent: 'alice' });
    await sp.write('p', 's', 'a\nB\nc\n', { agent: 'bob' });
    await sp.write('p', 's', 'a\nB\nc\nd\n', { agent: 'carol' });
    const tools = createTools(sp, { agent: 'me' });
    const text = await tools.call('scratchpad_diff', { pad: 'p', section: 's', from_version: 1 });
    expect(text).toContain('from version 1 to version 3');
    expect(text).toContain('bob (v2 replace)');
    expect(text).toContain('carol (v3 replace)');
    expect(fencedLines(text)).toEqual(expect.arrayContaining(['-b', '+B', '+d']));
    const one = await tools.call('scratchpad_diff', { pad: 'p', section: 's', from_version: 1, to_version: 2 });
    expect(one).not.toContain('+d');
    expect(await tools.call('scratchpad_diff', { pad: 'p', section: 's', from_version: 3, to_version: 3 })).toMatch(/^No differences/);
  });
});

describe('scratchpad_revert', () => {
  it('restores an older version as a new version', async () => {
    const sp = await setup();
    await sp.write('p', 's', 'good\n', { agent: 'alice' });
    await sp.write('p', 's', 'bad\n', { agent: 'bob' });
    const tools = createTools(sp, { agent: 'fixer' });
    const text = await tools.call('scratchpad_revert', { pad: 'p', section: 's', to_version: 1 });
    expect(text).toContain("Reverted 'p.s'");
    expect(text).toContain('Now at version 3 (was 2).');
    expect(sp.get('p', 's')).toMatchObject({ content: 'good\n', version: 3, updatedBy: 'fixer' });
  });
});

describe('scratchpad_delete', () => {
  it('deletes a section, then a whole pad, keeping history', async () => {
    const sp = await setup();
    await sp.write('p', 'a', 'A');
    await sp.write('p', 'b', 'B');
    await sp.write('p', 'c', 'C');
    const tools = createTools(sp, { agent: 'cleaner' });
    const one = await tools.call('scratchpad_delete', { pad: 'p', section: 'a' });
    expect(one).toContain("Deleted 'p.a'");
    expect(sp.sections('p')).toEqual(['b', 'c']);
    const pad = await tools.call('scratchpad_delete', { pad: 'p' });
    expect(pad).toBe("Deleted pad 'p' and its 2 sections: b, c.");
    expect(sp.pads()).toEqual([]);
    const history = await sp.history({ pad: 'p', agent: 'cleaner' });
    expect(history.map((e) => e.op)).toEqual(['delete', 'delete', 'delete']);
  });
});

describe('expected_version', () => {
  it('writes when the version matches', async () => {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'a' });
    expect(await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'x', expected_version: 0 })).toContain('Wrote to');
    expect(await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'y', expected_version: 1 })).toContain('Wrote to');
    expect(sp.read('p', 's')).toBe('y');
  });

  it('answers a conflict with the diff since the expected version and its author, and writes nothing', async () => {
    const sp = await setup();
    const me = createTools(sp, { agent: 'researcher' });
    await me.call('scratchpad_write', { pad: 'r', section: 'findings', content: 'fact one\n' });
    await sp.write('r', 'findings', 'fact one\nfact two by the writer\n', { agent: 'writer' });
    const before = await snapshot(sp);

    const text = await me.call('scratchpad_write', { pad: 'r', section: 'findings', content: 'my rewrite\n', expected_version: 1 });
    expect(text).toMatch(/^Error: conflict on 'r\.findings'/);
    expect(text).toContain('expected_version 1');
    expect(text).toContain('at version 2');
    expect(text).toContain('writer (v2 replace)');
    expect(fencedLines(text)).toContain('+fact two by the writer');
    expect(text).toContain('pass expected_version 2');
    expect(await snapshot(sp)).toEqual(before);

    // Redone on top, with the version the conflict named.
    const retry = await me.call('scratchpad_edit', { pad: 'r', section: 'findings', old_text: 'fact one', new_text: 'fact 1', expected_version: 2 });
    expect(retry).toContain("Edited 'r.findings'");
    expect(sp.read('r', 'findings')).toBe('fact 1\nfact two by the writer\n');
  });

  it('protects edits and reverts too', async () => {
    const sp = await setup();
    await sp.write('p', 's', 'v1\n', { agent: 'x' });
    await sp.write('p', 's', 'v2\n', { agent: 'y' });
    const tools = createTools(sp, { agent: 'me' });
    const edit = await tools.call('scratchpad_edit', { pad: 'p', section: 's', old_text: 'v2', new_text: 'mine', expected_version: 1 });
    expect(edit).toMatch(/^Error: conflict/);
    expect(edit).toContain('y (v2 replace)');
    const revert = await tools.call('scratchpad_revert', { pad: 'p', section: 's', to_version: 1, expected_version: 1 });
    expect(revert).toMatch(/^Error: conflict/);
    expect(sp.get('p', 's')?.version).toBe(2);
  });

  it('explains an expected_version from the future or for a section that does not exist', async () => {
    const sp = await setup();
    await sp.write('p', 's', 'x');
    const tools = createTools(sp, { agent: 'me' });
    expect(await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'y', expected_version: 7 })).toContain('Version 7 does not exist yet');
    expect(await tools.call('scratchpad_write', { pad: 'p', section: 'new', content: 'y', expected_version: 3 })).toContain('does not exist now');
    expect(sp.read('p', 's')).toBe('x');
    expect(sp.read('p', 'new')).toBeUndefined();
  });

  it('caps the conflict diff', async () => {
    const sp = await setup();
    await sp.write('p', 's', 'start\n', { agent: 'me' });
    await sp.write('p', 's', Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n'), { agent: 'other' });
    const tools = createTools(sp, { agent: 'me', maxDiffLines: 5 });
    const text = await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'mine', expected_version: 1 });
    const lines = fencedLines(text);
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatch(/^\.\.\. \(\d+ more diff lines not shown\)$/);
  });
});

describe('scratchpad_changes', () => {
  it("shows another agent's change with its author, then nothing on the second call", async () => {
    const sp = await setup();
    const me = createTools(sp, { agent: 'reviewer' });
    const other = createTools(sp, { agent: 'writer' });
    await other.call('scratchpad_write', { pad: 'draft', section: 'intro', content: 'Hello\n' });

    const first = await me.call('scratchpad_changes', {});
    expect(first).toContain("'draft.intro' (now version 1)");
    expect(first).toContain('by writer (v1 replace)');
    expect(fencedLines(first)).toContain('+Hello');
    expect(await me.call('scratchpad_changes', {})).toBe('No changes by other agents since your last read.');

    await other.call('scratchpad_write', { pad: 'draft', section: 'intro', content: 'World', mode: 'append' });
    const second = await me.call('scratchpad_changes');
    expect(second).toContain('Version 2 by writer (v2 append)');
    expect(fencedLines(second)).toContain('+World');
    expect(fencedLines(second)).not.toContain('+Hello');
    expect(await me.call('scratchpad_changes')).toBe('No changes by other agents since your last read.');
  });

  it("never reports the agent's own changes, and counts reads and writes as seen", async () => {
    const sp = await setup();
    const me = createTools(sp, { agent: 'me' });
    await me.call('scratchpad_write', { pad: 'p', section: 'mine', content: 'mine' });
    await sp.write('p', 'theirs', 'theirs', { agent: 'them' });
    await me.call('scratchpad_read', { pad: 'p', section: 'theirs' });
    expect(await me.call('scratchpad_changes')).toBe('No changes by other agents since your last read.');

    // Their change, then mine on top: only theirs is reported, as its own diff.
    await sp.write('p', 'theirs', 'theirs\nmore', { agent: 'them' });
    await me.call('scratchpad_write', { pad: 'p', section: 'theirs', content: 'end', mode: 'append' });
    const text = await me.call('scratchpad_changes');
    expect(text).toContain('Version 2 by them (v2 replace)');
    expect(text).not.toContain('v3');
    expect(fencedLines(text)).toContain('+more');
    expect(fencedLines(text)).not.toContain('+end');
  });

  it('reports at most 20 sections per call and keeps the rest for the next call', async () => {
    const sp = await setup();
    for (let i = 1; i <= 25; i++) await sp.write('busy', `s${i}`, `text ${i}`, { agent: 'them' });
    const me = createTools(sp, { agent: 'me' });
    const first = await me.call('scratchpad_changes');
    expect(first.match(/^'busy\.s\d+' \(now version 1\):$/gm)).toHaveLength(20);
    expect(first).toContain('5 more changed sections not shown: call scratchpad_changes again to see them.');
    const second = await me.call('scratchpad_changes');
    expect(second.match(/^'busy\.s\d+' \(now version 1\):$/gm)).toHaveLength(5);
    expect(second).not.toContain('more changed');
    expect(await me.call('scratchpad_changes')).toBe('No changes by other agents since your last read.');
  });

  it('reports sections deleted by others', async () => {
    const sp = await setup();
    await sp.write('p', 's', 'keep me\n', { agent: 'them' });
    const me = createTools(sp, { agent: 'me' });
    await me.call('scratchpad_read', { pad: 'p', section: 's' });
    await sp.delete('p', 's', { agent: 'them' });
    const text = await me.call('scratchpad_changes');
    expect(text).toContain("'p.s' (now deleted)");
    expect(text).toContain('by them (v2 delete)');
    expect(await me.call('scratchpad_changes')).toBe('No changes by other agents since your last read.');
  });
});

describe('diff capping', () => {
  const big = Array.from({ length: 200 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

  it('caps write diffs at 50 lines by default and says how many were cut', async () => {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'a' });
    const text = await tools.call('scratchpad_write', { pad: 'p', section: 's', content: big });
    const lines = fencedLines(text);
    // One hunk header and 200 added lines: 50 shown, 151 cut.
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe('@@ -0,0 +1,200 @@');
    expect(lines[49]).toBe('+line 49');
    expect(lines[50]).toBe('... (151 more diff lines not shown)');
    expect(sp.read('p', 's')).toBe(big);
  });

  it('honours maxDiffLines in diffs and changes, and leaves short diffs alone', async () => {
    const sp = await setup();
    await sp.write('p', 's', big, { agent: 'other' });
    const tools = createTools(sp, { agent: 'a', maxDiffLines: 10 });
    const diff = fencedLines(await tools.call('scratchpad_diff', { pad: 'p', section: 's', from_version: 0 }));
    expect(diff).toHaveLength(11);
    expect(diff[10]).toBe('... (191 more diff lines not shown)');
    const changes = fencedLines(await tools.call('scratchpad_changes'));
    expect(changes[10]).toBe('... (191 more diff lines not shown)');
    const small = fencedLines(await tools.call('scratchpad_edit', { pad: 'p', section: 's', old_text: 'line 7\n', new_text: 'seven\n' }));
    expect(small).toEqual(['@@ -7,1 +7,1 @@', '-line 7', '+seven']);
  });
});

describe('run', () => {
  it('flags errors separately from the text', async () => {
    const sp = await setup();
    const tools = createTools(sp, { agent: 'a' });
    expect(await tools.run('scratchpad_list', {})).toEqual({ text: expect.stringMatching(/^No pads/), isError: false });
    const failed = await tools.run('scratchpad_read', { pad: 'nope' });
    expect(failed.isError).toBe(true);
    expect(failed.text).toMatch(/^Error: Pad 'nope' does not exist/);
  });
});
