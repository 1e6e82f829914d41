import { prependSeparator } from './content.js';
import { ScratchpadError } from './errors.js';
import { countLines, knownLineCount, utf8Length } from './lines.js';
import { headline, writeMessage } from './format.js';
import { EMPTY_CHAIN, planCheckpoint } from './history.js';
import { computePatch, tailOf, type ChangeShape, type DiffLimits } from './patch.js';
import type { HistoryEntry, HistoryOp, ScratchpadLimits, SectionRecord, SnapshotRecord, WriteMode, WriteResult } from './types.js';

/** A section as the scratchpad holds it in memory: the stored row plus figures that are costly to recount. */
export interface LiveSection {
  readonly record: SectionRecord;
  readonly lineCount: number;
  /** The content after its last '\n', so that an append never reads the whole content. */
  readonly tail: string;
  /**
   * UTF-8 bytes of the content, once they have been counted. Counting is skipped while 3 × the UTF-16 length (an upper
   * bound) is within the limit, so ordinary writes never scan the content just to check its size.
   */
  readonly bytes: number | undefined;
}

export interface PlannedChange {
  readonly before: LiveSection | undefined;
  readonly after: LiveSection;
  readonly entry: HistoryEntry;
  readonly snapshots: readonly SnapshotRecord[];
  /** For an append: the text as written, before the separator (sync sends it, and the server applies the rule). */
  readonly appended?: string | undefined;
}

export interface ChangePlan {
  readonly result: WriteResult;
  /** Undefined when the write changed nothing. */
  readonly change: PlannedChange | undefined;
}

export interface ChangeInput {
  readonly sessionId: string;
  readonly pad: string;
  readonly section: string;
  /** The current row, a tombstone, or undefined for a section never written. */
  readonly before: LiveSection | undefined;
  readonly content: string;
  /** UTF-8 bytes of `content` when the caller could compute them cheaply. */
  readonly bytes: number | undefined;
  readonly op: HistoryOp;
  readonly mode: WriteResult['mode'];
  readonly agent: string;
  readonly timestamp: number;
  readonly shape: ChangeShape;
  readonly expectedVersion: number | undefined;
  readonly limits: ScratchpadLimits;
  readonly diffLimits: DiffLimits;
  readonly checkpointEvery: number;
  // `| undefined` so that callers can pass every field in one literal (no conditional spreads on the write path).
  readonly revertedTo?: number | undefined;
  readonly appended?: string | undefined;
}

/** What stays the same for every change of one scratchpad: planned against it, a change needs only its own fields. */
export interface PlanContext {
  readonly sessionId: string;
  readonly limits: ScratchpadLimits;
  readonly diffLimits: DiffLimits;
  readonly checkpointEvery: number;
}

/** The fields of one change; `PlanContext` supplies the rest of a `ChangeInput`. */
export type ChangeFields = Omit<ChangeInput, keyof PlanContext | 'bytes' | 'shape' | 'expectedVersion'> & {
  readonly bytes?: number | undefined;
  readonly shape?: ChangeShape | undefined;
  readonly expectedVersion?: number | undefined;
};

const UNKNOWN_SHAPE: ChangeShape = { kind: 'unknown' };

/** `planChange` with a scratchpad's context: built as one literal, since this runs on every write. */
export function planIn(context: PlanContext, fields: ChangeFields): ChangePlan {
  return planChange({
    sessionId: context.sessionId,
    pad: fields.pad,
    section: fields.section,
    before: fields.before,
    content: fields.content,
    bytes: fields.bytes,
    op: fields.op,
    mode: fields.mode,
    agent: fields.agent,
    timestamp: fields.timestamp,
    shape: fields.shape ?? UNKNOWN_SHAPE,
    expectedVersion: fields.expectedVersion,
    limits: context.limits,
    diffLimits: context.diffLimits,
    checkpointEvery: context.checkpointEvery,
    revertedTo: fields.revertedTo,
    appended: fields.appended,
  });
}

export interface WriteFields {
  readonly pad: string;
  readonly section: string;
  /** The current row, a tombstone, or undefined. */
  readonly before: LiveSection | undefined;
  readonly text: string;
  readonly mode: WriteMode;
  readonly agent: string;
  readonly timestamp: number;
  readonly expectedVersion?: number | undefined;
}

/**
 * Plans `write(pad, section, text, { mode })`. Appends and prepends are planned from the cached figures of `before`
 * (line count, tail, bytes): reading the old content's length would flatten a long string of appends on every write.
 * A client replanning its pending sync ops on top of the server's row uses this too, so both plan alike.
 */
export function planWrite(context: PlanContext, fields: WriteFields): ChangePlan {
  const { before, text, mode } = fields;
  const exists = before !== undefined && !before.record.deleted;
  const old = exists ? before.record.content : '';
  let content: string;
  let bytes: number | undefined;
  let shape: ChangeShape;
  if (mode === 'append') {
    const separator = !exists || before.lineCount === 0 || before.tail === '' ? '' : '\n';
    const added = separator + text;
    content = old + added;
    bytes = !exists ? utf8Length(added) : before.bytes === undefined ? undefined : before.bytes + utf8Length(added);
    shape = { kind: 'appended', oldLineCount: exists ? before.lineCount : 0, oldTail: exists ? before.tail : '', added };
  } else if (mode === 'prepend') {
    const added = text + prependSeparator(old, text);
    content = added + old;
    bytes = !exists ? utf8Length(added) : before.bytes === undefined ? undefined : before.bytes + utf8Length(added);
    shape = { kind: 'prepended' };
  } else {
    content = text;
    bytes = undefined;
    shape = UNKNOWN_SHAPE;
  }
  return planIn(context, {
    pad: fields.pad,
    section: fields.section,
    before,
    content,
    bytes,
    op: mode === 'append' ? 'write_append' : mode === 'prepend' ? 'write_prepend' : 'write_replace',
    mode,
    agent: fields.agent,
    timestamp: fields.timestamp,
    shape,
    expectedVersion: fields.expectedVersion,
    appended: mode === 'append' ? text : undefined,
  });
}

