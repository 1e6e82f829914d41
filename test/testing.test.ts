import { describe, expect, it } from 'vitest';
import { createTools } from '../src/tools/index.js';
import {
  assertHistory,
  assertReplay,
  AssertionError,
  createFakeClock,
  createTestScratchpad,
  parseToolLog,
  recordTools,
  replay,
  type ToolCallRecord,
} from '../src/testing/index.js';

const START = Date.UTC(2025, 0, 1);

/** The AssertionError a promise rejects with, to look at its message. */
async function failure(promise: PromiseLike<unknown>): Promise<AssertionError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    return error as AssertionError;
  }
  throw new Error('expected the assertion to fail, and it passed');
}

/** A small session of two agents, recorded into one log. */
async function recordSession() {
  const sp = createTestScratchpad();
  const log: ToolCallRecord[] = [];
  const researcher = recordTools(createTools(sp, { agent: 'researcher' }), { agent: 'researcher', log, clock: sp.clock });
  const reviewer = recordTools(createTools(sp, { agent: 'reviewer' }), { agent: 'reviewer', log, clock: sp.clock });
  await researcher.call('scratchpad_write', { pad: 'research', section: 'findings', content: 'CRLF lines are dropped.\n' });
  sp.clock.tick(60_000);
  await reviewer.call('scratchpad_read', { pad: 'research', section: 'findings' });
  await reviewer.call('scratchpad_edit', { pad: 'research', section: 'findings', old_text: 'dropped.', new_text: 'dropped on Windows.', expected_version: 1 });
  sp.clock.tick(60_000);
  await researcher.call('scratchpad_changes', {});
  await researcher.call('scratchpad_list', { pad: 'research' });
  await researcher.call('scratchpad_write', { pad: 'research', section: 'findings', content: 'x', expected_version: 1 }); // stale: an error
  await researcher.call('scratchpad_history', { pad: 'research' });
  return { sp, log };
}

describe('createFakeClock', () => {
  it('starts at 2025-01-01, advances 1 ms per reading, and moves with tick and set', () => {
    const clock = createFakeClock();
    expect(clock.current).toBe(START);
    expect([clock.now(), clock.now()]).toEqual([START, START + 1]);
    expect(clock.current).toBe(START + 2);
    expect(clock.tick(1000)).toBe(START + 1002);
    clock.set('2030-06-01T12:00:00Z');
    expect(clock.now()).toBe(Date.UTC(2030, 5, 1, 12));
    clock.set(new Date(0));
    expect(clock.current).toBe(0);
  });

  it('stands still with step 0, and refuses nonsense', () => {
    const clock = createFakeClock({ start: 5, step: 0 });
    expect([clock.now(), clock.now()]).toEqual([5, 5]);
    expect(() => clock.tick(-1)).toThrow(RangeError);
    expect(() => clock.set('not a date')).toThrow(/not a valid time/);
    expect(() => createFakeClock({ step: Number.NaN })).toThrow(RangeError);
  });
});

describe('createTestScratchpad', () => {
  it('stamps changes with the fake clock', async () => {
    const sp = createTestScratchpad({ start: '2025-03-01T09:00:00Z', step: 0 });
    await sp.write('notes', 'todo', 'a', { agent: 'planner' });
    sp.clock.tick(90_000);
    await sp.write('notes', 'todo', 'b', { agent: 'planner' });
    const history = await sp.history();
    expect(history.map((e) => new Date(e.timestamp).toISOString())).toEqual(['2025-03-01T09:00:00.000Z', '2025-03-01T09:01:30.000Z']);
    expect(sp.sessionId).toBe('test');
  });

  it('gives the same export, ids and times included, on every run of the same calls', async () => {
    async function run() {
      const sp = createTestScratchpad();
      const tools = createTools(sp, { agent: 'a' });
      await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'one\n' });
      sp.clock.tick(5000);
      await tools.call('scratchpad_write', { pad: 'p', section: 's', content: 'two', mode: 'append' });
      await sp.delete('p', 's', { agent: 'b' });
      return sp.exportJSON();
    }
    const [first, second] = [await run(), await run()];
    expect(second).toEqual(first);
    expect(first.history.map((e) => e.id)).toHaveLength(3);
  });

  it('passes other options through', async () => {
    const sp = createTestScratchpad({ sessionId: 'alice', limits: { maxSectionBytes: 4 } });
    expect(sp.sessionId).toBe('alice');
    await expect(sp.write('p', 's', 'too long')).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });
});

