/**
 * The memory tool over a scratchpad against the SDK's own reference: one script of commands, driven through the
 * Anthropic SDK's `toolRunner` with a scripted fetch (no network), run once with `memoryToolHandlers(sp)` and once
 * with `BetaLocalFilesystemMemoryTool` on a temp folder. Every tool result must be the same text with the same error
 * flag, and the scratchpad's history must hold exactly the versions each command should make.
 */
import Anthropic from '@anthropic-ai/sdk';
import { betaMemoryTool, type MemoryToolHandlers as SdkMemoryToolHandlers } from '@anthropic-ai/sdk/helpers/beta/memory';
import { BetaLocalFilesystemMemoryTool } from '@anthropic-ai/sdk/tools/memory/node';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createScratchpad, memoryStorage } from '../src/index.js';
import type { Scratchpad } from '../src/types.js';
import { memoryFileSection, memoryToolHandlers, type MemoryCommand, type MemoryToolHandlers } from '../src/tools/index.js';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

async function scratchpad(): Promise<Scratchpad> {
  let clock = Date.UTC(2025, 0, 1);
  const sp = createScratchpad({ storage: memoryStorage(), now: () => (clock += 1000) });
  await sp.ready;
  return sp;
}

/** One step of the script: the command the "model" sends, and how many versions it should make in the scratchpad. */
interface Step {
  readonly command: MemoryCommand | Record<string, unknown>;
  readonly versions: number;
}

