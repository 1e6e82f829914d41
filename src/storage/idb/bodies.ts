/**
 * Large sections keep their content out of the row that every commit rewrites.
 *
 * A section row (`sections` store, key [sessionId, pad, section]) normally holds the whole `SectionRecord`, content
 * included, and every commit puts it again. That is cheapest for small sections, but a section of n characters then
 * costs O(n) per commit twice over (the version check reads the row back, the put writes it), so an append log costs
 * O(n²) over its life. Past `INLINE_LIMIT` characters the row becomes a *head*: the record without its content, plus
 * `deferred`, which says which version of the content is stored in the section's *body* row (same store, key
 * [sessionId, pad, section, 0], right after the head in key order). Commits then put only the small head; the history
 * entries they write anyway carry the patches from the body's version to the current one, and readers apply them.
 * The body is written again (and the debt reset) when the patches since it reach `MAX_DEFERRED_VERSIONS` versions or
 * outweigh `max(MIN_DEFERRED_BYTES, content length)`: O(1) amortised per write, and reading a section applies a
 * bounded number of patches to one stored copy.
 */
import { ScratchpadError } from '../../core/errors.js';
import { countLines, rememberLineCount, splitLineTokens } from '../../core/lines.js';
import { applyPatchToTokens } from '../../core/patch-read.js';
import type { HistoryEntry, SectionRecord } from '../../core/types.js';

/** Content of at most this many UTF-16 code units stays in the row. */
export const INLINE_LIMIT = 16 * 1024;
export const MAX_DEFERRED_VERSIONS = 256;
export const MIN_DEFERRED_BYTES = 64 * 1024;

/** Where a head's content is: the body holds version `version`; `count` versions and `bytes` of patches follow it. */
export interface Deferred {
  readonly version: number;
  readonly count: number;
  readonly bytes: number;
}

export type SectionHead = Omit<SectionRecord, 'content'> & { readonly deferred: Deferred };

/** The content of version `body` of a section whose row is a head, and its number of lines. */
export interface StoredBody {
  readonly body: number;
  readonly content: string;
  readonly lines?: number;
}

/** What the `sections` store holds: rows (whole records or heads) and bodies. */
export type StoredSectionValue = SectionRecord | SectionHead | StoredBody;

export type BodyKeyPath = [sessionId: string, pad: string, section: string, body: 0];

export function bodyKey(sessionId: string, pad: string, section: string): BodyKeyPath {
  return [sessionId, pad, section, 0];
}

export function isBody(value: StoredSectionValue): value is StoredBody {
  return typeof (value as Partial<StoredBody>).body === 'number';
}

export function isHead(value: StoredSectionValue | undefined): value is SectionHead {
  return value !== undefined && (value as Partial<SectionHead>).deferred !== undefined;
}

export function headOf(record: SectionRecord, deferred: Deferred): SectionHead {
  const { content: _content, ...head } = record;
  return { ...head, deferred };
}

export function recordOf(head: SectionHead, content: string): SectionRecord {
  const { deferred: _deferred, ...record } = head;
  return { ...record, content } as SectionRecord;
}

function corrupt(head: SectionHead, what: string): ScratchpadError {
  return new ScratchpadError('STORAGE_UNAVAILABLE', `The stored content of '${head.pad}.${head.section}' is incomplete: ${what}.`, {
    pad: head.pad,
    section: head.section,
  });
}

/** The head's current content: its body with the patches of `entries` (versions after the body's, ascending) applied. */
export function replayHead(head: SectionHead, body: StoredBody | undefined, entries: readonly HistoryEntry[]): SectionRecord {
  const { deferred } = head;
  if (!body || body.body !== deferred.version) throw corrupt(head, `no stored copy of version ${deferred.version}`);
  if (deferred.version === head.version) {
    const record = recordOf(head, body.content);
    if (body.lines !== undefined) rememberLineCount(record, body.lines);
    return record;
  }
  if (entries.length !== head.version - deferred.version || entries.some((e, i) => e.version !== deferred.version + 1 + i)) {
    throw corrupt(head, `history between versions ${deferred.version} and ${head.version} is missing`);
  }
  const record = recordOf(head, applyAll(body.content, body.lines, entries));
  if (body.lines !== undefined) {
    let lines = body.lines;
    for (const entry of entries) {
      for (const hunk of entry.patch.hunks) {
        for (const line of hunk.lines) {
          const kind = line.charCodeAt(0);
          if (kind === 43 /* '+' */) lines++;
          else if (kind === 45 /* '-' */) lines--;
        }
      }
    }
    rememberLineCount(record, lines);
  }
  return record;
}

/**
 * `entries`' patches applied in order to `content`. No hunk starts before line `first` (0-based) of its input, and by
 * induction the lines before `first` are the same in every intermediate version: only the text after them is split
 * and patched (for an append log, its last line), with the hunks moved up by `first` lines. When the number of lines
 * is known and `first` is nearer the end, the start of that tail is found from the end.
 */
function applyAll(content: string, lines: number | undefined, entries: readonly HistoryEntry[]): string {
  let first = Infinity;
  for (const entry of entries) for (const hunk of entry.patch.hunks) first = Math.min(first, hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1);
  let offset = 0;
  let skipped = 0;
  if (Number.isFinite(first) && lines !== undefined && first > lines - first && first <= lines) {
    // Line `first` starts after the newline that ends line `first - 1`: the (lines - first)-th newline from the end,
    // not counting a final one.
    let at = content.length - 1;
    if (content.charCodeAt(at) === 10) at--;
    let newline = at + 1;
    for (let k = 0; k < lines - first && newline !== -1; k++) newline = content.lastIndexOf('\n', newline - 1);
    if (newline !== -1 || first === 0) {
      offset = newline + 1;
      skipped = first;
    }
  } else if (Number.isFinite(first)) {
    for (; skipped < first; skipped++) {
      const newline = content.indexOf('\n', offset);
      if (newline === -1) break;
      offset = newline + 1;
    }
  }
  const tokens = splitLineTokens(offset === 0 ? content : content.slice(offset));
  for (const entry of entries) {
    const patch = skipped === 0 ? entry.patch : { ...entry.patch, hunks: entry.patch.hunks.map((hunk) => ({ ...hunk, oldStart: hunk.oldStart - skipped, newStart: hunk.newStart - skipped })) };
    applyPatchToTokens(tokens, patch);
  }
  return offset === 0 ? tokens.join('') : content.slice(0, offset) + tokens.join('');
}

/**
 * What a commit stores for a large record, given the row it replaces (already checked to be at `expectedVersion`) and
 * the history entries of this section in the same batch: a head that extends the stored body's debt, or a new body.
 */
export function planLargeRow(
  record: SectionRecord,
  stored: StoredSectionValue | undefined,
  expectedVersion: number,
  span: { from: number; to: number; count: number; bytes: number } | undefined,
): { head: SectionHead; body?: StoredBody } {
  const previous = isHead(stored) ? stored.deferred : undefined;
  const contiguous =
    span !== undefined && span.from === expectedVersion + 1 && span.to === record.version && span.count === record.version - expectedVersion;
  if (previous && contiguous) {
    const count = previous.count + span.count;
    const bytes = previous.bytes + span.bytes;
    if (count <= MAX_DEFERRED_VERSIONS && bytes <= Math.max(MIN_DEFERRED_BYTES, record.content.length)) {
      return { head: headOf(record, { version: previous.version, count, bytes }) };
    }
  }
  const body = { body: record.version, content: record.content, lines: countLines(record.content) };
  return { head: headOf(record, { version: record.version, count: 0, bytes: 0 }), body };
}
