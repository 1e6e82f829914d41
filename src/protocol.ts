/**
 * `scratchpad-store/protocol`: the sync wire protocol and the pure rules that a client and a server both apply, for
 * people who implement a sync server (the reference one, `@scratchpad-store/server`, is built on this entry alone).
 * Everything here is pure: no storage, no network, no timers. See docs/sync-protocol.md.
 */
export type * from './core/protocol.js';
export { PROTOCOL_VERSION } from './core/protocol.js';
export type {
  ChainRead,
  DiffStats,
  HistoryEntry,
  HistoryOp,
  ScratchpadLimits,
  SectionRecord,
  SectionRow,
  SnapshotRecord,
  StructuredPatch,
} from './core/types.js';
export { ScratchpadError, isScratchpadError, type ScratchpadErrorCode } from './core/errors.js';
export { planChange, historyEntryId, type ChangeInput, type ChangePlan, type LiveSection, type PlannedChange } from './core/change.js';
export { appendSeparator } from './core/content.js';
export { DEFAULT_CHECKPOINT_EVERY, rebuildFromChain, chainUpTo } from './core/history.js';
export { countLines, splitLineTokens } from './core/lines.js';
export { packEntry, unpackEntry, type PackedEntry } from './core/packed.js';
export { DEFAULT_DIFF_LIMITS, applyPatch, tailOf, type ChangeShape, type DiffLimits } from './core/patch.js';
export { DEFAULT_LIMITS, MAX_TIMESTAMP, resolveLimits, validateInteger, validateName, validateText, validateTimestamp } from './core/validate.js';