const LONG = 'x'.repeat(10);
const SCRIPT: Step[] = [
  { command: { command: 'view', path: '/memories' }, versions: 0 },
  { command: { command: 'create', path: '/memories/notes.md', file_text: '# Notes\nalpha\nbeta\n' }, versions: 1 },
  { command: { command: 'create', path: '/memories/notes.md', file_text: 'again' }, versions: 0 },
  { command: { command: 'view', path: '/memories/notes.md' }, versions: 0 },
  { command: { command: 'view', path: '/memories/notes.md', view_range: [2, 3] }, versions: 0 },
  { command: { command: 'view', path: '/memories/notes.md', view_range: [2, -1] }, versions: 0 },
  { command: { command: 'view', path: '/memories/notes.md', view_range: [0, 1] }, versions: 0 },
  { command: { command: 'view', path: '/memories/notes.md', view_range: [5, 2] }, versions: 0 },
  { command: { command: 'view', path: '/memories/notes.md', view_range: [1] }, versions: 0 },
  { command: { command: 'str_replace', path: '/memories/notes.md', old_str: 'alpha', new_str: 'ALPHA $& $1' }, versions: 1 },
  { command: { command: 'str_replace', path: '/memories/notes.md', old_str: 'gamma', new_str: 'x' }, versions: 0 },
  { command: { command: 'str_replace', path: '/memories/notes.md', old_str: 'beta\n', new_str: 'x' }, versions: 0 },
  { command: { command: 'create', path: '/memories/dup.md', file_text: 'x one\nx two\nx x three' }, versions: 1 },
  { command: { command: 'str_replace', path: '/memories/dup.md', old_str: 'x', new_str: 'y' }, versions: 0 },
  { command: { command: 'str_replace', path: '/memories/dup.md', old_str: 'x x', new_str: 'z\nz' }, versions: 1 },
  { command: { command: 'str_replace', path: '/memories/missing.md', old_str: 'a', new_str: 'b' }, versions: 0 },
  { command: { command: 'insert', path: '/memories/notes.md', insert_line: 1, insert_text: 'inserted\n' }, versions: 1 },
  { command: { command: 'insert', path: '/memories/notes.md', insert_line: 0, insert_text: 'top' }, versions: 1 },
  { command: { command: 'insert', path: '/memories/notes.md', insert_line: 99, insert_text: 'no' }, versions: 0 },
  { command: { command: 'insert', path: '/memories/notes.md', insert_line: -1, insert_text: 'no' }, versions: 0 },
  { command: { command: 'view', path: '/memories/notes.md' }, versions: 0 },
  { command: { command: 'create', path: '/memories/projects/acme/todo.md', file_text: '- ship\n' }, versions: 1 },
  { command: { command: 'create', path: '/memories/projects/acme/deep/er/file.md', file_text: 'deep' }, versions: 1 },
  { command: { command: 'create', path: '/memories/projects/node_modules/x.md', file_text: 'skipped in listings' }, versions: 1 },
  { command: { command: 'create', path: '/memories/.hidden', file_text: 'secret' }, versions: 1 },
  { command: { command: 'create', path: '/memories/empty.md', file_text: '' }, versions: 1 },
  { command: { command: 'create', path: '/memories/ünïcode €.md', file_text: 'ä€😀\n' }, versions: 1 },
  { command: { command: 'view', path: '/memories' }, versions: 0 },
  { command: { command: 'view', path: '/memories/' }, versions: 0 },
  { command: { command: 'view', path: '/memories/projects' }, versions: 0 },
  { command: { command: 'view', path: '/memoriesprojects' }, versions: 0 },
  { command: { command: 'view', path: '/memories/./projects/../projects/acme' }, versions: 0 },
  { command: { command: 'view', path: '/memories/../memories/projects/acme/todo.md' }, versions: 0 },
  { command: { command: 'view', path: '/memories/.hidden' }, versions: 0 },
  { command: { command: 'view', path: '/memories/empty.md' }, versions: 0 },
  { command: { command: 'view', path: '/memories/nothing' }, versions: 0 },
  { command: { command: 'view', path: '/memories/../secrets' }, versions: 0 },
  { command: { command: 'view', path: '/etc/passwd' }, versions: 0 },
  { command: { command: 'create', path: '/memories/../../escape.md', file_text: 'x' }, versions: 0 },
  { command: { command: 'create', path: 'memories/relative.md', file_text: 'x' }, versions: 0 },
  { command: { command: 'create', path: '/memories', file_text: 'x' }, versions: 0 },
  { command: { command: 'create', path: '/memories/projects', file_text: 'x' }, versions: 0 },
  { command: { command: 'create', path: '/memories/notes.md/child.md', file_text: 'x' }, versions: 0 },
  { command: { command: 'view', path: '/memories/notes.md/child.md' }, versions: 0 },
  { command: { command: 'str_replace', path: '/memories/projects', old_str: 'a', new_str: 'b' }, versions: 0 },
  { command: { command: 'insert', path: '/memories', insert_line: 0, insert_text: 'x' }, versions: 0 },
  // Renames: a file keeps its history, a directory takes everything below it along.
  { command: { command: 'rename', old_path: '/memories/notes.md', new_path: '/memories/projects/renamed.md' }, versions: 1 },
  { command: { command: 'view', path: '/memories/projects/renamed.md' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/dup.md', new_path: '/memories/projects/renamed.md' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/missing.md', new_path: '/memories/projects/x.md' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/projects', new_path: '/memories/projects/acme/p' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories', new_path: '/memories/x' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/', new_path: '/memories/x' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/dup.md', new_path: '/memories/../dup.md' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/dup.md', new_path: '/memories/dup.md/in-itself' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/dup.md', new_path: '/memories' }, versions: 0 },
  // The old path is free again; its section is still the renamed file's, so this file gets another one.
  { command: { command: 'create', path: '/memories/notes.md', file_text: 'a new file where the old one was\n' }, versions: 1 },
  { command: { command: 'view', path: '/memories/notes.md' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/projects/renamed.md', new_path: '/memories/archive/2025/notes.md' }, versions: 1 },
  { command: { command: 'view', path: '/memories' }, versions: 0 },
  // Deleting a directory's last file keeps the directory; deleting a directory removes everything in it.
  { command: { command: 'delete', path: '/memories/projects/acme/todo.md' }, versions: 1 },
  { command: { command: 'delete', path: '/memories/projects/acme/deep/er/file.md' }, versions: 1 },
  { command: { command: 'view', path: '/memories/projects' }, versions: 0 },
  { command: { command: 'view', path: '/memories/projects/acme/deep/er' }, versions: 0 },
  { command: { command: 'create', path: '/memories/projects/acme/deep/er/file.md', file_text: 'deeper' }, versions: 1 },
  { command: { command: 'delete', path: '/memories/projects/acme' }, versions: 2 },
  { command: { command: 'view', path: '/memories' }, versions: 0 },
  { command: { command: 'view', path: '/memories/projects/acme' }, versions: 0 },
  { command: { command: 'create', path: '/memories/projects/acme/again.md', file_text: 'back' }, versions: 1 },
  { command: { command: 'delete', path: '/memories/projects/acme/again.md' }, versions: 1 },
  { command: { command: 'view', path: '/memories/projects' }, versions: 0 },
  { command: { command: 'delete', path: '/memories' }, versions: 0 },
  { command: { command: 'delete', path: '/memories/' }, versions: 0 },
  { command: { command: 'delete', path: '/memories/nope' }, versions: 0 },
  { command: { command: 'delete', path: '/memories/../x' }, versions: 0 },
  // A directory rename moves empty directories too, and leaves the parent it left.
  { command: { command: 'create', path: '/memories/a/b/c.md', file_text: 'c' }, versions: 1 },
  { command: { command: 'create', path: '/memories/a/d/e.md', file_text: 'e' }, versions: 1 },
  { command: { command: 'delete', path: '/memories/a/d/e.md' }, versions: 1 },
  { command: { command: 'rename', old_path: '/memories/a', new_path: '/memories/z/y' }, versions: 1 },
  { command: { command: 'view', path: '/memories' }, versions: 0 },
  { command: { command: 'view', path: '/memories/a' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/z/y/b/c.md', new_path: '/memories/c.md' }, versions: 1 },
  { command: { command: 'rename', old_path: '/memories/z/y/d', new_path: '/memories/d' }, versions: 1 },
  { command: { command: 'delete', path: '/memories/z' }, versions: 1 },
  { command: { command: 'rename', old_path: '/memories/c.md', new_path: '/memories/d/c.md' }, versions: 1 },
  { command: { command: 'str_replace', path: '/memories/d/c.md', old_str: 'c', new_str: 'see' }, versions: 1 },
  { command: { command: 'view', path: '/memories' }, versions: 0 },
  { command: { command: 'rename', old_path: '/memories/archive', new_path: '/memories/old-' + LONG }, versions: 1 },
  { command: { command: 'delete', path: '/memories/old-' + LONG }, versions: 2 },
  { command: { command: 'view', path: '/memories' }, versions: 0 },
];

interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: unknown;
  is_error?: boolean;
}

/**
 * Runs the script through the SDK's tool runner: each model turn asks for one command; the runner runs it with the
 * handlers and sends the result back in the next request, which is where this fetch reads it.
 */
async function runScript(
  handlers: SdkMemoryToolHandlers,
  steps: readonly Step[],
  onTurn: (turn: number) => Promise<void> = async () => undefined,
): Promise<{ text: string; isError: boolean }[]> {
  const results: { text: string; isError: boolean }[] = [];
  let turn = 0;
  const scriptedFetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = JSON.parse(String(init?.body)) as { messages: { role: string; content: unknown }[]; tools?: { name: string; type: string }[] };
    // The runner continues a server-side thread: the tools go with the first request, each later one holds the results.
    if (turn === 0) expect(body.tools).toEqual([{ type: 'memory_20250818', name: 'memory' }]);
    const last = body.messages.at(-1)!;
    if (turn > 0) {
      const blocks = last.content as ToolResultBlock[];
      expect(blocks).toHaveLength(1);
      expect(blocks[0]!.tool_use_id).toBe(`toolu_${turn}`);
      const content = blocks[0]!.content;
      results.push({ text: typeof content === 'string' ? content : JSON.stringify(content), isError: blocks[0]!.is_error === true });
      await onTurn(turn);
    }
    const step = steps[turn];
    turn++;
    const content = step === undefined ? [{ type: 'text', text: 'Done.' }] : [{ type: 'tool_use', id: `toolu_${turn}`, name: 'memory', input: step.command }];
    const message = {
      id: `msg_${turn}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content,
      stop_reason: step === undefined ? 'end_turn' : 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 1 },
    };
    return new Response(JSON.stringify(message), { status: 200, headers: { 'content-type': 'application/json', 'request-id': `req_${turn}` } });
  };
  const client = new Anthropic({ apiKey: 'test-key', fetch: scriptedFetch, maxRetries: 0 });
  const runner = client.beta.messages.toolRunner({
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    max_iterations: steps.length + 2,
    messages: [{ role: 'user', content: 'Remember things.' }],
    tools: [betaMemoryTool(handlers)],
  });
  const final = await runner.runUntilDone();
  expect(final.stop_reason).toBe('end_turn');
  expect(results).toHaveLength(steps.length);
  return results;
}

/**
 * Directory sizes are the one thing that cannot mean the same here: on disk they are the directory's own blocks
 * (4K on ext4, something else on tmpfs or APFS); here they are the bytes of the files below. Both sides get a
 * placeholder in directory lines, and the scratchpad's own sizes are checked against the files on disk below.
 */
function withoutDirectorySizes(text: string): string {
  if (!text.startsWith("Here're the files and directories")) return text;
  const [header, root, ...rest] = text.split('\n');
  const masked = rest.map((line) => (line.endsWith('/') ? line.replace(/^[^\t]*\t/, '<dir>\t') : line));
  return [header, root!.replace(/^[^\t]*\t/, '<dir>\t'), ...masked].join('\n');
}

/** What `du --apparent-size` would say of a directory's files, formatted as the listing formats sizes. */
function filesBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    total += entry.isDirectory() ? filesBytes(full) : statSync(full).size;
  }
  return total;
}

describe('memoryToolHandlers against the SDK reference filesystem, through the SDK tool runner', () => {
  it('answers every command of the script exactly as the reference does, one attributed version per change', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sp-memory-ref-'));
    temps.push(base);
    const reference = await BetaLocalFilesystemMemoryTool.init(base);
    const expected = await runScript(reference, SCRIPT);

    const sp = await scratchpad();
    const versionsAfter: number[] = [];
    const ours = await runScript(memoryToolHandlers(sp, { agent: 'claude' }), SCRIPT, async () => {
      versionsAfter.push((await sp.history({ pad: 'memories' })).length);
    });

    // The reference's Node errors name its folder on disk; here they name the path under /memories.
    const normalise = (r: { text: string; isError: boolean }) => ({ isError: r.isError, text: withoutDirectorySizes(r.text.split(base).join('')) });
    for (let i = 0; i < SCRIPT.length; i++) {
      expect(normalise(ours[i]!), `step ${i + 1}: ${JSON.stringify(SCRIPT[i]!.command)}`).toEqual(normalise(expected[i]!));
    }
    // Errors happened and were errors on both sides (the script is not all happy paths).
    expect(expected.filter((r) => r.isError).length).toBeGreaterThan(25);

    // Exactly the versions each command should make, all attributed to the agent.
    let before = 0;
    SCRIPT.forEach((step, i) => {
      expect(versionsAfter[i]! - before, `versions made by step ${i + 1}: ${JSON.stringify(step.command)}`).toBe(step.versions);
      before = versionsAfter[i]!;
    });
    const history = await sp.history();
    expect(history.length).toBe(SCRIPT.reduce((n, s) => n + s.versions, 0));
    expect(new Set(history.map((e) => e.agent))).toEqual(new Set(['claude']));

    // The files hold what the reference's files hold.
    const onDisk = (dir: string): Map<string, string> => {
      const files = new Map<string, string>();
      const walk = (d: string) => {
        for (const entry of readdirSync(d, { withFileTypes: true })) {
          const full = join(d, entry.name);
          if (entry.isDirectory()) walk(full);
          else files.set(`/memories/${relative(join(base, 'memories'), full)}`, readFileSync(full, 'utf8'));
        }
      };
      walk(dir);
      return files;
    };
    const disk = onDisk(join(base, 'memories'));
    for (const [path, content] of disk) {
      const at = memoryFileSection(sp, path);
      expect(at, path).toBeDefined();
      expect(sp.read(at!.pad, at!.section)).toBe(content);
    }
    expect(sp.sections('memories').filter((s) => s !== '/index')).toHaveLength(disk.size);

    // Directory sizes here: the bytes of the files below, as they are on disk.
    const listing = ours.at(-1)!.text.split('\n');
    expect(listing[1]).toBe(`${filesBytes(join(base, 'memories'))}B\t/memories`);
    expect(listing).toContain(`${filesBytes(join(base, 'memories', 'projects'))}B\t/memories/projects/`);
  });

  it('keeps a renamed file’s whole history: earlier versions rebuild and blame credits the original changes', async () => {
    const sp = await scratchpad();
    const claude = memoryToolHandlers(sp, { agent: 'claude' });
    const editor = memoryToolHandlers(sp, { agent: 'editor' });
    await claude.create({ command: 'create', path: '/memories/plan.md', file_text: 'one\ntwo\nthree\n' });
    await editor.str_replace({ command: 'str_replace', path: '/memories/plan.md', old_str: 'two', new_str: 'TWO' });
    await claude.rename({ command: 'rename', old_path: '/memories/plan.md', new_path: '/memories/done/plan.md' });
    await claude.insert({ command: 'insert', path: '/memories/done/plan.md', insert_line: 3, insert_text: 'four' });
    await editor.rename({ command: 'rename', old_path: '/memories/done', new_path: '/memories/archive' });

    const at = memoryFileSection(sp, '/memories/archive/plan.md');
    expect(at).toEqual({ pad: 'memories', section: 'plan.md' });
    expect(memoryFileSection(sp, '/memories/plan.md')).toBeUndefined();
    expect(await sp.contentAt('memories', 'plan.md', 1)).toBe('one\ntwo\nthree\n');
    expect(await sp.contentAt('memories', 'plan.md', 2)).toBe('one\nTWO\nthree\n');
    expect(sp.read('memories', 'plan.md')).toBe('one\nTWO\nthree\nfour\n');
    const blame = await sp.blame('memories', 'plan.md');
    expect(blame.map((l) => [l.text, l.version, l.agent])).toEqual([
      ['one', 1, 'claude'],
      ['TWO', 2, 'editor'],
      ['three', 1, 'claude'],
      ['four', 3, 'claude'],
    ]);
    // Five changes, five versions: three of the file, two of the index (the renames).
    const history = await sp.history({ pad: 'memories' });
    expect(history.map((e) => [e.section, e.version, e.op, e.agent])).toEqual([
      ['plan.md', 1, 'write_replace', 'claude'],
      ['plan.md', 2, 'write_replace', 'editor'],
      ['/index', 1, 'write_replace', 'claude'],
      ['plan.md', 3, 'write_replace', 'claude'],
      ['/index', 2, 'write_replace', 'editor'],
    ]);
    expect(await claude.view({ command: 'view', path: '/memories/archive/plan.md' })).toBe(
      "Here's the content of /memories/archive/plan.md with line numbers:\n     1\tone\n     2\tTWO\n     3\tthree\n     4\tfour\n     5\t",
    );
  });

  it('refuses names the scratchpad cannot store with the memory tool’s error text, and changes nothing', async () => {
    const sp = await scratchpad();
    const memory = memoryToolHandlers(sp, { agent: 'claude' });
    const tool = betaMemoryTool(memory);
    const before = await sp.exportJSON();
    const tooLong = `/memories/${'n'.repeat(200)}.md`;
    await expect(memory.create({ command: 'create', path: tooLong, file_text: 'x' })).rejects.toThrow(
      `The path ${tooLong} cannot be stored in the scratchpad: The section name is 203 characters long; the limit is 128.`,
    );
    await expect(memory.create({ command: 'create', path: '/memories/a\tb.md', file_text: 'x' })).rejects.toThrow(
      'The path "/memories/a\\tb.md" contains the control character U+0009; memory paths cannot contain control characters.',
    );
    // Malformed commands from a model: a clear error, not a TypeError from deep inside.
    await expect(Promise.resolve(tool.run({ command: 'create', path: '/memories/x.md' } as never, undefined as never))).rejects.toThrow(
      '`file_text` must be a string, got nothing',
    );
    await expect(Promise.resolve(tool.run({ command: 'view' } as never, undefined as never))).rejects.toThrow(
      '`path` must be a path under /memories, got nothing',
    );
    await expect(memory.view({ command: 'view', path: '/memories', view_range: ['1', 2] as never })).resolves.toContain('/memories');
    await memory.create({ command: 'create', path: '/memories/f.md', file_text: 'a\nb' });
    await expect(memory.view({ command: 'view', path: '/memories/f.md', view_range: ['1', 2] as never })).rejects.toThrow('Invalid `view_range` parameter');
    await expect(memory.insert({ command: 'insert', path: '/memories/f.md', insert_line: '1' as never, insert_text: 'x' })).rejects.toThrow(
      '`insert_line` must be a line number, got "1"',
    );
    const after = await sp.exportJSON();
    expect(after.history).toHaveLength(before.history.length + 1);
    expect(sp.read('memories', 'f.md')).toBe('a\nb');
  });

  it('runs commands in the order the model sent them, even when the runner starts them together', async () => {
    const sp = await scratchpad();
    const memory = memoryToolHandlers(sp);
    const answers = await Promise.all([
      memory.create({ command: 'create', path: '/memories/x.md', file_text: 'x' }),
      memory.rename({ command: 'rename', old_path: '/memories/x.md', new_path: '/memories/y.md' }),
      memory.rename({ command: 'rename', old_path: '/memories/y.md', new_path: '/memories/z.md' }),
      memory.view({ command: 'view', path: '/memories' }),
    ]);
    expect(answers[3]).toBe(
      "Here're the files and directories up to 2 levels deep in /memories, excluding hidden items and node_modules:\n1B\t/memories\n1B\t/memories/z.md",
    );
    expect((await sp.history()).every((e) => e.agent === 'memory-tool')).toBe(true);
  });

  it('is typed as the SDK’s MemoryToolHandlers without depending on the SDK', () => {
    expectTypeOf<MemoryToolHandlers>().toExtend<SdkMemoryToolHandlers>();
    const source = readFileSync(join(import.meta.dirname, '../src/tools/memory/handlers.ts'), 'utf8');
    expect(source).not.toMatch(/from '@anthropic-ai|from 'node:|from 'fs|from 'path'/);
  });
});
