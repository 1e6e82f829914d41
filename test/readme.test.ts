import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scratch = join(root, 'test', '.readme-tmp');

/** The first ```js block after a heading, with package imports pointed at the sources. */
function example(heading: string): string {
  const from = readme.indexOf(heading);
  expect(from, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const match = /```js\n([\s\S]*?)\n```\n/.exec(readme.slice(from));
  expect(match, `"${heading}" has a js example`).not.toBeNull();
  return match![1]!
    .replace(/from 'scratchpad-store'/g, `from '${join(root, 'src/index.ts')}'`)
    .replace(/from 'scratchpad-store\/(\w+)'/g, (_, sub: string) => `from '${join(root, `src/${sub}/index.ts`)}'`);
}

async function run(code: string, name: string): Promise<string> {
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `${name}.mts`);
  writeFileSync(file, code);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  });
  try {
    await import(file);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README examples run as written', () => {
  it('quick start', async () => {
    const out = await run(example('## Quick start'), 'quickstart');
    expect(out).toContain(
      "Wrote to 'research.findings' (mode: append)\n\n```diff\n@@ -1,1 +1,2 @@\n-CRLF lines are dropped by the parser.\n\\ No newline at end of file\n+CRLF lines are dropped by the parser.\n+Only on Windows.\n\\ No newline at end of file\n```",
    );
    expect(out).toContain('  2\tOnly on Windows, since v2.');
    expect(out).toContain('# research\n\n## findings\n\nCRLF lines are dropped by the parser.');
  });

  it('tools', async () => {
    const out = await run(example('## Tools for LLM agents'), 'tools');
    expect(out).toContain("Error: mode 'replace' is not allowed for agent 'reviewer'");
    expect(out).toContain('reviewer');
  });
});
