export { memoryToolHandlers, DEFAULT_MEMORY_AGENT, DEFAULT_MEMORY_PAD } from './handlers.js';
export type {
  MemoryCommand,
  MemoryCreateCommand,
  MemoryDeleteCommand,
  MemoryInsertCommand,
  MemoryRenameCommand,
  MemoryStrReplaceCommand,
  MemoryToolHandlers,
  MemoryToolOptions,
  MemoryViewCommand,
} from './handlers.js';
export { memoryFileSection } from './locate.js';
