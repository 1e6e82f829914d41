import { ScratchpadError } from './errors.js';
import { splitLineTokens } from './lines.js';
import { applyPatchToTokens, patchSize } from './patch.js';
import type { ChainRead, ChainState, HistoryEntry, SectionRecord, SnapshotRecord } from './types.js';

/**
 * The count cap on a delta chain. Snapshots are mostly due by bytes (see `planCheckpoint`); the cap bounds the patches
 * a rebuild applies when patches are tiny against the content (one-line edits of a long section). 32 kept a full copy
 * every 32 versions: 82% of the history's memory for such edits. 512 keeps rebuilding any version near half a
 * millisecond (about 1 µs per patch) while 10,000 one-line edits of a 2,000-line section stay under 5 MB of heap.
 */
export const DEFAULT_CHECKPOINT_EVERY = 512;

/** Appends are anchored by prefix checkpoints (a length, a few bytes), so they can afford a short chain. */
const PREFIX_CHECKPOINT_EVERY = 32;

export const EMPTY_CHAIN: ChainState = { anchorVersion: 0, bytesSinceAnchor: 0, openPrefix: false };

export interface CheckpointPlan {
  readonly chain: ChainState;
  readonly snapshots: SnapshotRecord[];
}

/**
 * Decides which anchors a new version owes, in the manner of Mercurial's revlog: a snapshot when the chain since the
 * last one is `checkpointEvery` patches long, or when reading the chain would cost more than the content itself.
 *
 * Appends get a prefix checkpoint instead of a full copy: a run of appends only extends the text, so any version in the
 * run is a prefix of the run's last content. The run's last content is stored in full only when a write that is not an
 * append ends the run (and only if a prefix checkpoint needs it), so append logs cost O(appended text) in history.
 */
export function planCheckpoint(input: {
  readonly pad: string;
  readonly section: string;
  readonly version: number;
  readonly previousContent: string;
  readonly content: string;
  readonly chain: ChainState;
  readonly patchBytes: number;
  /** True only when the new content starts with the previous content. */
  readonly isAppend: boolean;
  readonly checkpointEvery: number;
}): CheckpointPlan {
  const { pad, section, version } = input;
  const snapshots: SnapshotRecord[] = [];
  let chain = input.chain;

  if (chain.openPrefix && !input.isAppend) {
    // The run of appends ends here: its last content resolves every prefix checkpoint in it.
    snapshots.push({ pad, section, version: version - 1, content: input.previousContent });
    chain = { anchorVersion: version - 1, bytesSinceAnchor: 0, openPrefix: false };
  }

  const bytesSinceAnchor = chain.bytesSinceAnchor + input.patchBytes;
  const length = version - chain.anchorVersion;
  const due =
    length >= input.checkpointEvery ||
    (length > 1 && bytesSinceAnchor > input.content.length) ||
    (input.isAppend && length >= PREFIX_CHECKPOINT_EVERY);
  if (!due) return { chain: { ...chain, bytesSinceAnchor }, snapshots };

  if (input.isAppend) {
    snapshots.push({ pad, section, version, prefixLength: input.content.length });
    return { chain: { anchorVersion: version, bytesSinceAnchor: 0, openPrefix: true }, snapshots };
  }
  snapshots.push({ pad, section, version, content: input.content });
  return { chain: { anchorVersion: version, bytesSinceAnchor: 0, openPrefix: false }, snapshots };
}

export { patchSize };

/** Rebuilds the content of `version` from what `readChain` returned. */
export function rebuildFromChain(chain: ChainRead, version: number): string {
  const tokens = splitLineTokens(chainBase(chain, version).content);
  for (const entry of chain.entries) applyPatchToTokens(tokens, entry.patch);
  return tokens.join('');
}

function chainBase(chain: ChainRead, version: number): { version: number; content: string } {
  const { anchor } = chain;
  let base: { version: number; content: string };
  if (!anchor) base = { version: 0, content: '' };
  else if (anchor.content !== undefined) base = { version: anchor.version, content: anchor.content };
  else {
    const source = chain.resolvedBy?.content ?? chain.current?.content;
    if (source === undefined || source.length < anchor.prefixLength) {
      throw new ScratchpadError('STORAGE_UNAVAILABLE', 'History is corrupt: a prefix checkpoint has nothing to resolve it.');
    }
    base = { version: anchor.version, content: source.slice(0, anchor.prefixLength) };
  }
  let expected = base.version + 1;
  for (const entry of chain.entries) {
    if (entry.version !== expected) break;
    expected++;
  }
  if (expected !== version + 1) {
    throw new ScratchpadError('NOT_FOUND', `Version ${version} is no longer in history (dropped by retention).`, { version });
  }
  return base;
}

/**
 * The chain that rebuilds version `upTo` from a section's anchors and entries held in memory, both ascending by
 * version: what a storage's `readChain` answers, for callers that have the records at hand (an import being checked).
 */
export function chainUpTo(
  anchors: readonly SnapshotRecord[],
  entries: readonly HistoryEntry[],
  current: SectionRecord | undefined,
  upTo: number,
): ChainRead {
  let at = -1;
  while (at + 1 < anchors.length && anchors[at + 1]!.version <= upTo) at++;
  const anchor = anchors[at];
  const resolvedBy = anchor && anchor.content === undefined ? anchors.slice(at + 1).find((a) => a.content !== undefined) : undefined;
  const from = anchor?.version ?? 0;
  return {
    anchor,
    resolvedBy,
    current: anchor && anchor.content === undefined && !resolvedBy ? current : undefined,
    entries: entries.filter((e) => e.version > from && e.version <= upTo),
  };
}