describe('recordTools', () => {
  it('logs every call with its agent, arguments, answer and time, and leaves the tools as they were', async () => {
    const sp = createTestScratchpad();
    const plain = createTools(sp, { agent: 'researcher' });
    const tools = recordTools(plain, { agent: 'researcher', clock: sp.clock });
    expect(tools.definitions).toBe(plain.definitions);
    expect(tools.names).toEqual(plain.names);

    const args = { pad: 'research', section: 'findings', content: 'first' };
    const text = await tools.call('scratchpad_write', args);
    args.content = 'changed after the call';
    const result = await tools.run('scratchpad_read', '{"pad":"research","section":"findings"}');
    await tools.call('scratchpad_read', { pad: 42 });

    expect(tools.log).toEqual([
      { index: 0, agent: 'researcher', tool: 'scratchpad_write', args: { pad: 'research', section: 'findings', content: 'first' }, text, isError: false, at: START },
      { index: 1, agent: 'researcher', tool: 'scratchpad_read', args: '{"pad":"research","section":"findings"}', text: result.text, isError: false, at: START + 1 },
      { index: 2, agent: 'researcher', tool: 'scratchpad_read', args: { pad: 42 }, text: expect.stringMatching(/^Error: /), isError: true, at: START + 1 },
    ]);
  });

  it('keeps overlapping calls in the order they were made, across agents sharing a log', async () => {
    const sp = createTestScratchpad();
    const log: ToolCallRecord[] = [];
    const a = recordTools(createTools(sp, { agent: 'a' }), { agent: 'a', log });
    const b = recordTools(createTools(sp, { agent: 'b' }), { agent: 'b', log });
    await Promise.all([
      a.call('scratchpad_write', { pad: 'p', section: '1', content: 'x' }),
      b.call('scratchpad_list', {}),
      a.call('scratchpad_write', { pad: 'p', section: '2', content: 'y' }),
    ]);
    expect(log.map((c) => [c.index, c.agent, c.tool])).toEqual([
      [0, 'a', 'scratchpad_write'],
      [1, 'b', 'scratchpad_list'],
      [2, 'a', 'scratchpad_write'],
    ]);
    expect(a.log).toBe(log);
  });

  it('saves as JSON and reads back with parseToolLog, which rejects a damaged log clearly', async () => {
    const { log } = await recordSession();
    expect(parseToolLog(JSON.stringify(log))).toEqual(log);
    expect(() => parseToolLog('{"tool":"x"}')).toThrow('must be an array');
    expect(() => parseToolLog([{ tool: 'scratchpad_read', text: 1, isError: false }])).toThrow("call 0 of the log: 'text' must be a string");
  });
});

