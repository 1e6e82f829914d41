import { createScratchpad } from '../scratchpad.js';
import { memoryStorage } from '../storage/memory.js';
import type { Scratchpad, ScratchpadOptions } from '../types.js';
import { createFakeClock, type FakeClock, type FakeClockOptions } from './clock.js';

export interface TestScratchpadOptions extends Omit<ScratchpadOptions, 'now'>, FakeClockOptions {}

/** A scratchpad whose clock the test controls. */
export type TestScratchpad = Scratchpad & { readonly clock: FakeClock };

/**
 * A scratchpad for tests: in memory, session 'test', on a fake clock. Everything it produces (versions, history ids,
 * timestamps, exports) is the same on every run for the same calls.
 *
 * ```ts
 * const sp = createTestScratchpad();
 * await sp.write('notes', 'todo', 'x', { agent: 'planner' });
 * sp.clock.tick(60_000);
 * ```
 */
export function createTestScratchpad(options: TestScratchpadOptions = {}): TestScratchpad {
  const { start, step, ...rest } = options;
  const clock = createFakeClock({ ...(start === undefined ? {} : { start }), ...(step === undefined ? {} : { step }) });
  const sp = createScratchpad({ sessionId: 'test', storage: memoryStorage(), ...rest, now: clock.now });
  // The scratchpad is a class instance (its methods live on the prototype), so the clock is attached rather than spread.
  Object.defineProperty(sp, 'clock', { value: clock, enumerable: true });
  return sp as TestScratchpad;
}

export function isTestScratchpad(sp: Scratchpad): sp is TestScratchpad {
  const clock = (sp as Partial<TestScratchpad>).clock;
  return clock !== undefined && typeof clock.set === 'function' && typeof clock.now === 'function';
}
