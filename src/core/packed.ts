import { NO_NEWLINE, patchStats } from './patch.js';
import type { HistoryEntry, HistoryOp, StructuredPatch } from './types.js';
import { historyEntryId } from './change.js';

/**
 * The compact form in which adapters may keep a history entry. Session, pad, section and id are implied by where the
 * entry is stored, stats are recounted from the hunks, and each hunk is one flat array. For a one-line append this
 * is about 70 bytes of JSON plus the line, instead of about 300: history stays proportional to the text it holds.
 */
export interface PackedEntry {
  readonly v: number;
  /** The op, as a one-letter code. */
  readonly o: string;
  readonly a: string;
  readonly t: number;
  /**
   * Hunks as `[oldStart, oldLines, newStart, newLines, ...lines]`, with `\ No newline at end of file` as a lone '\\'.
   * When a hunk starts by terminating an unterminated last line (what every append to such content does: `-X`, `\\`,
   * `+X`), the 5th item is the number 1 and `-X` is not stored: X is the same text as the `+X` that follows.
   */
  readonly h: readonly (readonly (number | string)[])[];
  /** Present (1) when a sync server marked the entry as an unclean merge. */
  readonly c?: 1;
}

const OP_CODES: Record<HistoryOp, string> = {
  write_replace: 'r',
  write_append: 'a',
  write_prepend: 'p',
  edit: 'e',
  revert: 'v',
  delete: 'd',
};
const OPS_BY_CODE = new Map(Object.entries(OP_CODES).map(([op, code]) => [code, op as HistoryOp]));

export function packEntry(entry: HistoryEntry): PackedEntry {
  return {
    v: entry.version,
    o: OP_CODES[entry.op],
    a: entry.agent,
    t: entry.timestamp,
    h: entry.patch.hunks.map(packHunk),
    ...(entry.conflict ? { c: 1 as const } : {}),
  };
}

function packHunk(h: StructuredPatch['hunks'][number]): (number | string)[] {
  const lines = h.lines.map((line) => (line === NO_NEWLINE ? '\\' : line));
  const [removed, marker, added] = lines;
  const reterminated = removed?.startsWith('-') && marker === '\\' && added?.startsWith('+') && removed.slice(1) === added.slice(1);
  return reterminated ? [h.oldStart, h.oldLines, h.newStart, h.newLines, 1, ...lines.slice(2)] : [h.oldStart, h.oldLines, h.newStart, h.newLines, ...lines];
}

function unpackHunk(h: readonly (number | string)[]): StructuredPatch['hunks'][number] {
  let lines = (h[4] === 1 ? h.slice(5) : h.slice(4)) as string[];
  if (h[4] === 1) lines = ['-' + lines[0]!.slice(1), '\\', ...lines];
  return {
    oldStart: h[0] as number,
    oldLines: h[1] as number,
    newStart: h[2] as number,
    newLines: h[3] as number,
    lines: lines.map((line) => (line === '\\' ? NO_NEWLINE : line)),
  };
}

export function unpackEntry(packed: PackedEntry, sessionId: string, pad: string, section: string): HistoryEntry {
  const hunks = packed.h.map(unpackHunk);
  const patch: StructuredPatch = { oldFileName: '', newFileName: '', oldHeader: undefined, newHeader: undefined, hunks };
  const op = OPS_BY_CODE.get(packed.o);
  if (!op) throw new Error(`Unknown packed op ${JSON.stringify(packed.o)}`);
  return {
    id: historyEntryId(pad, section, packed.v),
    sessionId,
    pad,
    section,
    version: packed.v,
    op,
    agent: packed.a,
    timestamp: packed.t,
    patch,
    stats: patchStats(hunks),
    ...(packed.c ? { conflict: true } : {}),
  };
}