describe('replay', () => {
  it('replays a recorded session of two agents against a fresh scratchpad, answer for answer', async () => {
    const { sp, log } = await recordSession();
    expect(log.filter((c) => c.isError)).toHaveLength(1);
    expect(log.find((c) => c.tool === 'scratchpad_list')?.text).toContain('last written by reviewer at 2025-01-01T00:01:00.001Z');

    const report = await replay(JSON.stringify(log));
    expect(report.ok).toBe(true);
    expect(report.calls).toBe(log.length);
    expect(await report.scratchpad.exportJSON()).toEqual(await sp.exportJSON().then((s) => ({ ...s, exportedAt: expect.any(Number) })));
  });

  it('reports the first call whose answer differs: index, tool, expected and actual text', async () => {
    const { log } = await recordSession();
    const tampered = log.map((c) => (c.index === 2 ? { ...c, text: c.text.replace('dropped on Windows.', 'dropped on Linux.') } : c));
    const report = await replay(tampered);
    if (report.ok) throw new Error('expected a divergence');
    expect(report.calls).toBe(2);
    expect(report.divergence).toMatchObject({ index: 2, agent: 'reviewer', tool: 'scratchpad_edit', expected: { isError: false }, actual: { isError: false } });
    expect(report.divergence.actual.text).toContain('dropped on Windows.');
    expect(report.message).toContain('Replay diverged at call #2: reviewer called scratchpad_edit with {"pad":"research"');
    expect(report.message).toMatch(/first difference on line \d+\n {2}expected:\n[\s\S]*dropped on Linux\.[\s\S]*\n {2}actual:\n[\s\S]*dropped on Windows\./);
  });

  it('finds a change of behaviour: the same log against a read-only reviewer', async () => {
    const { log } = await recordSession();
    const report = await replay(log, {
      createTools: (sp, agent) => createTools(sp, agent === 'reviewer' ? { agent, allow: { readOnly: true } } : { agent }),
    });
    if (report.ok) throw new Error('expected a divergence');
    expect(report.divergence).toMatchObject({ index: 2, tool: 'scratchpad_edit', expected: { isError: false }, actual: { isError: true } });
    expect(report.message).toContain('it was not an error when recorded, is one now');
  });

  it('replays against a scratchpad seeded by an async factory, as the recorded run was', async () => {
    const sp = createTestScratchpad();
    await sp.write('plan', 'steps', '1. read\n', { agent: 'person' });
    const tools = recordTools(createTools(sp, { agent: 'worker' }), { agent: 'worker', clock: sp.clock });
    await tools.call('scratchpad_read', { pad: 'plan', section: 'steps' });
    await tools.call('scratchpad_write', { pad: 'plan', section: 'steps', content: '2. write', mode: 'append', expected_version: 1 });

    const seeded = await replay(tools.log, {
      createScratchpad: async () => {
        const fresh = createTestScratchpad();
        await fresh.write('plan', 'steps', '1. read\n', { agent: 'person' });
        return fresh;
      },
    });
    expect(seeded).toMatchObject({ ok: true, calls: 2 });
    expect(seeded.scratchpad.read('plan', 'steps')).toBe('1. read\n2. write');

    // Without the seed the very first answer differs, and the report says so.
    const unseeded = await replay(tools.log);
    expect(unseeded).toMatchObject({ ok: false, calls: 0, divergence: { index: 0, tool: 'scratchpad_read', actual: { isError: true } } });
  });

  it('assertReplay throws an AssertionError carrying both texts', async () => {
    const { log } = await recordSession();
    await expect(assertReplay(log)).resolves.toBeDefined();
    const broken = log.map((c) => (c.tool === 'scratchpad_list' ? { ...c, text: 'something else' } : c));
    const error = await failure(assertReplay(broken));
    expect(error.message).toContain('scratchpad_list');
    expect(error).toMatchObject({ expected: 'something else', operator: 'replay', code: 'ERR_ASSERTION' });
  });
});

