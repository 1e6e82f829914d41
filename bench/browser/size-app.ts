// What a typical browser app uses: a scratchpad persisted in IndexedDB.
import { createScratchpad } from '../../src/index.js';
import { indexedDbStorage } from '../../src/storage/idb.js';

export function open(sessionId: string) {
  return createScratchpad({ sessionId, storage: indexedDbStorage() });
}
