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
