import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, ScratchpadError } from '../src/index.js';
import { createTools } from '../src/tools/index.js';
import type { Scratchpad } from '../src/types.js';

/** Everything the scratchpad holds (sections, history, checkpoints), without the export's own timestamp. */
async function snapshot(sp: Scratchpad) {
  const { exportedAt: _, ...rest } = await sp.exportJSON();
  return rest;
}

async function seeded() {
  let clock = Date.UTC(2025, 0, 1);
  const sp = createScratchpad({ storage: memoryStorage(), now: () => (clock += 1000) });
  await sp.ready;
  await sp.write('notes', 'todo', 'one\ntwo\nthree\ntwo\n', { agent: 'seed' });
  await sp.write('notes', 'done', 'nothing yet', { agent: 'seed' });
  await sp.write('other', 'x', 'x', { agent: 'seed' });
  return sp;
}

/** Every bad call: the answer must start with `Error: `, mention the problem, and leave everything as it was. */
const BAD_CALLS: ReadonlyArray<readonly [string, unknown, RegExp]> = [
  ['scratchpad_nope', {}, /there is no tool 'scratchpad_nope'\. Available tools: scratchpad_read/],
  ['scratchpad_write', 42, /must be a JSON object, got number/],
  ['scratchpad_write', null, /must be a JSON object, got null/],
  ['scratchpad_write', [], /must be a JSON object, got an array/],
  ['scratchpad_write', '{not json', /not valid JSON/],
  ['scratchpad_write', { pad: 'notes', section: 'todo' }, /missing required argument 'content'/],
  ['scratchpad_write', { pad: 'notes', section: 'todo', content: 5 }, /'content' must be a string, got 5/],
  ['scratchpad_write', { pad: 'notes', section: 'todo', content: 'x', mode: 'overwrite' }, /'mode' must be one of "replace", "append", "prepend", got "overwrite"/],
  ['scratchpad_write', { pad: 'notes', sectoin: 'todo', content: 'x' }, /unknown argument 'sectoin' \(did you mean 'section'\?\)/],
  ['scratchpad_write', { pad: '', section: 'todo', content: 'x' }, /'pad' must not be empty/],
  ['scratchpad_write', { pad: 'notes', section: 'todo', content: 'x', expected_version: -1 }, /'expected_version' must be at least 0/],
  ['scratchpad_write', { pad: 'notes', section: 'todo', content: 'x', expected_version: 1.5 }, /'expected_version' must be a whole number/],
  ['scratchpad_write', { pad: 'notes', section: 'todo', content: 'x', expected_version: '1' }, /'expected_version' must be a whole number, got the string "1"/],
  // null stands for an omitted optional argument (strict function calling sends one); for a required one it is an error.
  ['scratchpad_write', { pad: 'notes', section: null, content: 'x', expected_version: null }, /'section' must be a string, got null/],
  ['scratchpad_write', JSON.parse('{"pad":"notes","section":"todo","content":"x","__proto__":{"y":1}}'), /unknown argument '__proto__'/],
  ['scratchpad_write', { pad: 'bad\u0001name', section: 'todo', content: 'x' }, /^Error: /],
  // Unpaired surrogates: a typed INVALID_NAME the model can fix, not "the scratchpad failed unexpectedly".
  ['scratchpad_write', { pad: 'p\ud800', section: 'todo', content: 'x' }, /^Error: The pad name .* unpaired surrogate U\+D800.*without control characters or unpaired surrogates/],
  ['scratchpad_write', { pad: 'notes', section: '\udc00todo', content: 'x' }, /^Error: The section name .* unpaired surrogate U\+DC00/],
  ['scratchpad_write', { pad: 'notes', section: 'todo', content: 'x', expected_version: 0 }, /conflict on 'notes\.todo'/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo' }, /needs one operation: old_text \+ new_text, insert_at_line \+ text, delete_lines, or replace_lines \+ text/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', old_text: 'one', new_text: 'x', delete_lines: { from: 1, to: 1 } }, /exactly one operation per call, got old_text and delete_lines/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', old_text: 'one' }, /'old_text' needs 'new_text'/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', insert_at_line: 1, new_text: 'x' }, /'new_text' goes with 'old_text'/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', old_text: 'one', new_text: 'x', text: 'y' }, /'text' goes with 'insert_at_line' or 'replace_lines'/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', insert_at_line: 2 }, /'insert_at_line' needs 'text'/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', insert_at_line: 0, text: 'x' }, /'insert_at_line' must be at least 1/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', delete_lines: { from: 3, to: 2 } }, /'delete_lines\.from' \(3\) must not be greater than 'delete_lines\.to' \(2\)/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', delete_lines: { from: 1 } }, /missing required argument 'delete_lines\.to'/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', delete_lines: { from: 1, to: 1, step: 1 } }, /unknown argument 'delete_lines\.step'/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', delete_lines: [1, 2] }, /'delete_lines' must be a JSON object, got an array/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', replace_lines: { from: 1, to: 2 } }, /'replace_lines' needs 'text'/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', old_text: 'absent', new_text: 'x' }, /^Error: old_text was not found.*scratchpad_read \(line_numbers: true\)/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', old_text: 'two', new_text: 'x' }, /^Error: old_text occurs 2 times/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', delete_lines: { from: 9, to: 12 } }, /^Error: .*4 lines/],
  ['scratchpad_edit', { pad: 'notes', section: 'todo', insert_at_line: 9, text: 'x' }, /^Error: insert_at_line is 9, but the section has 4 lines/],
  ['scratchpad_edit', { pad: 'notes', section: 'missing', old_text: 'a', new_text: 'b' }, /Section 'notes\.missing' does not exist\. Sections of 'notes': done, todo/],
  ['scratchpad_read', { pad: 'notes', section: 'missing' }, /Section 'notes\.missing' does not exist\. Sections of 'notes': done, todo/],
  ['scratchpad_read', { pad: 'nope' }, /Pad 'nope' does not exist\. Existing pads: notes, other/],
  ['scratchpad_read', { pad: 'notes', line_numbers: true }, /need a 'section'/],
  ['scratchpad_read', { pad: 'notes', section: 'todo', from: 3, to: 2 }, /'from' \(3\) must not be greater than 'to' \(2\)/],
  ['scratchpad_read', { pad: 'notes', section: 'todo', from: 9 }, /past the end: 'notes\.todo' has 4 lines/],
  ['scratchpad_read', { pad: 'notes', section: 'todo', line_numbers: 'yes' }, /'line_numbers' must be true or false/],
  ['scratchpad_read', {}, /missing required argument 'pad'/],
  ['scratchpad_list', { pad: 'nope' }, /Pad 'nope' does not exist/],
  ['scratchpad_list', { pads: 'notes' }, /unknown argument 'pads' \(did you mean 'pad'\?\)/],
  ['scratchpad_history', { limit: 0 }, /'limit' must be at least 1/],
  ['scratchpad_history', { limit: 1000 }, /'limit' must be at most 200/],
  ['scratchpad_diff', { pad: 'notes', section: 'todo' }, /missing required argument 'from_version'/],
  ['scratchpad_diff', { pad: 'notes', section: 'missing', from_version: 0 }, /Section 'notes\.missing' does not exist/],
  ['scratchpad_diff', { pad: 'notes', section: 'todo', from_version: 9 }, /^Error: /],
  ['scratchpad_revert', { pad: 'notes', section: 'todo', to_version: 0 }, /'to_version' must be at least 1/],
  ['scratchpad_revert', { pad: 'notes', section: 'todo', to_version: 9 }, /^Error: /],
  ['scratchpad_delete', { pad: 'notes', section: 'missing' }, /Section 'notes\.missing' does not exist/],
  ['scratchpad_delete', { pad: 'nope' }, /Pad 'nope' does not exist/],
  ['scratchpad_changes', { since: 3 }, /unknown argument 'since'; it takes no arguments/],
];

