import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage } from '../src/index.js';
import type { Scratchpad } from '../src/types.js';
import { createTools, type ToolPermissions } from '../src/tools/index.js';

/** Everything the scratchpad holds (sections, history, checkpoints), without the export's own timestamp. */
async function snapshot(sp: Scratchpad) {
  const { exportedAt: _, ...rest } = await sp.exportJSON();
  return rest;
}

async function setup(allow: ToolPermissions) {
  let clock = Date.UTC(2025, 0, 1);
  const sp = createScratchpad({ storage: memoryStorage(), now: () => (clock += 1000) });
  await sp.ready;
  await sp.write('notes', 'log', 'first\n', { agent: 'owner' });
  await sp.write('notes', 'log', 'first\nsecond\n', { agent: 'owner' });
  await sp.write('secret', 'keys', 'hunter2\n', { agent: 'owner' });
  return { sp, tools: createTools(sp, { agent: 'limited', allow }) };
}

const WRITERS = ['scratchpad_write', 'scratchpad_edit', 'scratchpad_revert', 'scratchpad_delete'];

/** One call of each writing tool that would succeed for an unrestricted agent. */
const WRITES: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['scratchpad_write', { pad: 'notes', section: 'log', content: 'replaced' }],
  ['scratchpad_write', { pad: 'notes', section: 'log', content: 'top', mode: 'prepend' }],
  ['scratchpad_edit', { pad: 'notes', section: 'log', old_text: 'first', new_text: 'FIRST' }],
  ['scratchpad_revert', { pad: 'notes', section: 'log', to_version: 1 }],
  ['scratchpad_delete', { pad: 'notes', section: 'log' }],
  ['scratchpad_delete', { pad: 'notes' }],
];

describe('an unrestricted agent', () => {
  it('can make every one of the sample writes', async () => {
    for (const [name, args] of WRITES) {
      const { sp, tools } = await setup({});
      const text = await tools.call(name, args);
      expect(text, name).not.toMatch(/^Error/);
      expect(sp.get('notes', 'log')?.content, name).not.toBe('first\nsecond\n');
    }
  });
});

describe('a read-only agent', () => {
  it('gets only the reading tools', async () => {
    const { tools } = await setup({ readOnly: true });
    expect(tools.names).toEqual(['scratchpad_read', 'scratchpad_list', 'scratchpad_changes', 'scratchpad_history', 'scratchpad_diff']);
  });

  it('is refused every write, and nothing changes', async () => {
    const { sp, tools } = await setup({ readOnly: true, modes: ['replace'], edit: true });
    const before = await snapshot(sp);
    for (const [name, args] of WRITES) {
      const text = await tools.call(name, args);
      expect(text).toMatch(new RegExp(`^Error: ${name} is not available: agent 'limited' is read-only`));
      expect(text).toContain('Nothing was changed.');
    }
    expect(await snapshot(sp)).toEqual(before);
  });

  it('can still read, list, diff and follow changes', async () => {
    const { tools } = await setup({ readOnly: true });
    expect(await tools.call('scratchpad_read', { pad: 'notes', section: 'log' })).toContain('first\nsecond');
    expect(await tools.call('scratchpad_diff', { pad: 'notes', section: 'log', from_version: 1 })).toContain('+second');
    expect(await tools.call('scratchpad_changes')).toContain("'secret.keys'");
  });
});

describe('an append-only agent', () => {
  it('gets a write tool that only offers append, and no edit, revert or delete', async () => {
    const { tools } = await setup({ modes: ['append'] });
    expect(tools.names).toEqual(['scratchpad_read', 'scratchpad_write', 'scratchpad_list', 'scratchpad_changes', 'scratchpad_history', 'scratchpad_diff']);
    const write = tools.definitions.find((d) => d.name === 'scratchpad_write')!;
    expect(write.inputSchema.properties['mode']).toMatchObject({ enum: ['append'], default: 'append' });
    expect(write.description).toContain('You may only append.');
    expect(write.description).not.toContain("'replace'");
  });

  it('can append, with or without naming the mode', async () => {
    const { sp, tools } = await setup({ modes: ['append'] });
    expect(await tools.call('scratchpad_write', { pad: 'notes', section: 'log', content: 'third', mode: 'append' })).toContain('(mode: append)');
    expect(await tools.call('scratchpad_write', { pad: 'notes', section: 'log', content: 'fourth' })).toContain('(mode: append)');
    expect(sp.read('notes', 'log')).toBe('first\nsecond\nthird\nfourth');
    expect(sp.get('notes', 'log')?.updatedBy).toBe('limited');
  });

  it('cannot replace, prepend, edit, revert or delete, and nothing changes', async () => {
    const { sp, tools } = await setup({ modes: ['append'] });
    const before = await snapshot(sp);
    expect(await tools.call('scratchpad_write', { pad: 'notes', section: 'log', content: 'x', mode: 'replace' })).toMatch(
      /^Error: mode 'replace' is not allowed for agent 'limited'; use 'append'\./,
    );
    for (const [name, args] of WRITES.slice(1)) {
      const text = await tools.call(name, args);
      expect(text, name).toMatch(/^Error: /);
      expect(text).toContain('Nothing was changed.');
    }
    expect(await tools.call('scratchpad_edit', { pad: 'notes', section: 'log', old_text: 'first', new_text: 'x' })).toContain(
      "agent 'limited' may only append",
    );
    expect(await snapshot(sp)).toEqual(before);
  });

  it('can be given edit explicitly', async () => {
    const { sp, tools } = await setup({ modes: ['append'], edit: true });
    expect(tools.names).toContain('scratchpad_edit');
    expect(tools.names).not.toContain('scratchpad_delete');
    await tools.call('scratchpad_edit', { pad: 'notes', section: 'log', old_text: 'first', new_text: 'FIRST' });
    expect(sp.read('notes', 'log')).toBe('FIRST\nsecond\n');
  });
});

