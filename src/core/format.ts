import { displayLines } from './lines.js';
import { formatHunks } from './patch.js';
import type { StructuredPatch, WriteResult } from './types.js';

/**
 * Natural section order: a numeric prefix such as `2_results` sorts by its number, and numbered names come before
 * unnumbered ones; the rest sort alphabetically.
 */
export function compareNatural(a: string, b: string): number {
  const na = numericPrefix(a);
  const nb = numericPrefix(b);
  if (na !== undefined && nb !== undefined && na !== nb) return na - nb;
  if (na !== undefined && nb === undefined) return -1;
  if (na === undefined && nb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function numericPrefix(name: string): number | undefined {
  const match = /^(\d+)(?:[_\-. ]|$)/.exec(name);
  return match ? Number(match[1]) : undefined;
}

const HEADING = /^\s*#{1,6}\s/;

/** A pad as Markdown: `# pad`, then each section as `## name` and its content (no heading if it brings its own). */
export function renderPad(pad: string, sections: ReadonlyArray<readonly [name: string, content: string]>): string {
  const parts = [`# ${pad}`];
  for (const [name, content] of [...sections].sort((x, y) => compareNatural(x[0], y[0]))) {
    const body = content.replace(/\n+$/, '');
    parts.push(HEADING.test(content) ? body : body === '' ? `## ${name}` : `## ${name}\n\n${body}`);
  }
  return parts.join('\n\n') + '\n';
}

/** Content with 1-based line numbers, for a model that edits by line. */
export function numberLines(content: string, from: number, to: number): string {
  const lines = displayLines(content);
  const width = Math.max(3, String(to).length);
  const out: string[] = [];
  for (let n = from; n <= to && n <= lines.length; n++) out.push(`${String(n).padStart(width)}\t${lines[n - 1]}`);
  return out.join('\n');
}

/** `'pad.section'`, the way the old manager named a section in its messages. */
export function qualifiedName(pad: string, section: string): string {
  return `'${pad}.${section}'`;
}

/** The message of a write, in the old manager's format: a headline, then the diff in a fenced block. */
export function writeMessage(headline: string, patch: StructuredPatch): string {
  const hunks = formatHunks(patch);
  return hunks === '' ? headline : `${headline}\n\n\`\`\`diff\n${hunks}\n\`\`\``;
}

export function headline(result: Pick<WriteResult, 'pad' | 'section' | 'mode' | 'changed' | 'version' | 'previousVersion'>, revertedTo?: number): string {
  const name = qualifiedName(result.pad, result.section);
  if (!result.changed) return `No change to ${name}: the content is already the same (version ${result.version}).`;
  switch (result.mode) {
    case 'edit':
      return `Edited ${name}`;
    case 'revert':
      return `Reverted ${name} to the content of version ${revertedTo ?? '?'}`;
    case 'delete':
      return `Deleted ${name}`;
    default:
      return `Wrote to ${name} (mode: ${result.mode})`;
  }
}
