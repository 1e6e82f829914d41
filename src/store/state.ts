import type { Section } from '../core/types.js';
import type { SyncStatus } from '../sync/types.js';

/** One pad: its live sections by name. Maps, never plain objects, so that any name (even `__proto__`) is safe. */
export type PadSections = ReadonlyMap<string, Section>;

/**
 * The state a zustand store holds for one scratchpad. Updates are immutable: a write replaces the section, its pad's
 * map and the pads map, and leaves every other pad and section object as it was, so selectors stay referentially stable.
 */
export interface ScratchpadState {
  readonly sessionId: string;
  /** False until the session has been loaded from storage. */
  readonly ready: boolean;
  readonly pads: ReadonlyMap<string, PadSections>;
  readonly sync: SyncStatus;
}
