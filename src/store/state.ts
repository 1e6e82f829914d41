import type { Section } from '../core/types.js';
import type { SyncStatus } from '../core/types.js';
import { PadMap } from './pad-map.js';

export { PadMap } from './pad-map.js';

/**
 * One pad: its live sections by name. Maps, never plain objects, so that any name (even `__proto__`) is safe. The
 * store holds a `PadMap` (persistent: a write copies a few nodes, not the pad) and reads it as a `ReadonlyMap`.
 */
export type PadSections = ReadonlyMap<string, Section>;

/**
 * The state a zustand store holds for one scratchpad. Updates are immutable: a write replaces the section, its pad's
 * map and the pads map, and leaves every other pad and section object as it was, so selectors stay referentially stable.
 * The pads map is copied (pads are few); a pad's map is persistent and shares all but the changed path.
 */
export interface ScratchpadState {
  readonly sessionId: string;
  /** False until the session has been loaded from storage. */
  readonly ready: boolean;
  readonly pads: ReadonlyMap<string, PadSections>;
  readonly sync: SyncStatus;
}

/** One immutable update of several sections; untouched pads keep their identity. Undefined removes a section. */
export function setSections(
  pads: ReadonlyMap<string, PadSections>,
  changes: readonly { readonly pad: string; readonly section: string; readonly value: Section | undefined }[],
): ReadonlyMap<string, PadSections> {
  const next = new Map(pads);
  for (const { pad, section, value } of changes) {
    const current = next.get(pad);
    // A pad map set by hand (a plain Map) becomes persistent on its first change.
    const sections = current === undefined ? PadMap.empty<Section>() : PadMap.from(current);
    const updated = value ? sections.set(section, value) : sections.delete(section);
    if (updated.size === 0) next.delete(pad);
    else next.set(pad, updated);
  }
  return next;
}
