import type { Section } from '../core/types.js';
import type { SyncStatus } from '../core/types.js';

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

/** One immutable update of several sections; untouched pads keep their identity. Undefined removes a section. */
export function setSections(
  pads: ReadonlyMap<string, PadSections>,
  changes: readonly { readonly pad: string; readonly section: string; readonly value: Section | undefined }[],
): ReadonlyMap<string, PadSections> {
  const next = new Map(pads);
  const copied = new Map<string, Map<string, Section>>();
  for (const { pad, section, value } of changes) {
    let sections = copied.get(pad);
    if (!sections) {
      sections = new Map(next.get(pad) ?? []);
      copied.set(pad, sections);
    }
    if (value) sections.set(section, value);
    else sections.delete(section);
  }
  for (const [pad, sections] of copied) {
    if (sections.size === 0) next.delete(pad);
    else next.set(pad, sections);
  }
  return next;
}
