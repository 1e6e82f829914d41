import { ScratchpadError } from './errors.js';
import type { ScratchpadLimits } from './types.js';

export const DEFAULT_LIMITS: ScratchpadLimits = { maxSectionBytes: 1024 * 1024, maxNameLength: 128 };

// C0 and C1 control characters, DEL, and the line/paragraph separators: none of them belongs in a name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Pad, section and agent names: non-empty strings up to the limit, with no control characters. */
export function validateName(value: unknown, what: 'pad' | 'section' | 'agent' | 'session', limits: ScratchpadLimits): string {
  if (typeof value !== 'string') {
    throw new ScratchpadError('INVALID_NAME', `The ${what} name must be a string, got ${describe(value)}.`, { [what]: String(value) });
  }
  if (value.length === 0) throw new ScratchpadError('INVALID_NAME', `The ${what} name must not be empty.`);
  if (value.length > limits.maxNameLength) {
    throw new ScratchpadError('INVALID_NAME', `The ${what} name is ${value.length} characters long; the limit is ${limits.maxNameLength}.`, {
      limit: limits.maxNameLength,
      actual: value.length,
    });
  }
  const control = CONTROL.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new ScratchpadError('INVALID_NAME', `The ${what} name ${JSON.stringify(value)} contains the control character U+${code}.`);
  }
  // A lone surrogate has no UTF-8 encoding: a database would store U+FFFD instead (another name), and
  // encodeURIComponent (history entry ids, resource URIs) throws on it.
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16);
    throw new ScratchpadError('INVALID_NAME', `The ${what} name ${JSON.stringify(value)} contains the unpaired surrogate U+${code.toUpperCase()}; use well-formed Unicode text.`);
  }
  return value;
}

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Timestamps in history: whole or fractional milliseconds since 1970 within the range a `Date` can show
 * (0 to 8.64e15, the year 275760). Anything else would break every reader that formats dates. Future times are
 * allowed: a device with a wrong clock must not lose its writes.
 */
export const MAX_TIMESTAMP = 8.64e15;

export function validateTimestamp(value: unknown, what = 'timestamp'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMESTAMP) {
    throw new ScratchpadError('INVALID_ARGUMENT', `The ${what} must be milliseconds since 1970 between 0 and ${MAX_TIMESTAMP}, got ${describe(value)}.`);
  }
  return value;
}

export function validateText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ScratchpadError('INVALID_ARGUMENT', `The ${what} must be a string, got ${describe(value)}.`);
  return value;
}

/** A whole number at least `min`. */
export function validateInteger(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ScratchpadError('INVALID_ARGUMENT', `The ${what} must be an integer of at least ${min}, got ${describe(value)}.`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function resolveLimits(partial: Partial<ScratchpadLimits> | undefined): ScratchpadLimits {
  const limits = { ...DEFAULT_LIMITS, ...stripUndefined(partial ?? {}) };
  validateInteger(limits.maxSectionBytes, 'limits.maxSectionBytes', 1);
  validateInteger(limits.maxNameLength, 'limits.maxNameLength', 1);
  return limits;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