describe('call validates every argument', () => {
  it.each(BAD_CALLS)('%s %j answers Error: and changes nothing', async (name, args, pattern) => {
    const sp = await seeded();
    const tools = createTools(sp, { agent: 'model' });
    const before = await snapshot(sp);
    const result = await tools.run(name, args);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^Error: /);
    expect(result.text).toMatch(pattern);
    expect(await snapshot(sp)).toEqual(before);
  });

  it('says "Nothing was changed." after every refused change', async () => {
    const sp = await seeded();
    const tools = createTools(sp, { agent: 'model' });
    for (const [name, args] of BAD_CALLS) {
      if (['scratchpad_write', 'scratchpad_edit', 'scratchpad_revert', 'scratchpad_delete'].includes(name)) {
        expect(await tools.call(name, args)).toContain('Nothing was changed.');
      }
    }
  });

  it('reports all problems of one call at once', async () => {
    const tools = createTools(await seeded(), { agent: 'model' });
    const text = await tools.call('scratchpad_write', { pad: 1, content: true, colour: 'red' });
    expect(text.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(4);
    expect(text).toContain("unknown argument 'colour'");
    expect(text).toContain("'pad' must be a string");
    expect(text).toContain("missing required argument 'section'");
    expect(text).toContain("'content' must be a string, got boolean");
  });

  it('treats missing arguments as an empty object', async () => {
    const tools = createTools(await seeded(), { agent: 'model' });
    expect(await tools.call('scratchpad_list')).toContain('- notes (2 sections)');
    expect(await tools.call('scratchpad_read')).toMatch(/^Error: invalid arguments for scratchpad_read:\n- missing required argument 'pad'/);
  });

  it('never throws, not even for a name that is not a string', async () => {
    const tools = createTools(await seeded(), { agent: 'model' });
    await expect(tools.call(undefined as unknown as string, {})).resolves.toMatch(/^Error: there is no tool/);
    await expect(tools.call({} as unknown as string)).resolves.toMatch(/^Error: /);
  });
});

