import type { HistoryEntry, StructuredPatch } from '../core/types.js';

/** `'pad.section'`, as the scratchpad's own messages name a section. */
export function sectionName(pad: string, section: string): string {
  return `'${pad}.${section}'`;
}

/**
 * Cuts a diff to `max` lines and says how much was left out. Models pay for every line, and a rewrite of a large
 * section would otherwise flood the context (the old manager capped at 50 lines too).
 */
export function capLines(lines: readonly string[], max: number): string[] {
  if (lines.length <= max) return [...lines];
  const hidden = lines.length - max;
  return [...lines.slice(0, max), `... (${hidden} more diff line${hidden === 1 ? '' : 's'} not shown)`];
}

/** A diff body as a fenced block, capped. */
export function fencedDiff(lines: readonly string[], max: number): string {
  return ['```diff', ...capLines(lines, max), '```'].join('\n');
}

/** Caps the fenced diff blocks inside a scratchpad message (a `WriteResult.message`), keeping the rest as it is. */
export function capMessage(message: string, max: number): string {
  const lines = message.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    out.push(line);
    i++;
    if (line !== '```diff') continue;
    const body: string[] = [];
    // A diff line always starts with '+', '-', ' ', '@' or '\', so a bare fence can only be the closing one.
    while (i < lines.length && lines[i] !== '```') body.push(lines[i++]!);
    out.push(...capLines(body, max));
  }
  return out.join('\n');
}

/**
 * The hunks of a unified diff text without its file headers (`Index:`, `===`, `---`, `+++`): the model already knows
 * which section it asked about, and the headers would only cost lines of the cap.
 */
export function diffBody(text: string): string[] {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => line.startsWith('@@'));
  if (first === -1) return [];
  const body = lines.slice(first);
  while (body.length > 0 && body[body.length - 1] === '') body.pop();
  return body;
}

/** Hunks of a stored patch, for when the scratchpad cannot rebuild a diff (history dropped by retention). */
export function patchBody(patch: StructuredPatch): string[] {
  const out: string[] = [];
  // The scratchpad stores hunks in unified-diff numbering already (an empty range named by the line before it).
  for (const hunk of patch.hunks) {
    out.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`, ...hunk.lines);
  }
  return out;
}

/** Who made a run of versions: `writer (v4 append, v5 edit), reviewer (v6 replace)`. */
export function authors(entries: readonly HistoryEntry[]): string {
  const byAgent = new Map<string, string[]>();
  for (const entry of entries) {
    const list = byAgent.get(entry.agent) ?? [];
    list.push(`v${entry.version} ${opName(entry.op)}`);
    byAgent.set(entry.agent, list);
  }
  return [...byAgent].map(([agent, versions]) => `${agent} (${shorten(versions)})`).join(', ');
}

function shorten(items: readonly string[]): string {
  return items.length <= 6 ? items.join(', ') : `${items.slice(0, 3).join(', ')}, … ${items.slice(-2).join(', ')}`;
}

export function opName(op: HistoryEntry['op']): string {
  return op.startsWith('write_') ? op.slice('write_'.length) : op;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function isoTime(timestamp: number): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toISOString();
}

/** Lines as the scratchpad counts them: `'a\nb\n'` has two, `'a\nb'` two, `''` none. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return text.endsWith('\n') ? count : count + 1;
}