describe('a full writer with single tools switched off', () => {
  it('keeps write but loses delete', async () => {
    const { sp, tools } = await setup({ delete: false });
    expect(tools.names.filter((n) => WRITERS.includes(n))).toEqual(['scratchpad_write', 'scratchpad_edit', 'scratchpad_revert']);
    expect(await tools.call('scratchpad_delete', { pad: 'notes' })).toMatch(/^Error: scratchpad_delete is not available: agent 'limited' may not use scratchpad_delete/);
    expect([...sp.pads()].sort()).toEqual(['notes', 'secret']);
  });

  it('with no write modes has no write tool', async () => {
    const { tools } = await setup({ modes: [] });
    expect(tools.names).not.toContain('scratchpad_write');
    expect(tools.names).not.toContain('scratchpad_edit');
  });
});

describe('a pad-limited agent', () => {
  it('sees and touches only its pads', async () => {
    const { sp, tools } = await setup({ pads: ['notes'] });
    const before = await snapshot(sp);
    for (const [name, args] of [
      ['scratchpad_write', { pad: 'secret', section: 'keys', content: 'mine' }],
      ['scratchpad_edit', { pad: 'secret', section: 'keys', old_text: 'hunter2', new_text: 'x' }],
      ['scratchpad_delete', { pad: 'secret' }],
      ['scratchpad_revert', { pad: 'secret', section: 'keys', to_version: 1 }],
      ['scratchpad_read', { pad: 'secret', section: 'keys' }],
      ['scratchpad_list', { pad: 'secret' }],
      ['scratchpad_diff', { pad: 'secret', section: 'keys', from_version: 0 }],
      ['scratchpad_history', { pad: 'secret' }],
    ] as const) {
      const text = await tools.call(name, args);
      expect(text, name).toBe(
        `Error: agent 'limited' may not use pad 'secret'. Pads it may use: notes.${WRITERS.includes(name) ? '\nNothing was changed.' : ''}`,
      );
    }
    expect(await snapshot(sp)).toEqual(before);

    expect(await tools.call('scratchpad_list')).not.toContain('secret');
    expect(await tools.call('scratchpad_history', { limit: 200 })).not.toContain('secret');
    expect(await tools.call('scratchpad_changes')).not.toContain('secret');
    expect(await tools.call('scratchpad_read', { pad: 'nope' })).toBe("Error: agent 'limited' may not use pad 'nope'. Pads it may use: notes.");
  });

  it('offers its pads as an enum, and still writes to them', async () => {
    const { sp, tools } = await setup({ pads: ['notes', 'plan'] });
    for (const d of tools.definitions) {
      const pad = d.inputSchema.properties['pad'];
      if (pad !== undefined) expect(pad, d.name).toMatchObject({ enum: ['notes', 'plan'] });
    }
    await tools.call('scratchpad_write', { pad: 'plan', section: 'next', content: 'ship it' });
    expect(sp.read('plan', 'next')).toBe('ship it');
  });

  it('applies the history limit after hiding other pads', async () => {
    const { sp, tools } = await setup({ pads: ['notes'] });
    for (let i = 0; i < 5; i++) await sp.write('secret', 'keys', `k${i}`, { agent: 'owner' });
    expect(await tools.call('scratchpad_history', { limit: 2 })).toContain('(2 entries)');
  });

  it('takes a predicate, and a predicate that throws refuses the pad', async () => {
    const { sp, tools } = await setup({ pads: (pad) => pad.startsWith('team-') });
    expect(await tools.call('scratchpad_write', { pad: 'team-a', section: 's', content: 'ok' })).toContain('Wrote to');
    expect(await tools.call('scratchpad_write', { pad: 'notes', section: 's', content: 'no' })).toMatch(/^Error: agent 'limited' may not use pad 'notes'\.\n/);
    expect([...sp.pads()].sort()).toEqual(['notes', 'secret', 'team-a']);

    const throwing = createTools(sp, {
      agent: 'x',
      allow: {
        pads: () => {
          throw new Error('boom');
        },
      },
    });
    expect(await throwing.call('scratchpad_read', { pad: 'notes' })).toMatch(/^Error: agent 'x' may not use pad 'notes'/);
  });
});
