/** Issue 12, finding 4 on the client: a name with an unpaired surrogate is INVALID_NAME and changes nothing. */
import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, ScratchpadError } from '../src/index.js';
import { validateName, resolveLimits } from '../src/protocol.js';

const LONE = ['p\ud800', '\udc00', 'a\ud83d', 'x\ude00y', '\udbff\udbff'];

describe('unpaired surrogates in names', () => {
  it('validateName refuses them with INVALID_NAME and keeps well-formed astral characters', () => {
    const limits = resolveLimits(undefined);
    for (const name of LONE) {
      for (const what of ['pad', 'section', 'agent', 'session'] as const) {
        expect(() => validateName(name, what, limits)).toThrow(expect.objectContaining({ code: 'INVALID_NAME', message: expect.stringMatching(/unpaired surrogate/) }));
      }
    }
    expect(validateName('emoji \ud83d\ude00', 'pad', limits)).toBe('emoji \ud83d\ude00');
  });

  it('write, edit, delete, revert and queries refuse them as INVALID_NAME, and nothing changes', async () => {
    const sp = createScratchpad({ storage: memoryStorage() });
    await sp.write('notes', 'todo', 'one');
    const before = await sp.exportJSON();
    const attempts: (() => Promise<unknown>)[] = [
      () => sp.write('p\ud800', 's', 'x'),
      () => sp.write('notes', '\udc00', 'x', { mode: 'append' }),
      () => sp.write('notes', 'todo', 'x', { agent: 'agent\ud83d' }),
      () => sp.edit('notes\ud800', 'todo', { oldText: 'one', newText: 'two' }),
      () => sp.delete('notes', 'todo\udc00'),
      () => sp.history({ agent: 'a\ud800' }),
    ];
    for (const attempt of attempts) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ScratchpadError);
      expect(error).toMatchObject({ code: 'INVALID_NAME' });
    }
    const { exportedAt: _a, ...after } = await sp.exportJSON();
    const { exportedAt: _b, ...was } = before;
    expect(after).toEqual(was);
    sp.close();
  });

  it('a session id with one is INVALID_NAME at createScratchpad', () => {
    expect(() => createScratchpad({ sessionId: 'default\ud800' })).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });
});
