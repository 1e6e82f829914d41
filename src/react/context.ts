import { createContext, useContext } from 'react';
import { ScratchpadError } from '../core/errors.js';
import type { Scratchpad } from '../types.js';

/** The scratchpad that hooks and components below a `ScratchpadProvider` work on; null outside of one. */
export const ScratchpadContext = createContext<Scratchpad | null>(null);

/** The scratchpad of the nearest `ScratchpadProvider`, already hydrated: its `ready` has resolved. */
export function useScratchpad(): Scratchpad {
  const sp = useContext(ScratchpadContext);
  if (sp === null) {
    // A component used outside a provider is a wiring mistake: say so instead of failing later on `undefined`.
    throw new ScratchpadError('INVALID_ARGUMENT', 'useScratchpad: no scratchpad here. Wrap the component in <ScratchpadProvider>.');
  }
  return sp;
}

const instanceIds = new WeakMap<Scratchpad, number>();
let nextInstanceId = 1;

/** A number per scratchpad object, so that async results keyed by it are never shown for another instance. */
export function instanceKey(sp: Scratchpad): number {
  let id = instanceIds.get(sp);
  if (id === undefined) {
    id = nextInstanceId++;
    instanceIds.set(sp, id);
  }
  return id;
}
