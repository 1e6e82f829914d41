/**
 * Every ```js block in README.md, docs/*.md and the packages' READMEs is a program, and this suite runs it.
 *
 * The rule for writers:
 * - ```js   a complete program: it runs here, in Node, as written. Its `console.log` output is collected, and the
 *           strings listed for it in `expected` below must appear in that output. A js block without an entry fails.
 * - ```ts / ```tsx   an illustration (a signature, a sketch with placeholders, browser-only code): not run.
 * - ```sh, ```json, ```text   commands, configuration, output: not run.
 *
 * Package imports are pointed at the sources through `sources` (one table); an import missing from it fails.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runModule } from './helpers/run-module.js';

const root = resolve(import.meta.dirname, '..');
const scratch = join(root, 'test', '.docs-tmp');

/** Where each documented import specifier lives in this repository. */
const sources: Record<string, string> = {
  'scratchpad-store': 'src/index.ts',
  'scratchpad-store/idb': 'src/storage/idb.ts',
  'scratchpad-store/sync': 'src/sync/index.ts',
  'scratchpad-store/tools': 'src/tools/index.ts',
  'scratchpad-store/testing': 'src/testing/index.ts',
  'scratchpad-store/protocol': 'src/protocol.ts',
  '@scratchpad-store/server': 'packages/server/src/index.ts',
  '@scratchpad-store/server/sqlite': 'packages/server/src/sqlite.ts',
  '@scratchpad-store/mcp': 'packages/mcp/src/index.ts',
};

/** Strings that must appear in each block's output, by "file › heading" (the nearest heading above the block). */
const expected: Record<string, readonly string[]> = {
  'README.md › Quick start (Node, in memory)': [
    "Wrote to 'research.findings' (mode: append)\n\n```diff\n@@ -1,1 +1,2 @@\n-CRLF lines are dropped by the parser.\n\\ No newline at end of file\n+CRLF lines are dropped by the parser.\n+Only on Windows.\n\\ No newline at end of file\n```",
    '  2\tOnly on Windows, since v2.',
    '# research\n\n## findings\n\nCRLF lines are dropped by the parser.',
  ],
  'docs/api.md › Edits': ['  1\tTitle\n  2\tnew second\n  3\tthird', "edit 'sp.md' v5"],
  'docs/api.md › Errors': ['CONFLICT 2', 'INVALID_NAME', 'still at version 2'],
  'docs/api.md › Export and import': ['imported 3 versions', 'v1 on the copy: draft'],
  'docs/history.md › Retention': ['kept versions 3,4,5', 'NOT_FOUND', '"version":3'],
  'docs/tools.md › Tools for LLM agents': ["Error: mode 'replace' is not allowed for agent 'reviewer'", 'reviewer', 'scratchpad_write'],
  'docs/storage.md › Several scratchpads on one storage': ['second tab sees: from tab A\nfrom tab B', 'versions 1,2', 'QUOTA_EXCEEDED'],
  'docs/storage.md › IndexedDB in Node': ['reopened: kept'],
  'docs/sync-protocol.md › For server implementers: scratchpad-store/protocol': ['protocol 2', 'a\nb', 'INVALID_NAME', '"one\\ntwo"'],
  'docs/sync-protocol.md › Try it in one process': ['phone reads: - buy milk\n- call Bob', 'laptop reads: - buy milk\n- call Bob', 'pending 0'],
  'docs/server.md › In code': ['{"ok":true,"store":"sqlite"}', '401 UNAUTHORIZED'],
  'docs/mcp.md › Embedding the server': ['my-host', '## todo'],
  'docs/mcp.md › Remote hosts: MCP over HTTP': ['"scratchpad://notes","scratchpad://notes/todo"'],
  'docs/testing.md › Testing an agent': ['replayed 2 calls, all answers equal'],
};

/**
 * Guides whose examples need a scripted model API or a server around them run in a test of their own, which
 * asserts more than output strings; the runner here leaves their blocks to it.
 */
