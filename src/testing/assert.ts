/**
 * The error the assertions throw. Named and shaped like Node's `assert.AssertionError` (`actual`, `expected`,
 * `operator`, `code: 'ERR_ASSERTION'`), which vitest, Jest and node:test all report as a failed assertion, but defined
 * here so that the helpers also run in browsers and depend on no test framework.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
  readonly code = 'ERR_ASSERTION';
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string;

  constructor(message: string, details: { actual?: unknown; expected?: unknown; operator: string }) {
    super(message);
    this.actual = details.actual;
    this.expected = details.expected;
    this.operator = details.operator;
  }
}

/** Indents a block of text for a failure message, and marks an empty one. */
export function block(text: string, indent = '    '): string {
  if (text === '') return `${indent}(empty)`;
  return text
    .split('\n')
    .map((line) => indent + line)
    .join('\n');
}

/** The first line (1-based) where two texts differ, or 0 when they are equal. */
export function firstDifferentLine(expected: string, actual: string): number {
  if (expected === actual) return 0;
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i + 1;
  return Math.max(a.length, b.length);
}

/** Both texts around the first line where they differ, as a compact failure message body. */
export function showDifference(expected: string, actual: string, context = 2): string {
  const line = firstDifferentLine(expected, actual);
  const a = expected.split('\n');
  const b = actual.split('\n');
  const from = Math.max(0, line - 1 - context);
  const excerpt = (lines: string[]): string =>
    lines
      .slice(from, line + context)
      .map((text, i) => `${String(from + i + 1).padStart(4)}${from + i + 1 === line ? ' >' : '  '} ${text}`)
      .join('\n') || '   (nothing)';
  return `first difference on line ${line}\n  expected:\n${excerpt(a)}\n  actual:\n${excerpt(b)}`;
}
