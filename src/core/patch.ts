// The one module we use, not the package index: the index keeps every diff flavour (words, JSON, CSS…) alive in a bundle.
import { diffArrays } from 'diff/lib/diff/array.js';
import type { DiffStats, StructuredPatch } from './types.js';
import { countLines, splitLineTokens } from './lines.js';

type Hunk = StructuredPatch['hunks'][number];

export const NO_NEWLINE = '\\ No newline at end of file';

/**
 * Limits of the line diff. Like jsdiff's own `timeout` and `maxEditLength`: when the diff of the changed middle would
 * cost more, the middle is replaced as a whole. The patch is then larger than minimal but still exact, and a write never
 * hangs on a pathological input.
 */
export interface DiffLimits {
  /** Milliseconds jsdiff may spend on one diff. Default 50. */
  readonly timeoutMs: number;
  /** Largest edit distance (in lines) jsdiff explores. Default 5,000. */
  readonly maxEditLength: number;
}

export const DEFAULT_DIFF_LIMITS: DiffLimits = { timeoutMs: 50, maxEditLength: 5_000 };

/**
 * What the caller already knows about how the new text relates to the old one. An append is diffed from the added
 * text and the old last line alone, without reading (or flattening) the whole section: n appends cost O(total
 * appended), never O(n × size). A prepend skips the prefix search.
 */
export type ChangeShape =
  | {
      readonly kind: 'appended';
      readonly oldLineCount: number;
      /** The old content after its last '\n' ('' when it ends with one). */
      readonly oldTail: string;
      /** Exactly what was added at the end, separator included. */
      readonly added: string;
    }
  | { readonly kind: 'prepended' }
  | { readonly kind: 'unknown' };

export interface ComputedPatch {
  readonly patch: StructuredPatch;
  readonly stats: DiffStats;
  /** What the patch costs to keep, as `patchSize` counts it. */
  readonly size: number;
}

interface Segment {
  readonly type: ' ' | '-' | '+';
  readonly tokens: readonly string[];
}

/** Zero-context by default: the compact form kept in history and shown in write messages. */
export function computePatch(
  oldText: string,
  newText: string,
  options: {
    shape?: ChangeShape;
    context?: number;
    limits?: DiffLimits;
    oldName?: string;
    newName?: string;
    /** Lines of `oldText` if known: then only the shorter side of the change is scanned to number the hunks. */
    oldLineCount?: number | undefined;
    /** `commonPrefixLength(oldText, newText)` if the caller has it already (an unknown shape only). */
    prefixLength?: number | undefined;
  } = {},
): ComputedPatch {
  const context = options.context ?? 0;
  const shape = options.shape ?? UNKNOWN;
  const limits = options.limits ?? DEFAULT_DIFF_LIMITS;
  const oldName = options.oldName ?? '';
  const newName = options.newName ?? '';

  if (shape.kind === 'appended' && context === 0) {
    const prefixLines = shape.oldLineCount - (shape.oldTail === '' ? 0 : 1);
    const oldTokens = shape.oldTail === '' ? [] : [shape.oldTail];
    const hunks = buildHunks(diffMiddle(oldTokens, splitLineTokens(shape.oldTail + shape.added), limits), prefixLines + 1, prefixLines + 1, 0);
    return measured(oldName, newName, hunks);
  }

  // The common prefix and suffix, cut at line starts: only the middle is ever diffed.
  let prefixEnd: number;
  if (shape.kind === 'appended') prefixEnd = oldText.length;
  else if (shape.kind === 'prepended') prefixEnd = 0;
  else prefixEnd = options.prefixLength ?? commonPrefixLength(oldText, newText);
  prefixEnd = lineStartAtOrBefore(oldText, prefixEnd);

  let suffixLength =
    shape.kind === 'prepended' ? oldText.length : shape.kind === 'appended' ? 0 : (oneLineSuffix(oldText, newText, prefixEnd) ?? commonSuffixLength(oldText, newText, prefixEnd));
  suffixLength = Math.min(suffixLength, oldText.length - prefixEnd, newText.length - prefixEnd);
  suffixLength = alignSuffix(oldText, newText, suffixLength);

  const oldMiddle = oldText.slice(prefixEnd, oldText.length - suffixLength);
  const newMiddle = newText.slice(prefixEnd, newText.length - suffixLength);
  const prefixLines =
    options.oldLineCount !== undefined && prefixEnd > oldText.length / 2
      ? options.oldLineCount - countLines(oldText, prefixEnd)
      : countLines(oldText, 0, prefixEnd);

  let startLine = prefixLines + 1;
  if (context === 0) {
    // The most common write: one line replaced by one line. Its hunk is built directly, as buildHunks would build it.
    const one = oneLineHunk(oldMiddle, newMiddle, startLine);
    if (one) return measured(oldName, newName, [one]);
  }
  const segments: Segment[] = [];
  if (context > 0 && prefixEnd > 0) {
    const before = lastLines(oldText.slice(0, prefixEnd), context);
    segments.push({ type: ' ', tokens: before });
    startLine -= before.length;
  }
  segments.push(...diffMiddle(splitLineTokens(oldMiddle), splitLineTokens(newMiddle), limits));
  if (context > 0 && suffixLength > 0) {
    segments.push({ type: ' ', tokens: firstLines(oldText.slice(oldText.length - suffixLength), context) });
  }

  const hunks = buildHunks(segments, startLine, startLine, context);
  return measured(oldName, newName, hunks);
}