const ownTests: Record<string, string> = {
  'docs/memory-tool.md': 'test/tools-memory-docs.test.ts',
};

interface Block {
  readonly key: string;
  readonly code: string;
}

const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`),
  'packages/server/README.md',
  'packages/mcp/README.md',
].filter((file) => existsSync(join(root, file)));

function jsBlocks(file: string): Block[] {
  const text = readFileSync(join(root, file), 'utf8');
  const blocks: Block[] = [];
  const seen = new Map<string, number>();
  let heading = '';
  const fence = /^#{1,6} (.+)$|^```js\n([\s\S]*?)^```$|^(```|~~~)[^\n]*\n[\s\S]*?^\3$/gm;
  for (let match = fence.exec(text); match; match = fence.exec(text)) {
    if (match[1] !== undefined) heading = match[1].trim();
    else if (match[2] !== undefined) {
      const base = `${file} › ${heading}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      blocks.push({ key: n === 1 ? base : `${base} #${n}`, code: match[2] });
    }
  }
  return blocks;
}

/** The block with its package imports pointed at the sources; `missing` lists targets that do not exist yet. */
function resolveImports(code: string): { code: string; missing: string[]; unknown: string[] } {
  const missing: string[] = [];
  const unknown: string[] = [];
  const out = code.replace(/(from |import\()'((?:@scratchpad-store\/[\w-]+|scratchpad-store)(?:\/[\w-]+)?)'/g, (_, lead: string, spec: string) => {
    const target = sources[spec];
    if (target === undefined) {
      unknown.push(spec);
      return `${lead}'${spec}'`;
    }
    if (!existsSync(join(root, target))) missing.push(`${spec} (${target})`);
    return `${lead}'${join(root, target)}'`;
  });
  return { code: out, missing, unknown };
}

const run = (code: string, name: string): Promise<string> => runModule(code, scratch, name);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const blocks = documents.filter((file) => !(file in ownTests)).flatMap(jsBlocks);

describe('every js block in the docs runs as written', () => {
  blocks.forEach((block, index) => {
    const { code, missing, unknown } = resolveImports(block.code);
    it(block.key, async () => {
      expect(missing, 'every file of the `sources` table exists').toEqual([]);
      expect(unknown, 'every scratchpad-store import is in the `sources` table').toEqual([]);
      const wanted = expected[block.key];
      expect(wanted, `an entry in \`expected\` for "${block.key}"`).toBeDefined();
      const out = await run(code, `block-${index}`);
      for (const text of wanted!) expect(out).toContain(text);
    });
  });

  it('every entry in `expected` names a block that exists', () => {
    const keys = new Set(blocks.map((b) => b.key));
    expect(Object.keys(expected).filter((key) => !keys.has(key))).toEqual([]);
  });
});

describe('the docs hang together', () => {
  it('README.md stays at most 15 KB', () => {
    expect(Buffer.byteLength(readFileSync(join(root, 'README.md')))).toBeLessThanOrEqual(15 * 1024);
  });

  it('each guide says in one line what it covers and links back to the README', () => {
    for (const file of documents.filter((f) => f.startsWith('docs/'))) {
      const [title, blank, summary] = readFileSync(join(root, file), 'utf8').split('\n');
      expect(title, file).toMatch(/^# /);
      expect(blank, file).toBe('');
      expect(summary, file).toMatch(/\]\(\.\.\/README\.md\)/);
    }
  });

  it('relative links point at files in the repository, and nothing points at the shared design file outside it', () => {
    const broken: string[] = [];
    for (const file of documents) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const path = resolve(dirname(join(root, file)), target!);
        if (!existsSync(path) || relative(root, path).startsWith('..')) broken.push(`${file} → ${target}`);
      }
      // The design lives in docs/design.md; the upper-case name is the steering copy outside the repository.
      if (/[D]ESIGN\.md/.test(text)) broken.push(`${file} mentions the design file outside the repository`);
    }
    expect(broken).toEqual([]);
  });
});
