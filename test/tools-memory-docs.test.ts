/**
 * The examples of docs/memory-tool.md run as written: imports point at the sources, the APIs' `fetch` is scripted
 * (no network), and the sync example talks to the real reference server on loopback.
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, hmacAuth, signToken } from '@scratchpad-store/server';
import { sqliteStore } from '@scratchpad-store/server/sqlite';
import { runModule } from './helpers/run-module.js';

const root = resolve(import.meta.dirname, '..');
const doc = readFileSync(join(root, 'docs/memory-tool.md'), 'utf8');
const scratch = join(root, 'test', '.memory-docs-tmp');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.unstubAllGlobals());

function example(heading: string): string {
  const from = doc.indexOf(`\n${heading}\n`);
  expect(from, `docs/memory-tool.md has "${heading}"`).toBeGreaterThan(-1);
  const match = /```js\n([\s\S]*?)\n```\n/.exec(doc.slice(from));
  expect(match, `"${heading}" has a js example`).not.toBeNull();
  return match![1]!
    .replace(/from 'scratchpad-store'/g, `from '${join(root, 'src/index.ts')}'`)
    .replace(/from 'scratchpad-store\/idb'/g, `from '${join(root, 'src/storage/idb.ts')}'`)
    .replace(/from 'scratchpad-store\/(\w+)'/g, (_, sub: string) => `from '${join(root, `src/${sub}/index.ts`)}'`);
}

const run = (code: string, name: string): Promise<string> => runModule(code, scratch, name);

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

describe('docs/memory-tool.md examples run as written', () => {
  it('Anthropic memory tool in the browser (IndexedDB, tool runner)', async () => {
    const turns = [
      [{ type: 'tool_use', id: 'toolu_1', name: 'memory', input: { command: 'view', path: '/memories' } }],
      [{ type: 'tool_use', id: 'toolu_2', name: 'memory', input: { command: 'create', path: '/memories/preferences.md', file_text: '- Answers in French\n' } }],
      [{ type: 'text', text: "C'est noté." }],
    ];
    const results: unknown[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      expect(url).toBe('https://api.anthropic.com/v1/messages');
      const body = JSON.parse(String(init.body)) as { messages: { content: unknown }[] };
      results.push(body.messages.at(-1)!.content);
      const content = turns.shift()!;
      return json({
        id: `msg_${3 - turns.length}`, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content,
        stop_reason: content[0]!.type === 'tool_use' ? 'tool_use' : 'end_turn', stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      });
    });
    const out = await run(example('## Anthropic memory tool in the browser'), 'browser');
    expect(out).toBe("C'est noté.\n# memories\n\n## preferences.md\n\n- Answers in French\n");
    expect(JSON.stringify(results[2])).toContain('File created successfully at: /memories/preferences.md');
  });

  it('in Node tests', async () => {
    const out = await run(example('## In Node tests: no filesystem, no network'), 'node');
    expect(out).toBe(
      [
        "Here're the files and directories up to 2 levels deep in /memories, excluding hidden items and node_modules:",
        '31B\t/memories',
        '31B\t/memories/people/',
        '31B\t/memories/people/user.md',
        'Prefers French.\n',
        JSON.stringify(['claude@v2: Prefers French, short answers.']),
        JSON.stringify(['user.md v1 write_replace by claude', 'user.md v2 write_replace by claude']),
      ].join('\n'),
    );
  });

  it('synced through the reference server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-memory-docs-'));
    const secret = 'memory-docs-test-secret-0123456789abcdef';
    const server = createServer({ store: sqliteStore({ path: join(dir, 'sync.db') }), auth: hmacAuth(secret), log: () => undefined });
    const { url } = await server.listen(0);
    try {
      const code = example('## Synced').replace("'https://pads.example.com'", JSON.stringify(url)).replace("'TOKEN-OF-USER-42'", JSON.stringify(signToken('user-42', secret)));
      const out = await run(code, 'synced');
      expect(out).toBe("Here's the content of /memories/trip.md with line numbers:\n     1\tLisbon in May\n     2\t");
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('OpenAI Responses API', async () => {
    const bodies: Record<string, unknown>[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      expect(url).toBe('https://api.openai.com/v1/responses');
      bodies.push(JSON.parse(String(init.body)) as Record<string, unknown>);
      const args = { pad: 'research', section: 'findings', content: 'The parser drops CRLF lines.\n', mode: null, expected_version: null };
      return json({
        id: 'resp_1', object: 'response', created_at: 1, status: 'completed', model: 'gpt-5',
        output: [{ type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'scratchpad_write', arguments: JSON.stringify(args), status: 'completed' }],
      });
    });
    const out = await run(example('## OpenAI Responses API'), 'openai');
    expect(out).toContain("Wrote to 'research.findings' (mode: replace)");
    expect(out.endsWith('The parser drops CRLF lines.\n')).toBe(true);
    const tools = bodies[0]!['tools'] as { strict: boolean; type: string }[];
    expect(tools).toHaveLength(9);
    expect(tools.every((t) => t.type === 'function' && t.strict)).toBe(true);
  });
});
