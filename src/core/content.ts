import { ScratchpadError } from './errors.js';
import { countLines, splitLineTokens } from './lines.js';
import { validateInteger, validateText } from './validate.js';
import type { SectionEdit, WriteMode } from './types.js';

/**
 * The old manager's append rule: the new text goes after the old content, separated by one newline, unless the old
 * content is empty or already ends with a newline. Returns the separator so callers can count its bytes.
 */
export function appendSeparator(oldContent: string): '' | '\n' {
  return oldContent === '' || oldContent.endsWith('\n') ? '' : '\n';
}

/** The mirror of the append rule: the text goes first, followed by one newline unless it already ends with one. */
export function prependSeparator(oldContent: string, text: string): '' | '\n' {
  return oldContent === '' || text.endsWith('\n') ? '' : '\n';
}

export function combine(oldContent: string, text: string, mode: WriteMode): string {
  switch (mode) {
    case 'replace':
      return text;
    case 'append':
      return oldContent + appendSeparator(oldContent) + text;
    case 'prepend':
      return text + prependSeparator(oldContent, text) + oldContent;
  }
}

export function isWriteMode(value: unknown): value is WriteMode {
  return value === 'replace' || value === 'append' || value === 'prepend';
}

/** Applies an edit to the current content, or throws a clear error that says how to fix the call. */
export function applyEdit(content: string, edit: SectionEdit): string {
  if (typeof edit !== 'object' || edit === null) throw new ScratchpadError('INVALID_ARGUMENT', 'The edit must be an object.');
  const kinds = (['oldText', 'insertAtLine', 'deleteLines', 'replaceLines'] as const).filter((k) => k in edit);
  if (kinds.length !== 1) {
    throw new ScratchpadError(
      'INVALID_ARGUMENT',
      'The edit must have exactly one of: { oldText, newText }, { insertAtLine, text }, { deleteLines: { from, to } }, { replaceLines: { from, to }, text }.',
    );
  }
  if ('oldText' in edit) return replaceText(content, edit.oldText, edit.newText);
  const lineCount = countLines(content);
  if ('insertAtLine' in edit) {
    const at = validateInteger(edit.insertAtLine, 'insertAtLine', 1);
    const text = validateText(edit.text, 'text');
    if (at > lineCount + 1) {
      throw new ScratchpadError('INVALID_ARGUMENT', `insertAtLine is ${at}, but the section has ${lineCount} lines: use 1 to ${lineCount + 1}.`);
    }
    if (at === lineCount + 1) return combine(content, text, 'append');
    const tokens = splitLineTokens(content);
    tokens.splice(at - 1, 0, ...splitLineTokens(withNewline(text)));
    return tokens.join('');
  }
  const range = 'deleteLines' in edit ? edit.deleteLines : edit.replaceLines;
  const { from, to } = validateRange(range, lineCount);
  const tokens = splitLineTokens(content);
  if ('deleteLines' in edit) {
    tokens.splice(from - 1, to - from + 1);
    return tokens.join('');
  }
  let text = validateText(edit.text, 'text');
  // Keep the line structure around the range: a replaced range that ended with a newline still does.
  const rangeEndsWithNewline = tokens[to - 1]!.endsWith('\n');
  if (text !== '' && rangeEndsWithNewline) text = withNewline(text);
  tokens.splice(from - 1, to - from + 1, text);
  return tokens.join('');
}

function replaceText(content: string, oldText: unknown, newText: unknown): string {
  const find = validateText(oldText, 'oldText');
  const replacement = validateText(newText, 'newText');
  if (find === '') throw new ScratchpadError('INVALID_ARGUMENT', 'oldText must not be empty: say which text to replace.');
  const first = content.indexOf(find);
  if (first === -1) {
    throw new ScratchpadError('NOT_FOUND', 'oldText was not found in the section: copy it exactly, including whitespace and line breaks.');
  }
  const second = content.indexOf(find, first + 1);
  if (second !== -1) {
    let count = 2;
    for (let at = content.indexOf(find, second + 1); at !== -1; at = content.indexOf(find, at + 1)) count++;
    throw new ScratchpadError('INVALID_ARGUMENT', `oldText occurs ${count} times in the section: include more surrounding text so that it matches once.`, {
      matches: count,
    });
  }
  return content.slice(0, first) + replacement + content.slice(first + find.length);
}

function validateRange(range: unknown, lineCount: number): { from: number; to: number } {
  if (typeof range !== 'object' || range === null) throw new ScratchpadError('INVALID_ARGUMENT', 'The line range must be an object { from, to }.');
  const { from, to } = range as { from?: unknown; to?: unknown };
  validateInteger(from, 'from line', 1);
  validateInteger(to, 'to line', 1);
  const f = from as number;
  const t = to as number;
  if (f > t) throw new ScratchpadError('INVALID_ARGUMENT', `The line range ${f}-${t} is backwards: from must not exceed to.`);
  if (t > lineCount) throw new ScratchpadError('INVALID_ARGUMENT', `Line ${t} does not exist: the section has ${lineCount} lines.`);
  return { from: f, to: t };
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
