import { isScratchpadError, type ScratchpadErrorCode } from '../core/errors.js';
import { ToolError } from './spec.js';

/** What the model can do about each kind of scratchpad error. */
const HINTS: Record<ScratchpadErrorCode, string> = {
  INVALID_NAME: 'Pad and section names must be non-empty text without control characters or unpaired surrogates.',
  INVALID_ARGUMENT: '',
  NOT_FOUND: 'scratchpad_list shows which pads and sections exist, scratchpad_history which versions.',
  CONFLICT: 'Read the section again and pass its current version as expected_version.',
  TOO_LARGE: 'Write less, or split the text across several sections.',
  QUOTA_EXCEEDED: 'Storage is full: delete what is no longer needed, then try again.',
  STORAGE_UNAVAILABLE: 'Storage is unavailable right now; try again later.',
  CLOSED: 'This scratchpad has been closed and cannot be used any more.',
};

/** Any failure as the `Error: …` text a model reads; never rethrows. */
export function errorText(error: unknown): string {
  if (error instanceof ToolError) return `Error: ${error.message}`;
  if (isScratchpadError(error)) {
    const hint = HINTS[error.code];
    return `Error: ${error.message}${hint === '' ? '' : ` ${hint}`}`;
  }
  // Not the model's fault and not something it can fix: say so, so that it does not retry forever.
  const message = error instanceof Error ? error.message : String(error);
  return `Error: the scratchpad failed unexpectedly (${message}). This is not caused by your arguments.`;
}
