/**
 * A textarea hands back '\n' line endings whatever the text had. These put a section's own endings back, so that a
 * person's edit of CRLF content changes only the lines they changed: not every line, and not the blame of every line.
 */
export type LineEnding = '\n' | '\r\n';

/** The ending most lines of `text` use ('\n' for text of one line). */
export function lineEnding(text: string): LineEnding {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/** `edited` (from a textarea) with the line endings of `original`. */
export function withLineEndings(edited: string, original: string): string {
  const normalized = edited.replace(/\r\n?/g, '\n');
  return lineEnding(original) === '\r\n' ? normalized.replace(/\n/g, '\r\n') : normalized;
}
