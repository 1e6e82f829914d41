// Fails on purpose: test/testing-node.test.ts runs it with `node --test --import tsx` to check that node:test reports
// a failed history assertion as a failed test, with the assertion's message.
import { test } from 'node:test';
import { assertHistory, createTestScratchpad } from '../../src/testing/index.js';

test('the reviewer wrote to research', async () => {
  const sp = createTestScratchpad();
  await sp.write('research', 'findings', 'draft', { agent: 'researcher' });
  await assertHistory(sp).wrote({ agent: 'reviewer', pad: 'research' });
});
