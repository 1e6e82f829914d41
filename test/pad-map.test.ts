import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PadMap } from '../src/store/pad-map.js';
import { setSections } from '../src/store/state.js';
import type { Section } from '../src/core/types.js';

const sorted = (map: ReadonlyMap<string, number>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('PadMap (the persistent map of a pad)', () => {
  it('behaves as a Map under random sets and deletes, and never changes an earlier version', () => {
    // Few distinct short keys force deep shared paths; '__proto__' and '' are ordinary keys.
    const key = fc.oneof(fc.constantFrom('', '__proto__', 'a', 'b', 'constructor'), fc.string({ maxLength: 3 }), fc.nat(5000).map((n) => `s${n}`));
    const step = fc.oneof(fc.tuple(fc.constant('set' as const), key, fc.integer()), fc.tuple(fc.constant('delete' as const), key, fc.constant(0)));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        let map = PadMap.empty<number>();
        const model = new Map<string, number>();
        const versions: [PadMap<number>, [string, number][]][] = [];
        for (const [kind, k, v] of steps) {
          if (kind === 'set') {
            map = map.set(k, v);
            model.set(k, v);
          } else {
            map = map.delete(k);
            model.delete(k);
          }
          versions.push([map, sorted(model)]);
          expect(map.size).toBe(model.size);
          expect(map.get(k)).toBe(model.get(k));
          expect(map.has(k)).toBe(model.has(k));
        }
        for (const [version, expected] of versions) expect(sorted(version)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps up with 20,000 keys and shares the keys token while only values change', () => {
    let map = PadMap.empty<number>();
    for (let i = 0; i < 20_000; i++) map = map.set(`section ${i}`, i);
    expect(map.size).toBe(20_000);
    for (let i = 0; i < 20_000; i += 997) expect(map.get(`section ${i}`)).toBe(i);
    const changed = map.set('section 5', -1);
    expect(changed.keysToken).toBe(map.keysToken);
    expect(map.get('section 5')).toBe(5);
    expect(changed.get('section 5')).toBe(-1);
    expect(map.set('new', 1).keysToken).not.toBe(map.keysToken);
    expect(map.delete('section 5').keysToken).not.toBe(map.keysToken);
    expect(map.delete('absent')).toBe(map);
  });

  it('is what the store publishes: untouched pads keep their identity, a plain Map set by hand is taken over', () => {
    const section = (content: string): Section => ({ content, version: 1, updatedAt: 0, updatedBy: 'a' });
    const plain = new Map([['x', section('1')]]);
    const pads = setSections(new Map([['p', plain], ['q', new Map([['y', section('2')]])]]), [{ pad: 'p', section: 'z', value: section('3') }]);
    expect(pads.get('p')).toBeInstanceOf(PadMap);
    expect([...pads.get('p')!.keys()].sort()).toEqual(['x', 'z']);
    const again = setSections(pads, [{ pad: 'p', section: 'x', value: undefined }, { pad: 'p', section: 'z', value: undefined }]);
    expect(again.has('p')).toBe(false);
    expect(again.get('q')).toBe(pads.get('q'));
  });
});