describe('assertHistory', () => {
  async function session() {
    const sp = createTestScratchpad();
    await sp.write('research', 'findings', 'CRLF lines are dropped.\n', { agent: 'researcher' });
    await sp.edit('research', 'findings', { oldText: 'dropped.', newText: 'dropped on Windows.' }, { agent: 'reviewer' });
    await sp.write('research', 'sources', 'rfc 4180', { agent: 'researcher' });
    await sp.write('scratch', 'tmp', 'x', { agent: 'researcher' });
    await sp.delete('scratch', 'tmp', { agent: 'reviewer' });
    return sp;
  }

  it('passes on what happened', async () => {
    const sp = await session();
    await assertHistory(sp)
      .wrote({ agent: 'researcher', pad: 'research', section: 'findings' })
      .wrote({ agent: 'reviewer', op: 'edit', contains: 'on Windows' })
      .wrote({ agent: 'researcher' }, { times: 3 })
      .deleted({ pad: 'scratch', section: 'tmp', agent: 'reviewer' })
      .inOrder([{ agent: 'researcher', section: 'findings' }, { agent: 'reviewer', op: 'edit' }, { section: 'sources' }, { op: 'delete' }])
      .noWritesBy('summarizer')
      .noWritesBy('reviewer', { pad: 'research', section: 'sources' })
      .contentOf('research', 'findings').equals('CRLF lines are dropped on Windows.\n')
      .contentOf('research', 'sources').contains('4180')
      .contentOf('research', 'sources').matches(/^rfc \d+$/)
      .contentOf('scratch', 'tmp').isMissing();
  });

  it('fails with a message that says what was expected and lists the history', async () => {
    const sp = await session();
    const wrote = await failure(assertHistory(sp).wrote({ agent: 'reviewer', section: 'sources' }));
    expect(wrote.message).toBe(
      [
        'expected a change matching { agent: "reviewer", section: "sources" }, found 0',
        'history (oldest first):',
        "  2025-01-01T00:00:00.000Z  researcher  write_replace  'research.findings' v1 (+1 -0)",
        "  2025-01-01T00:00:00.001Z  reviewer  edit  'research.findings' v2 (+1 -1)",
        "  2025-01-01T00:00:00.002Z  researcher  write_replace  'research.sources' v1 (+1 -0)",
        "  2025-01-01T00:00:00.003Z  researcher  write_replace  'scratch.tmp' v1 (+1 -0)",
        "  2025-01-01T00:00:00.004Z  reviewer  delete  'scratch.tmp' v2 (+0 -1)",
      ].join('\n'),
    );

    const times = await failure(assertHistory(sp).wrote({ agent: 'researcher' }, { times: 2 }));
    expect(times.message).toMatch(/^expected exactly 2 changes matching \{ agent: "researcher" \}, found 3/);

    const order = await failure(assertHistory(sp).inOrder([{ section: 'sources' }, { agent: 'reviewer', op: 'edit' }]));
    expect(order.message).toMatch(/^expected 2 changes in order, found the first 1:\n {2}1\. \{ section: "sources" \}: .*'research\.sources' v1.*\n {2}2\. \{ agent: "reviewer", op: "edit" \}: not found after the one above/);

    const none = await failure(assertHistory(sp).noWritesBy('reviewer'));
    expect(none.message).toMatch(/^expected no changes by 'reviewer', found 2:\n.*edit {2}'research\.findings' v2.*\n.*delete {2}'scratch\.tmp' v2/);

    const content = await failure(assertHistory(sp).contentOf('research', 'findings').equals('CRLF lines are dropped.\n'));
    expect(content.message).toContain("expected 'research.findings' to equal the given text, first difference on line 1");
    expect(content).toMatchObject({ actual: 'CRLF lines are dropped on Windows.\n', expected: 'CRLF lines are dropped.\n', operator: 'equals' });

    const missing = await failure(assertHistory(sp).contentOf('scratch', 'tmp').contains('x'));
    expect(missing.message).toBe('expected \'scratch.tmp\' to contain "x", but there is no such section');
  });

  it('stops at the first failing assertion of a chain', async () => {
    const sp = await session();
    const error = await failure(assertHistory(sp).noWritesBy('researcher').wrote({ agent: 'nobody' }));
    expect(error.operator).toBe('noWritesBy');
  });

  it('treats changes with the same timestamp as simultaneous (a clock with step 0)', async () => {
    const sp = createTestScratchpad({ step: 0 });
    await sp.write('b-pad', 's', 'first', { agent: 'one' });
    await sp.write('a-pad', 's', 'second', { agent: 'two' });
    // The history orders same-time entries by pad, so 'a-pad' comes first; the order asked for is still possible.
    expect((await sp.history()).map((e) => e.pad)).toEqual(['a-pad', 'b-pad']);
    await assertHistory(sp).inOrder([{ agent: 'one' }, { agent: 'two' }]).inOrder([{ agent: 'two' }, { agent: 'one' }]);
    sp.clock.tick(1);
    await sp.write('a-pad', 's', 'third', { agent: 'one' });
    await failure(assertHistory(sp).inOrder([{ agent: 'one', contains: 'third' }, { agent: 'two' }]));
  });

  it('works on a list of entries too, and says when contentOf needs the scratchpad', async () => {
    const sp = await session();
    const entries = await sp.history();
    await assertHistory(entries).wrote({ agent: 'reviewer', op: 'edit' });
    expect(await assertHistory(entries).entries()).toEqual(entries);
    await expect(assertHistory(entries).contentOf('research', 'findings').equals('x')).rejects.toThrow(TypeError);
  });
});
