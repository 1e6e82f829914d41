import type { StructuredPatch } from '../core/types.js';

export type DiffRowKind = 'hunk' | 'context' | 'add' | 'remove' | 'note';

/** One line of a unified diff as displayed: its kind, the line numbers on either side, and its text without the sign. */
export interface DiffRow {
  readonly kind: DiffRowKind;
  readonly oldLine?: number;
  readonly newLine?: number;
  readonly text: string;
}

/** Rows for a patch: a header per hunk, then its lines numbered on the old side, the new side, or both. */
export function diffRows(patch: StructuredPatch): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const hunk of patch.hunks) {
    rows.push({ kind: 'hunk', text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
    // A hunk that adds to or removes from an empty side starts "at" line 0 of that side: its first line is line 1.
    let oldLine = Math.max(hunk.oldStart, 1);
    let newLine = Math.max(hunk.newStart, 1);
    for (const line of hunk.lines) {
      const sign = line[0];
      const text = line.slice(1);
      if (sign === '+') rows.push({ kind: 'add', newLine: newLine++, text });
      else if (sign === '-') rows.push({ kind: 'remove', oldLine: oldLine++, text });
      else if (sign === '\\') rows.push({ kind: 'note', text: line.slice(2) || text });
      else rows.push({ kind: 'context', oldLine: oldLine++, newLine: newLine++, text });
    }
  }
  return rows;
}

/**
 * Rows as a person reads them: "\ No newline at end of file" only when the newline is the whole change. When text is
 * appended to a last line that had no newline, the patch removes and re-adds that line only to end it; that pair is
 * shown as the unchanged line it is.
 */
export function readableDiffRows(patch: StructuredPatch): DiffRow[] {
  const rows: DiffRow[] = [];
  let hunk: DiffRow[] = [];
  const flush = () => {
    rows.push(...tidyHunk(hunk));
    hunk = [];
  };
  for (const row of diffRows(patch)) {
    if (row.kind === 'hunk') flush();
    hunk.push(row);
  }
  flush();
  return rows;
}

function tidyHunk(rows: DiffRow[]): DiffRow[] {
  if (!rows.some((row) => row.kind === 'note')) return rows;
  // Which add/remove rows lack a final newline: the note follows the line it is about.
  const noEol = new Set<DiffRow>();
  rows.forEach((row, i) => {
    if (row.kind === 'note' && i > 0) noEol.add(rows[i - 1]!);
  });
  const removed = rows.filter((row) => row.kind === 'remove');
  const added = rows.filter((row) => row.kind === 'add');
  const pairs = new Map<DiffRow, DiffRow>();
  for (const r of removed) {
    const a = added.find((candidate) => candidate.text === r.text && noEol.has(candidate) !== noEol.has(r) && ![...pairs.values()].includes(candidate));
    if (a) pairs.set(r, a);
  }
  // Nothing but newline changes: the newline is the change, keep the notes that say so.
  if (pairs.size === removed.length && pairs.size === added.length) return rows;
  const merged = new Map<DiffRow, DiffRow>();
  for (const [r, a] of pairs) merged.set(a, { kind: 'context', oldLine: r.oldLine, newLine: a.newLine, text: a.text });
  const out: DiffRow[] = [];
  for (const row of rows) {
    if (row.kind === 'note' || pairs.has(row)) continue;
    out.push(merged.get(row) ?? row);
  }
  return out;
}

/**
 * A unified diff's text (as tools print it in a ```diff block) back into a patch, for `DiffView`. File headers are
 * skipped; lines before the first hunk header are ignored.
 */
export function parseUnifiedDiff(text: string): StructuredPatch {
  const hunks: StructuredPatch['hunks'] = [];
  let current: { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (header) {
      current = { oldStart: Number(header[1]), oldLines: Number(header[2] ?? 1), newStart: Number(header[3]), newLines: Number(header[4] ?? 1), lines: [] };
      hunks.push(current);
    } else if (current && (line.startsWith(' ') || line.startsWith('+') || line.startsWith('-') || line.startsWith('\\'))) {
      current.lines.push(line);
    }
  }
  return { oldFileName: '', newFileName: '', oldHeader: undefined, newHeader: undefined, hunks };
}
