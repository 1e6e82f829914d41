import { compareNatural } from '../core/format.js';
import type { Section } from '../core/types.js';
import { PadMap, type PadSections, type ScratchpadState } from '../store/state.js';

const EMPTY: readonly string[] = Object.freeze([]);

// Sorting is cached per map: the store keeps a pad's map (and the pads map) identical until something in it changes,
// so most renders reuse the sorted list without sorting again. A pad's PadMap keeps its `keysToken` while only values
// change, so a write to a section of a large pad does not re-sort the pad's names either.
const sortedKeys = new WeakMap<object, readonly string[]>();

function namesOf(map: ReadonlyMap<string, unknown> | undefined): readonly string[] {
  if (map === undefined || map.size === 0) return EMPTY;
  const key = map instanceof PadMap ? map.keysToken : map;
  let names = sortedKeys.get(key);
  if (names === undefined) {
    names = Object.freeze([...map.keys()].sort(compareNatural));
    sortedKeys.set(key, names);
  }
  return names;
}

/** Pad names in natural order. A new array only when the pads map changed; `useShallow` then keeps equal lists. */
export function selectPadNames(state: ScratchpadState): readonly string[] {
  return namesOf(state.pads);
}

export function selectSectionNames(state: ScratchpadState, pad: string): readonly string[] {
  return namesOf(state.pads.get(pad));
}

export function selectPad(state: ScratchpadState, pad: string): PadSections | undefined {
  return state.pads.get(pad);
}

/** The section object itself: the store replaces it only when that section changes. */
export function selectSection(state: ScratchpadState, pad: string, section: string): Section | undefined {
  return state.pads.get(pad)?.get(section);
}