const UNKNOWN: ChangeShape = { kind: 'unknown' };

/** The result as one literal (no spreads: this runs on every write). */
function measured(oldFileName: string, newFileName: string, hunks: Hunk[]): ComputedPatch {
  let added = 0;
  let removed = 0;
  let size = 0;
  for (const hunk of hunks) {
    for (const line of hunk.lines) {
      const kind = line.charCodeAt(0);
      if (kind === 43 /* + */) added++;
      else if (kind === 45 /* - */) removed++;
      size += line.length + 1;
    }
  }
  return { patch: { oldFileName, newFileName, oldHeader: undefined, newHeader: undefined, hunks }, stats: { added, removed }, size };
}

/** The text after the last '\n': the part of a line that the next append continues or terminates. */
export function tailOf(text: string): string {
  return text.slice(text.lastIndexOf('\n') + 1);
}

// Both searches bisect with native compares: comparing two O(1) substrings is one memcmp, so a one-line edit of a
// long section costs about log2(length) native compares instead of a JavaScript loop over every character.
const LINEAR_TAIL = 32;

export function commonPrefixLength(a: string, b: string): number {
  // Invariant: a and b agree on [0, lo); they differ somewhere in [lo, hi) unless hi is the shorter length.
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (hi - lo > LINEAR_TAIL) {
    const mid = (lo + hi) >>> 1;
    if (a.slice(lo, mid) === b.slice(lo, mid)) lo = mid;
    else hi = mid;
  }
  while (lo < hi && a.charCodeAt(lo) === b.charCodeAt(lo)) lo++;
  return lo;
}

function commonSuffixLength(a: string, b: string, notBefore: number): number {
  const aEnd = a.length;
  const bEnd = b.length;
  let lo = 0;
  let hi = Math.min(aEnd, bEnd) - notBefore;
  while (hi - lo > LINEAR_TAIL) {
    const mid = (lo + hi) >>> 1;
    if (a.slice(aEnd - mid, aEnd - lo) === b.slice(bEnd - mid, bEnd - lo)) lo = mid;
    else hi = mid;
  }
  while (lo < hi && a.charCodeAt(aEnd - 1 - lo) === b.charCodeAt(bEnd - 1 - lo)) lo++;
  return lo;
}

/**
 * The suffix after the line at `lineStart` in each text, if that is all they have in common after it: one compare
 * instead of a search for the most common change, one line replaced. The result is what the search and `alignSuffix`
 * give: a longer common suffix would reach into the two lines, which differ (checked: the common prefix stops before
 * two equal lines only when they are unterminated), so aligning it to a line start brings it back to the end of those lines. Undefined when the rests
 * differ (then search).
 */
function oneLineSuffix(a: string, b: string, lineStart: number): number | undefined {
  const aNl = a.indexOf('\n', lineStart);
  const bNl = b.indexOf('\n', lineStart);
  const aEnd = aNl === -1 ? a.length : aNl + 1;
  const bEnd = bNl === -1 ? b.length : bNl + 1;
  const rest = a.length - aEnd;
  if (rest !== b.length - bEnd) return undefined;
  // Equal lines happen only for an unterminated last line that both texts end with: the prefix stops before it.
  if (aEnd - lineStart === bEnd - lineStart && a.slice(lineStart, aEnd) === b.slice(lineStart, bEnd)) return undefined;
  return rest === 0 || a.slice(aEnd) === b.slice(bEnd) ? rest : undefined;
}

function lineStartAtOrBefore(text: string, index: number): number {
  if (index === 0 || text.charCodeAt(index - 1) === 10) return index;
  return text.lastIndexOf('\n', index - 1) + 1;
}

/** The hunk of one whole line replaced by another (each a single line token), or undefined if that is not the change. */
function oneLineHunk(oldLine: string, newLine: string, start: number): Hunk | undefined {
  if (oldLine === '' || newLine === '' || oldLine === newLine) return undefined;
  const oldNl = oldLine.indexOf('\n');
  const newNl = newLine.indexOf('\n');
  if ((oldNl !== -1 && oldNl !== oldLine.length - 1) || (newNl !== -1 && newNl !== newLine.length - 1)) return undefined;
  const lines: string[] = [];
  if (oldNl === -1) lines.push('-' + oldLine, NO_NEWLINE);
  else lines.push('-' + oldLine.slice(0, -1));
  if (newNl === -1) lines.push('+' + newLine, NO_NEWLINE);
  else lines.push('+' + newLine.slice(0, -1));
  return { oldStart: start, oldLines: 1, newStart: start, newLines: 1, lines };
}

