/**
 * Line tokens: each line keeps its '\n' terminator ('\r' stays part of the line, as GNU diff treats CRLF), and only the
 * last token may lack one. Comparing tokens therefore also compares "has a final newline", which is what makes
 * `\ No newline at end of file` come out right.
 */
export function splitLineTokens(text: string): string[] {
  if (text === '') return [];
  const tokens: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      if (start < text.length) tokens.push(text.slice(start));
      return tokens;
    }
    tokens.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
}

/** Number of line tokens of `text.slice(start, end)`, without building them or the slice. */
export function countLines(text: string, start = 0, end = text.length): number {
  if (end <= start) return 0;
  let count = 0;
  let at = text.indexOf('\n', start);
  while (at !== -1 && at < end) {
    count++;
    at = text.indexOf('\n', at + 1);
  }
  return text.charCodeAt(end - 1) === 10 ? count : count + 1;
}

/** Lines for display, without terminators: `'a\nb\n'` has two lines, `''` none. */
export function displayLines(text: string): string[] {
  return splitLineTokens(text).map(stripTerminator);
}

export function stripTerminator(token: string): string {
  if (token.endsWith('\r\n')) return token.slice(0, -2);
  if (token.endsWith('\n')) return token.slice(0, -1);
  return token;
}

/** UTF-8 length without allocating an encoded copy; lone surrogates count as the 3 bytes of U+FFFD. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Line counts already known for a record object: a storage that rebuilt a section's content while loading it knows
 * how many lines it has, and loading a long section then does not count them again. Keyed by the object, so a count
 * can never outlive or be mistaken for another record's.
 */
const knownLineCounts = new WeakMap<object, number>();

export function rememberLineCount(record: object, lines: number): void {
  knownLineCounts.set(record, lines);
}

export function knownLineCount(record: object): number | undefined {
  return knownLineCounts.get(record);
}
