/** A clock for tests: time moves only when the test moves it (and by `step` at each reading). */
export interface FakeClock {
  /** The time, in milliseconds since the epoch; then advances by `step`. Pass it as a scratchpad's `now`. */
  now(): number;
  /** The time, without advancing it. */
  readonly current: number;
  /** Milliseconds added after every reading of `now()`. */
  readonly step: number;
  /** Moves time forward by `ms` and returns the new time. */
  tick(ms: number): number;
  /** Sets the time (a number, a Date or an ISO string). It may go backwards, to test clock skew. */
  set(time: number | Date | string): void;
}

export interface FakeClockOptions {
  /** Default 2025-01-01T00:00:00.000Z. */
  readonly start?: number | Date | string;
  /**
   * Default 1: every change gets its own timestamp, so the history lists changes in the order they were made even
   * across sections (entries with equal timestamps are ordered by pad and section, not by when they happened).
   * 0 freezes time between `tick` and `set`.
   */
  readonly step?: number;
}

export const DEFAULT_START = Date.UTC(2025, 0, 1);

export function createFakeClock(options: FakeClockOptions = {}): FakeClock {
  let current = toTime(options.start ?? DEFAULT_START, 'start');
  const step = options.step ?? 1;
  if (!Number.isFinite(step) || step < 0) throw new RangeError(`FakeClock: step must be a finite number of at least 0, got ${String(step)}`);
  return {
    now() {
      const time = current;
      current += step;
      return time;
    },
    get current() {
      return current;
    },
    step,
    tick(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`FakeClock.tick: ms must be a finite number of at least 0, got ${String(ms)}; use set() to go back`);
      current += ms;
      return current;
    },
    set(time) {
      current = toTime(time, 'time');
    },
  };
}

function toTime(value: number | Date | string, what: string): number {
  const time = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (!Number.isFinite(time)) throw new RangeError(`FakeClock: ${what} is not a valid time: ${String(value)}`);
  return time;
}
