import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';

// A pad's latest `limit` entries (what a history view asks after every write) are read in windows from the time
// index rather than as the pad's whole history. They must be exactly what the whole history, sorted, gives: same
// entries, same order, timestamps shared across pads and sections included.
describe('indexedDbStorage: a pad history with a limit', () => {
  it('equals the whole pad history sorted and cut, for random writes over several pads', async () => {
    const write = fc.record({ pad: fc.constantFrom('a', 'b', 'c'), section: fc.constantFrom('x', 'y'), tick: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 60 }), fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 12 }), fc.constantFrom('asc' as const, 'desc' as const), async (writes, pad, limit, order) => {
        let clock = 1;
        const now = () => clock;
        const idb = createScratchpad({ storage: indexedDbStorage({ name: `window-${Math.random()}`, indexedDB: new IDBFactory() }), now });
        const memory = createScratchpad({ storage: memoryStorage(), now });
        let n = 0;
        for (const w of writes) {
          // Several writes share a timestamp unless `tick`: ties are ordered by pad, section and version.
          if (w.tick) clock++;
          n++;
          await Promise.all([idb.write(w.pad, w.section, `v${n}`), memory.write(w.pad, w.section, `v${n}`)]);
        }
        const expected = await memory.history({ pad, limit, order });
        expect(await idb.history({ pad, limit, order })).toEqual(expected);
        idb.close();
        memory.close();
      }),
      { numRuns: 40 },
    );
  });

  it('falls back to the whole pad when the pad holds few of the recent entries', async () => {
    let clock = 1;
    const sp = createScratchpad({ storage: indexedDbStorage({ name: 'window-cold', indexedDB: new IDBFactory() }), now: () => clock++ });
    await sp.write('cold', 'a', 'old');
    for (let i = 0; i < 300; i++) await sp.write('hot', 'a', `v${i}`);
    expect((await sp.history({ pad: 'cold', limit: 5, order: 'desc' })).map((e) => e.version)).toEqual([1]);
    expect((await sp.history({ pad: 'hot', limit: 3, order: 'desc' })).map((e) => e.version)).toEqual([300, 299, 298]);
    sp.close();
  });
});
