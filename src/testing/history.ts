import type { HistoryEntry, HistoryOp } from '../core/types.js';
import type { Scratchpad } from '../types.js';
import { AssertionError, block, showDifference } from './assert.js';

/**
 * Which history entries an assertion is about. Every field is optional and they combine with AND. Without `op`, any
 * change but a delete matches: a write in any mode, an edit or a revert.
 */
export interface HistoryMatch {
  readonly agent?: string;
  readonly pad?: string;
  readonly section?: string;
  readonly op?: HistoryOp | readonly HistoryOp[];
  readonly version?: number;
  /** Text the change added (its '+' lines, joined with newlines) contains this. */
  readonly contains?: string;
}

/** A chain of checks, and the promise of their outcome: await it, or hand it to `assert.rejects` / `expect(...).rejects`. */
export interface HistoryAssertion extends Promise<void> {
  /** At least one matching change (exactly `times`, when given). */
  wrote(match: HistoryMatch, options?: { readonly times?: number }): HistoryAssertion;
  /** At least one matching delete. */
  deleted(match: Omit<HistoryMatch, 'op' | 'contains'>): HistoryAssertion;
  /** Changes matching these, in this order (others may come between). */
  inOrder(matches: readonly HistoryMatch[]): HistoryAssertion;
  /** No change of any kind, deletes included, by this agent (in this pad or section, when given). */
  noWritesBy(agent: string, where?: { readonly pad?: string; readonly section?: string }): HistoryAssertion;
  /** The current content of a section (needs a scratchpad, not a list of entries). */
  contentOf(pad: string, section: string): ContentAssertion;
  /** The entries the assertions look at, oldest first. */
  entries(): Promise<HistoryEntry[]>;
}

export interface ContentAssertion {
  equals(expected: string): HistoryAssertion;
  contains(text: string): HistoryAssertion;
  matches(pattern: RegExp): HistoryAssertion;
  /** The section does not exist (never written, or deleted). */
  isMissing(): HistoryAssertion;
}

/**
 * Readable assertions on who changed what, where and in which order. Plain functions that throw `AssertionError`, so
 * they work the same under vitest, Jest, node:test or none. The history is read once, when the first assertion runs;
 * each assertion runs after the one before it, and the chain is awaited:
 *
 * ```ts
 * await assertHistory(sp)
 *   .wrote({ agent: 'researcher', pad: 'research', section: 'findings' })
 *   .inOrder([{ agent: 'researcher' }, { agent: 'reviewer', op: 'edit' }])
 *   .noWritesBy('summarizer')
 *   .contentOf('research', 'findings').contains('CRLF');
 * ```
 *
 * The checks start at once: a chain that is never awaited still fails the test run, as an unhandled rejection.
 */
export function assertHistory(source: Scratchpad | readonly HistoryEntry[]): HistoryAssertion {
  const sp = Array.isArray(source) ? undefined : (source as Scratchpad);
  let loaded: Promise<HistoryEntry[]> | undefined;
  const load = (): Promise<HistoryEntry[]> => (loaded ??= sp === undefined ? Promise.resolve([...(source as readonly HistoryEntry[])]) : sp.history({ order: 'asc' }));
  let chain: Promise<void> = Promise.resolve();

  const assertion: HistoryAssertion = {
    wrote(match, options) {
      return step((entries) => {
        const found = entries.filter((e) => matches(e, match));
        const times = options?.times;
        if (times === undefined ? found.length > 0 : found.length === times) return;
        const wanted = times === undefined ? 'a change' : `exactly ${times} change${times === 1 ? '' : 's'}`;
        fail(`expected ${wanted} matching ${show(match)}, found ${found.length}`, entries, { actual: found.length, expected: times ?? '>= 1', operator: 'wrote' });
      });
    },
    deleted(match) {
      return assertion.wrote({ ...match, op: 'delete' });
    },
    inOrder(list) {
      return step((entries) => {
        const result = findInOrder(entries, list);
        if (result.ok) return;
        const done = list.slice(0, result.matched).map((m, i) => `  ${i + 1}. ${show(m)}: ${line(result.at[i]!)}`);
        const missing = `  ${result.matched + 1}. ${show(list[result.matched]!)}: not found${result.matched === 0 ? '' : ' after the one above'}`;
        fail(`expected ${list.length} changes in order, found the first ${result.matched}:\n${[...done, missing].join('\n')}`, entries, {
          actual: result.matched,
          expected: list.length,
          operator: 'inOrder',
        });
      });
    },
    noWritesBy(agent, where = {}) {
      return step((entries) => {
        const found = entries.filter((e) => e.agent === agent && (where.pad === undefined || e.pad === where.pad) && (where.section === undefined || e.section === where.section));
        if (found.length === 0) return;
        const place = where.pad === undefined ? '' : ` in ${where.section === undefined ? `pad '${where.pad}'` : `'${where.pad}.${where.section}'`}`;
        fail(`expected no changes by '${agent}'${place}, found ${found.length}:\n${found.map((e) => `  ${line(e)}`).join('\n')}`, entries, {
          actual: found.length,
          expected: 0,
          operator: 'noWritesBy',
        });
      });
    },
    contentOf(pad, section) {
      const current = (): string | undefined => {
        if (sp === undefined) throw new TypeError('contentOf needs a scratchpad: assertHistory(sp), not assertHistory(entries)');
        return sp.read(pad, section);
      };
      const name = `'${pad}.${section}'`;
      return {
        equals: (expected) =>
          step(() => {
            const actual = current();
            if (actual === expected) return;
            const message =
              actual === undefined
                ? `expected ${name} to equal:\n${block(expected)}\nbut there is no such section`
                : `expected ${name} to equal the given text, ${showDifference(expected, actual)}`;
            throw new AssertionError(message, { actual, expected, operator: 'equals' });
          }),
        contains: (text) =>
          step(() => {
            const actual = current();
            if (actual?.includes(text) === true) return;
            throw new AssertionError(`expected ${name} to contain ${JSON.stringify(text)}, ${actual === undefined ? 'but there is no such section' : `but it is:\n${block(actual)}`}`, {
              actual,
              expected: text,
              operator: 'contains',
            });
          }),
        matches: (pattern) =>
          step(() => {
            const actual = current();
            if (actual !== undefined && pattern.test(actual)) return;
            throw new AssertionError(`expected ${name} to match ${String(pattern)}, ${actual === undefined ? 'but there is no such section' : `but it is:\n${block(actual)}`}`, {
              actual,
              expected: pattern,
              operator: 'matches',
            });
          }),
        isMissing: () =>
          step(() => {
            const actual = current();
            if (actual === undefined) return;
            throw new AssertionError(`expected ${name} not to exist, but it is:\n${block(actual)}`, { actual, expected: undefined, operator: 'isMissing' });
          }),
      };
    },
    entries: async () => {
      await chain;
      return load();
    },
    then(onFulfilled, onRejected) {
      return chain.then(onFulfilled, onRejected);
    },
    catch(onRejected) {
      return chain.catch(onRejected);
    },
    finally(onFinally) {
      return chain.finally(onFinally);
    },
    [Symbol.toStringTag]: 'HistoryAssertion',
  };

  function step(check: (entries: HistoryEntry[]) => void): HistoryAssertion {
    chain = chain.then(async () => check(await load()));
    return assertion;
  }

  return assertion;
}