/** A stored row as a live section: its figures counted once, when it is loaded or adopted. */
export function liveFromRecord(record: SectionRecord): LiveSection {
  return { record, lineCount: knownLineCount(record) ?? countLines(record.content), tail: tailOf(record.content), bytes: undefined };
}

export function historyEntryId(pad: string, section: string, version: number): string {
  return `${encodeURIComponent(pad)}/${encodeURIComponent(section)}@${version}`;
}

export function currentVersion(live: LiveSection | undefined): number {
  return live && !live.record.deleted ? live.record.version : 0;
}

export function checkExpectedVersion(pad: string, section: string, live: LiveSection | undefined, expected: number | undefined): void {
  if (expected === undefined) return;
  const actual = currentVersion(live);
  if (actual !== expected) {
    throw new ScratchpadError(
      'CONFLICT',
      `${`'${pad}.${section}'`} is at version ${actual}, not the expected version ${expected}: someone else changed it. Read it again and redo the change on top.`,
      { pad, section, expectedVersion: expected, actualVersion: actual },
    );
  }
}

/** Computes a new version of a section (record, history entry, anchors, result) without touching any state. */
export function planChange(input: ChangeInput): ChangePlan {
  const { pad, section, before } = input;
  checkExpectedVersion(pad, section, before, input.expectedVersion);
  const max = input.limits.maxSectionBytes;
  const bytes = input.bytes ?? (input.content.length * 3 > max ? utf8Length(input.content) : undefined);
  if (bytes !== undefined && bytes > max) {
    throw new ScratchpadError(
      'TOO_LARGE',
      `'${pad}.${section}' would be ${bytes} bytes; the limit is ${max}. Write less, or split it into several sections.`,
      { pad, section, limit: max, actual: bytes },
    );
  }
  const exists = before !== undefined && !before.record.deleted;
  const previousContent = exists ? before.record.content : '';
  const previousVersion = before?.record.version ?? 0;

  if (exists && previousContent === input.content && input.op !== 'delete') {
    const result = { pad, section, mode: input.mode, version: previousVersion, previousVersion, changed: false };
    return {
      result: { ...result, patch: emptyPatch(), stats: { added: 0, removed: 0 }, message: headline(result) },
      change: undefined,
    };
  }

  const version = previousVersion + 1;
  const { patch, stats, size } = computePatch(previousContent, input.content, {
    shape: input.shape,
    limits: input.diffLimits,
    ...(exists ? { oldLineCount: before.lineCount } : {}),
  });
  const chain = before?.record.chain ?? EMPTY_CHAIN;
  const checkpoint = planCheckpoint({
    pad,
    section,
    version,
    previousContent,
    content: input.content,
    chain,
    patchBytes: size,
    isAppend: input.shape.kind === 'appended',
    checkpointEvery: input.checkpointEvery,
  });
  const record: SectionRecord = {
    pad,
    section,
    content: input.content,
    version,
    updatedAt: input.timestamp,
    updatedBy: input.agent,
    deleted: input.op === 'delete',
    chain: checkpoint.chain,
    ...(before?.record.synced === undefined ? {} : { synced: before.record.synced }),
  };
  const entry: HistoryEntry = {
    id: historyEntryId(pad, section, version),
    sessionId: input.sessionId,
    pad,
    section,
    version,
    op: input.op,
    agent: input.agent,
    timestamp: input.timestamp,
    patch,
    stats,
  };
  const resultBase = { pad, section, mode: input.mode, version, previousVersion: exists ? previousVersion : 0, changed: true };
  return {
    result: withLazyMessage(resultBase, patch, stats, () => writeMessage(headline(resultBase, input.revertedTo), patch)),
    change: {
      before,
      after: {
        record,
        lineCount: (exists ? before.lineCount : 0) + stats.added - stats.removed,
        tail: input.shape.kind === 'appended' ? tailOf(input.shape.oldTail + input.shape.added) : tailOf(input.content),
        bytes,
      },
      entry,
      snapshots: checkpoint.snapshots,
      appended: input.appended,
    },
  };
}

function emptyPatch(): WriteResult['patch'] {
  return { oldFileName: '', newFileName: '', oldHeader: undefined, newHeader: undefined, hunks: [] };
}

/**
 * The message is built on first read: most programmatic writes never look at it, and formatting it on every write
 * would be most of a small write's cost. It is an enumerable property, so spreading and JSON keep it.
 */
function withLazyMessage(
  base: Pick<WriteResult, 'pad' | 'section' | 'mode' | 'version' | 'previousVersion' | 'changed'>,
  patch: WriteResult['patch'],
  stats: WriteResult['stats'],
  format: () => string,
): WriteResult {
  let message: string | undefined;
  return {
    pad: base.pad,
    section: base.section,
    mode: base.mode,
    version: base.version,
    previousVersion: base.previousVersion,
    changed: base.changed,
    patch,
    stats,
    get message() {
      return (message ??= format());
    },
  };
}