/** Shrinks a common suffix until it starts a line in both texts. */
function alignSuffix(oldText: string, newText: string, length: number): number {
  if (length === 0) return 0;
  const oldStart = oldText.length - length;
  const newStart = newText.length - length;
  if ((oldStart === 0 || oldText.charCodeAt(oldStart - 1) === 10) && (newStart === 0 || newText.charCodeAt(newStart - 1) === 10)) return length;
  // Inside the common suffix both texts agree, so the first '\n' there ends a line in both.
  const nl = oldText.indexOf('\n', oldStart);
  return nl === -1 ? 0 : oldText.length - (nl + 1);
}

function lastLines(text: string, count: number): string[] {
  let start = text.length;
  for (let i = 0; i < count && start > 0; i++) start = (start >= 2 ? text.lastIndexOf('\n', start - 2) : -1) + 1;
  return splitLineTokens(text.slice(start));
}

function firstLines(text: string, count: number): string[] {
  let end = 0;
  for (let i = 0; i < count && end < text.length; i++) {
    const nl = text.indexOf('\n', end);
    end = nl === -1 ? text.length : nl + 1;
  }
  return splitLineTokens(text.slice(0, end));
}

function diffMiddle(oldTokens: string[], newTokens: string[], limits: DiffLimits): Segment[] {
  if (oldTokens.length === 0 && newTokens.length === 0) return [];
  if (oldTokens.length === 0) return [{ type: '+', tokens: newTokens }];
  if (newTokens.length === 0) return [{ type: '-', tokens: oldTokens }];
  const replaceAll: Segment[] = [
    { type: '-', tokens: oldTokens },
    { type: '+', tokens: newTokens },
  ];
  // A single line on one side (the common one-line edit) or no line in common: the minimal diff is the whole
  // replacement, or a search not worth its cost. Either way skip the O(N·D) search outright.
  if ((oldTokens.length === 1 && newTokens.length === 1) || !sharesAnyLine(oldTokens, newTokens)) return replaceAll;
  const changes = diffArrays(oldTokens, newTokens, { timeout: limits.timeoutMs, maxEditLength: limits.maxEditLength });
  if (changes === undefined) return replaceAll;
  return changes.map((c) => ({ type: c.added ? '+' : c.removed ? '-' : ' ', tokens: c.value }));
}

function sharesAnyLine(a: readonly string[], b: readonly string[]): boolean {
  const [small, large] = a.length <= b.length ? [a, b] : [b, a];
  const seen = new Set(small);
  for (const token of large) if (seen.has(token)) return true;
  return false;
}

function pushTokens(lines: string[], type: ' ' | '-' | '+', tokens: readonly string[]): void {
  for (const token of tokens) {
    if (token.endsWith('\n')) lines.push(type + token.slice(0, -1));
    else lines.push(type + token, NO_NEWLINE);
  }
}

/** Groups segments into unified-diff hunks with `context` lines around each change (GNU conventions for empty ranges). */
function buildHunks(segments: readonly Segment[], oldStartLine: number, newStartLine: number, context: number): Hunk[] {
  const hunks: Hunk[] = [];
  let oldLine = oldStartLine;
  let newLine = newStartLine;
  let current: { oldStart: number; newStart: number; oldLines: number; newLines: number; lines: string[] } | undefined;

  const close = () => {
    if (!current) return;
    hunks.push({
      oldStart: current.oldLines === 0 ? current.oldStart - 1 : current.oldStart,
      oldLines: current.oldLines,
      newStart: current.newLines === 0 ? current.newStart - 1 : current.newStart,
      newLines: current.newLines,
      lines: current.lines,
    });
    current = undefined;
  };

  segments.forEach((segment, index) => {
    const count = segment.tokens.length;
    if (count === 0) return;
    if (segment.type === ' ') {
      if (current) {
        const isLast = index === segments.length - 1;
        const keep = !isLast && count <= 2 * context ? count : Math.min(context, count);
        pushTokens(current.lines, ' ', segment.tokens.slice(0, keep));
        current.oldLines += keep;
        current.newLines += keep;
        if (keep < count || isLast) close();
      }
      oldLine += count;
      newLine += count;
      return;
    }
    if (!current) {
      const previous = segments[index - 1];
      const lead = previous && previous.type === ' ' ? previous.tokens.slice(Math.max(0, previous.tokens.length - context)) : [];
      current = { oldStart: oldLine - lead.length, newStart: newLine - lead.length, oldLines: lead.length, newLines: lead.length, lines: [] };
      pushTokens(current.lines, ' ', lead);
    }
    pushTokens(current.lines, segment.type, segment.tokens);
    if (segment.type === '-') {
      current.oldLines += count;
      oldLine += count;
    } else {
      current.newLines += count;
      newLine += count;
    }
  });
  close();
  return hunks;
}

/** Unified diff text of the hunks alone, as shown inside a write message. */
export function formatHunks(patch: StructuredPatch): string {
  const out: string[] = [];
  for (const hunk of patch.hunks) {
    out.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) out.push(line);
  }
  return out.join('\n');
}

// Applying, measuring and formatting whole patches live in patch-read.ts: only reads of history need them, and they stay
// out of the up-front bundle. Re-exported for the modules that import them from here.
