// The demo uses the library from source, through the same entry points an app imports from 'scratchpad-store',
// 'scratchpad-store/idb', 'scratchpad-store/tools' and 'scratchpad-store/react'.
export * from '../../src/index.js';
export { indexedDbStorage } from '../../src/storage/idb.js';
export { createTools, type Tools, type ToolName } from '../../src/tools/index.js';
export * from '../../src/react/index.js';
export { httpSync } from '../../src/sync/index.js';
