/**
 * The workloads of issue 7, generated from a seeded PRNG so that every store and every run gets the same sequence, and
 * a plain model of what the sections must hold afterwards (every store's result, and what it reads back after a
 * reopen, is checked against it).
 */

export interface WorkloadSizes {
  /** (a) sections of 1 KiB. */
  readonly sections: number;
  /** (a) one-line edits to random sections. */
  readonly edits: number;
  /** (b) one-line appends (about 46 characters each: the log stays under the default 1 MiB section limit). */
  readonly appends: number;
  /** (e) read the session as it was after this edit (1-based). */
  readonly historyEdit: number;
}

export const FULL: WorkloadSizes = { sections: 100, edits: 2000, appends: 20_000, historyEdit: 1000 };
export const QUICK: WorkloadSizes = { sections: 100, edits: 200, appends: 2000, historyEdit: 100 };

export const SEED = 0x5eed7;
export const PAD = 'session';
export const LOG_SECTION = 'log';
export const LINES_PER_SECTION = 16;
const LINE = 63; // 16 lines of 63 characters and a newline: 1 KiB per section.
export const AGENTS = ['planner', 'researcher', 'writer', 'reviewer'] as const;

/** mulberry32: small, fast, good enough to pick sections and words. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Prose-like text (it compresses like notes do, not like a run of one repeated character).
const WORDS =
  'the a of to and in is that for it as with was on be by this are or from at an which parser agent finding note test fails passes retry cache token model prompt result section source error value index schema request response timeout claim evidence plan step draft review merge check'.split(
    ' ',
  );

function words(random: () => number, length: number): string {
  let text = '';
  while (text.length < length) text += (text ? ' ' : '') + WORDS[Math.floor(random() * WORDS.length)];
  return text.slice(0, length);
}

export const sectionName = (i: number): string => `s${String(i).padStart(3, '0')}`;

export interface Edit {
  readonly section: string;
  /** 0-based line index. */
  readonly line: number;
  readonly text: string;
  readonly agent: string;
}

export interface Workload {
  readonly sizes: WorkloadSizes;
  /** [name, content] of the (a) sections before the edits. */
  readonly seed: readonly (readonly [string, string])[];
  readonly edits: readonly Edit[];
  readonly appends: readonly { readonly text: string; readonly agent: string }[];
}

export function makeWorkload(sizes: WorkloadSizes): Workload {
  const random = prng(SEED);
  const seed: [string, string][] = [];
  for (let s = 0; s < sizes.sections; s++) {
    let content = '';
    for (let l = 0; l < LINES_PER_SECTION; l++) content += words(random, LINE) + '\n';
    seed.push([sectionName(s), content]);
  }
  const edits: Edit[] = [];
  for (let i = 0; i < sizes.edits; i++) {
    edits.push({
      section: sectionName(Math.floor(random() * sizes.sections)),
      line: Math.floor(random() * LINES_PER_SECTION),
      text: `${i}: ${words(random, LINE - 2 - String(i).length)}`,
      agent: AGENTS[Math.floor(random() * AGENTS.length)]!,
    });
  }
  const appends: { text: string; agent: string }[] = [];
  for (let i = 0; i < sizes.appends; i++) {
    appends.push({ text: `[${String(i).padStart(5, '0')}] ${words(random, 25 + Math.floor(random() * 26))}`, agent: AGENTS[i % AGENTS.length]! });
  }
  return { sizes, seed, edits, appends };
}

/** Line `line` (0-based) of content whose every line ends with '\n', replaced by `text`. */
export function replaceLine(content: string, line: number, text: string): string {
  let start = 0;
  for (let i = 0; i < line; i++) start = content.indexOf('\n', start) + 1;
  const end = content.indexOf('\n', start);
  return content.slice(0, start) + text + content.slice(end);
}

/** The append rule every store follows here: one '\n' between lines (what scratchpad-store's 'append' mode does). */
export function appendLine(content: string, text: string): string {
  return content === '' ? text : content + '\n' + text;
}

/** Sections after the first `count` edits (all of them by default). */
export function expectedAfterEdits(workload: Workload, count = workload.edits.length): Map<string, string> {
  const sections = new Map(workload.seed.map(([name, content]) => [name, content]));
  for (const edit of workload.edits.slice(0, count)) sections.set(edit.section, replaceLine(sections.get(edit.section)!, edit.line, edit.text));
  return sections;
}

export function expectedLog(workload: Workload, count = workload.appends.length): string {
  return workload.appends
    .slice(0, count)
    .map((a) => a.text)
    .join('\n');
}

/** Which version of its section the `n`-th edit (1-based) made: 1 for the seed, then one per edit. */
export function sectionVersionAfterEdit(workload: Workload, n: number): { section: string; version: number; agent: string } {
  const edit = workload.edits[n - 1]!;
  let version = 1;
  for (let i = 0; i < n; i++) if (workload.edits[i]!.section === edit.section) version++;
  return { section: edit.section, version, agent: edit.agent };
}

/** FNV-1a over names and contents, so that the runner can compare what every store holds without shipping it. */
export function checksum(sections: ReadonlyMap<string, string> | Record<string, string>): string {
  const entries = (sections instanceof Map ? [...sections] : Object.entries(sections)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let hash = 0x811c9dc5;
  let length = 0;
  for (const [name, content] of entries) {
    for (const text of [name, '\u0000', content, '\u0001']) {
      length += text.length;
      for (let i = 0; i < text.length; i++) {
        hash ^= text.charCodeAt(i);
        hash = Math.imul(hash, 0x01000193);
      }
    }
  }
  return `${entries.length}:${length}:${(hash >>> 0).toString(16)}`;
}
