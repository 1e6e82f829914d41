import { changesTool } from './handlers/changes.js';
import { deleteTool } from './handlers/delete.js';
import { diffTool } from './handlers/diff.js';
import { editTool } from './handlers/edit.js';
import { historyTool } from './handlers/history.js';
import { listTool } from './handlers/list.js';
import { readTool } from './handlers/read.js';
import { revertTool } from './handlers/revert.js';
import { writeTool } from './handlers/write.js';
import type { ToolSpec } from './spec.js';

/** All tools, in the order definitions list them: the everyday ones first, as models weigh earlier tools more. */
export const TOOLS: readonly ToolSpec[] = [
  readTool,
  writeTool,
  editTool,
  listTool,
  changesTool,
  historyTool,
  diffTool,
  revertTool,
  deleteTool,
];
