import type { MemoryStorageOptions } from './memory.js';
import type { StorageAdapter } from './types.js';

/**
 * `memoryStorage` as the package root exports it: the adapter's code (src/storage/memory.ts) loads on the first
 * `open`. A static re-export would put it in every app's up-front bundle with esbuild, which keeps a re-exported
 * module in the entry's chunks even when the app never calls it (an app on IndexedDB). Every `open` of one adapter
 * still shares its data, as with the adapter itself.
 */
export function memoryStorage(options: MemoryStorageOptions = {}): StorageAdapter {
  let adapter: Promise<StorageAdapter> | undefined;
  return {
    name: 'memory',
    open(sessionId) {
      adapter ??= import('./memory.js').then((module) => module.memoryStorage(options));
      return adapter.then((loaded) => loaded.open(sessionId));
    },
  };
}
