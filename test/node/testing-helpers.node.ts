// Run by test/testing-node.test.ts as `node --test --import tsx <this file>`: the testing helpers under node:test,
// with no vitest anywhere in the process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTools } from '../../src/tools/index.js';
import { AssertionError, assertHistory, createTestScratchpad, recordTools, replay } from '../../src/testing/index.js';

test('an agent run recorded, asserted on and replayed under node:test', async () => {
  const sp = createTestScratchpad();
  const tools = recordTools(createTools(sp, { agent: 'researcher' }), { agent: 'researcher', clock: sp.clock });
  await tools.call('scratchpad_write', { pad: 'research', section: 'findings', content: 'first\n' });
  sp.clock.tick(1000);
  await tools.call('scratchpad_write', { pad: 'research', section: 'findings', content: 'second', mode: 'append' });

  await assertHistory(sp)
    .wrote({ agent: 'researcher', pad: 'research', section: 'findings' }, { times: 2 })
    .noWritesBy('reviewer')
    .contentOf('research', 'findings').equals('first\nsecond');

  const report = await replay(tools.log);
  assert.equal(report.ok, true);
  assert.equal(report.calls, 2);
});

test('a failing history assertion rejects with an AssertionError that node:test can report', async () => {
  const sp = createTestScratchpad();
  await sp.write('p', 's', 'x', { agent: 'reviewer' });
  await assert.rejects(assertHistory(sp).noWritesBy('reviewer'), (error: unknown) => {
    assert.ok(error instanceof AssertionError);
    assert.equal(error.code, 'ERR_ASSERTION');
    assert.match(error.message, /^expected no changes by 'reviewer', found 1/);
    return true;
  });
});