describe('scratchpad errors become Error: text', () => {
  it('turns a closed scratchpad into text', async () => {
    const sp = await seeded();
    const tools = createTools(sp, { agent: 'model' });
    sp.close();
    const text = await tools.call('scratchpad_write', { pad: 'notes', section: 'todo', content: 'x' });
    expect(text).toMatch(/^Error: /);
    expect(text).toContain('closed');
  });

  it('turns a size limit into text with a hint', async () => {
    const sp = createScratchpad({ storage: memoryStorage(), limits: { maxSectionBytes: 10 } });
    await sp.ready;
    const tools = createTools(sp, { agent: 'model' });
    const text = await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'x'.repeat(11) });
    expect(text).toMatch(/^Error: /);
    expect(text).toContain('split the text across several sections');
    expect(sp.pads()).toEqual([]);
  });

  it('turns an unexpected failure into text that says it is not the model\'s fault', async () => {
    const sp = await seeded();
    const broken = new Proxy(sp, {
      get(target, key) {
        if (key === 'write') return () => Promise.reject(new TypeError('disk on fire'));
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) satisfies Scratchpad;
    const tools = createTools(broken, { agent: 'model' });
    const text = await tools.call('scratchpad_write', { pad: 'notes', section: 'todo', content: 'x' });
    expect(text).toBe('Error: the scratchpad failed unexpectedly (disk on fire). This is not caused by your arguments.\nNothing was changed.');
  });
});

describe('createTools options', () => {
  it('throws for programmer mistakes, which are not the model\'s to fix', async () => {
    const sp = await seeded();
    expect(() => createTools(sp, { agent: '' })).toThrow(ScratchpadError);
    expect(() => createTools(sp, {} as { agent: string })).toThrow(/agent/);
    expect(() => createTools(sp, { agent: 'a', maxDiffLines: 0 })).toThrow(/maxDiffLines/);
    expect(() => createTools(sp, { agent: 'a', allow: { modes: ['overwrite' as 'replace'] } })).toThrow(/overwrite/);
  });
});
