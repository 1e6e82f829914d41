// The demo uses the library through its public entry points only, exactly as an app does ('scratchpad-store',
// 'scratchpad-store/idb', '/tools', '/react', '/sync'); vite.config.ts and tsconfig.json map them to the sources, so
// the demo runs the code as it is, with no package build first.
export * from 'scratchpad-store';
export { indexedDbStorage } from 'scratchpad-store/idb';
export { createTools, type Tools, type ToolName } from 'scratchpad-store/tools';
export * from 'scratchpad-store/react';
export { httpSync } from 'scratchpad-store/sync';
