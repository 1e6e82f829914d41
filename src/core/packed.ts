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
   * Hunks as `[oldStart, oldLines, newStart, newLines, 2, lines]`, the lines joined by '\n', with `\ No newline at end
   * of file` as a lone '\\'. When a hunk starts by terminating an unterminated last line (what every append to such
   * content does: `-X`, `\\`, `+X`), the 5th item is 3 and `-X` is not stored: X is the same text as the `+X` that
   * follows. Older entries hold `[oldStart, oldLines, newStart, newLines, ...lines]` (or `1, ...lines` when
   * re-terminating); they still unpack.
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

/** Marks a hunk whose lines are joined into one string (5th item 2; 3 when it also starts by re-terminating). */
const JOINED = 2;
const JOINED_RETERMINATED = 3;

/**
 * A hunk's lines are stored joined by '\n' in one string (a patch line never holds '\n'): one flat string instead of
 * one per line, which is what a kept history mostly is in memory. Entries packed before that (one item per line, the
 * 5th item 1 when re-terminating) still unpack.
 */
function packHunk(h: StructuredPatch['hunks'][number]): (number | string)[] {
  const lines = h.lines;
  const [removed, marker, added] = lines;
  const reterminated = removed?.startsWith('-') && marker === NO_NEWLINE && added?.startsWith('+') && removed.slice(1) === added.slice(1);
  const kept: string[] = [];
  for (let i = reterminated ? 2 : 0; i < lines.length; i++) kept.push(lines[i] === NO_NEWLINE ? '\\' : lines[i]!);
  // join makes one flat string (a `+` concatenation would keep a rope of the parts alive).
  const joined = kept.join('\n');
  return [h.oldStart, h.oldLines, h.newStart, h.newLines, reterminated ? JOINED_RETERMINATED : JOINED, joined];
}

function unpackHunk(h: readonly (number | string)[]): StructuredPatch['hunks'][number] {
  // Plain loops: rebuilding an old version unpacks up to a checkpoint interval of entries per call.
  const kind = h[4];
  const items: readonly (number | string)[] = kind === JOINED || kind === JOINED_RETERMINATED ? (h[5] === '' ? [] : (h[5] as string).split('\n')) : h;
  const reterminated = kind === 1 || kind === JOINED_RETERMINATED;
  const first = kind === JOINED || kind === JOINED_RETERMINATED ? 0 : reterminated ? 5 : 4;
  const lines: string[] = [];
  if (reterminated) lines.push('-' + (items[first] as string).slice(1), NO_NEWLINE);
  for (let i = first; i < items.length; i++) {
    const line = items[i] as string;
    lines.push(line === '\\' ? NO_NEWLINE : line);
  }
  return { oldStart: h[0] as number, oldLines: h[1] as number, newStart: h[2] as number, newLines: h[3] as number, lines };
}

export function unpackEntry(packed: PackedEntry, sessionId: string, pad: string, section: string, idPrefix?: string): HistoryEntry {
  const hunks: StructuredPatch['hunks'] = [];
  for (const h of packed.h) hunks.push(unpackHunk(h));
  const patch: StructuredPatch = { oldFileName: '', newFileName: '', oldHeader: undefined, newHeader: undefined, hunks };
  const op = OPS_BY_CODE.get(packed.o);
  if (!op) throw new Error(`Unknown packed op ${JSON.stringify(packed.o)}`);
  return {
    id: idPrefix === undefined ? historyEntryId(pad, section, packed.v) : idPrefix + packed.v,
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