function matches(entry: HistoryEntry, match: HistoryMatch): boolean {
  if (match.agent !== undefined && entry.agent !== match.agent) return false;
  if (match.pad !== undefined && entry.pad !== match.pad) return false;
  if (match.section !== undefined && entry.section !== match.section) return false;
  if (match.version !== undefined && entry.version !== match.version) return false;
  const ops = match.op === undefined ? undefined : typeof match.op === 'string' ? [match.op] : match.op;
  if (ops === undefined ? entry.op === 'delete' : !ops.includes(entry.op)) return false;
  return match.contains === undefined || added(entry).includes(match.contains);
}

/** The text a change added: its '+' lines. */
function added(entry: HistoryEntry): string {
  return entry.patch.hunks
    .flatMap((hunk) => hunk.lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1)))
    .join('\n');
}

/**
 * A subsequence of the history matching the list. Entries with the same timestamp count as simultaneous: the history
 * orders them by pad and section, not by when they were made, so either order satisfies the list. The earliest
 * timestamp that can take each match is always the best choice; only within one timestamp are choices tried.
 */
function findInOrder(entries: readonly HistoryEntry[], list: readonly HistoryMatch[]): { ok: boolean; matched: number; at: HistoryEntry[] } {
  const used = new Set<number>();
  const at: HistoryEntry[] = [];
  let best = { matched: 0, at: [] as HistoryEntry[] };
  let budget = 100_000; // a pathological list over many simultaneous entries gives up rather than hang

  function search(i: number, minTime: number): boolean {
    if (i > best.matched) best = { matched: i, at: [...at] };
    if (i === list.length) return true;
    if (--budget < 0) return false;
    const candidates = entries.map((e, k) => [e, k] as const).filter(([e, k]) => !used.has(k) && e.timestamp >= minTime && matches(e, list[i]!));
    if (candidates.length === 0) return false;
    const earliest = candidates[0]![0].timestamp;
    for (const [entry, k] of candidates) {
      if (entry.timestamp !== earliest) break;
      used.add(k);
      at.push(entry);
      if (search(i + 1, entry.timestamp)) return true;
      at.pop();
      used.delete(k);
    }
    return false;
  }

  const ok = search(0, -Infinity);
  return { ok, matched: ok ? list.length : best.matched, at: ok ? at : best.at };
}

function show(match: HistoryMatch): string {
  const parts = Object.entries(match)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  return parts.length === 0 ? 'any change' : `{ ${parts.join(', ')} }`;
}

function line(e: HistoryEntry): string {
  const time = new Date(e.timestamp);
  const when = Number.isNaN(time.getTime()) ? String(e.timestamp) : time.toISOString();
  return `${when}  ${e.agent}  ${e.op}  '${e.pad}.${e.section}' v${e.version} (+${e.stats.added} -${e.stats.removed})`;
}

function fail(message: string, entries: readonly HistoryEntry[], details: { actual: unknown; expected: unknown; operator: string }): never {
  const history = entries.length === 0 ? '  (no history at all)' : entries.map((e) => `  ${line(e)}`).join('\n');
  throw new AssertionError(`${message}\nhistory (oldest first):\n${history}`, details);
}
