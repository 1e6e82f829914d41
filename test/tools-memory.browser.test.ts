/**
 * Anthropic's memory tool on a scratchpad in a real browser: `memoryToolHandlers` over IndexedDB in Chromium, each
 * change one attributed version that survives a reload, a rename keeping the file's history. The answers themselves
 * are compared with the SDK's reference implementation in test/tools-memory.test.ts (Node); here they must be the
 * same texts without any Node built-in in reach.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchpad, type Scratchpad } from '../src/index.js';
import { indexedDbStorage } from '../src/storage/idb.js';
import { memoryFileSection, memoryToolHandlers } from '../src/tools/index.js';
import { uniqueName } from './idb-fixtures.js';

const open: Scratchpad[] = [];
afterEach(() => {
  for (const sp of open.splice(0)) sp.close();
});

async function scratchpad(name: string): Promise<Scratchpad> {
  const sp = createScratchpad({ storage: indexedDbStorage({ name }) });
  open.push(sp);
  await sp.ready;
  return sp;
}

describe('memoryToolHandlers in Chromium, on IndexedDB', () => {
  it('creates, edits, renames and deletes files as attributed versions that a reload keeps', async () => {
    const name = uniqueName('memory-tool');
    const first = await scratchpad(name);
    const memory = memoryToolHandlers(first, { agent: 'claude' });

    expect(await memory.create({ command: 'create', path: '/memories/notes/todo.md', file_text: '- buy milk\n' })).toBe(
      'File created successfully at: /memories/notes/todo.md',
    );
    await memory.str_replace({ command: 'str_replace', path: '/memories/notes/todo.md', old_str: 'milk', new_str: 'oat milk' });
    await memory.insert({ command: 'insert', path: '/memories/notes/todo.md', insert_line: 1, insert_text: '- call Bob' });
    await memory.rename({ command: 'rename', old_path: '/memories/notes/todo.md', new_path: '/memories/done.md' });
    await expect(memory.view({ command: 'view', path: '/memories/notes/todo.md' })).rejects.toThrow(/does not exist/);
    await first.flush();
    first.close();

    // A new page's scratchpad on the same database: the file, its text and its history are all there.
    const second = await scratchpad(name);
    const again = memoryToolHandlers(second, { agent: 'claude' });
    expect(await again.view({ command: 'view', path: '/memories/done.md' })).toContain('oat milk');
    const where = await memoryFileSection(second, '/memories/done.md');
    expect(where).toBeDefined();
    const history = await second.history({ pad: where!.pad, section: where!.section, order: 'asc' });
    expect(history.map((e) => [e.version, e.agent])).toEqual([
      [1, 'claude'],
      [2, 'claude'],
      [3, 'claude'],
    ]);
    expect(await second.contentAt(where!.pad, where!.section, 1)).toBe('- buy milk\n');
    expect((await second.blame(where!.pad, where!.section)).map((line) => line.version)).toEqual([2, 3]);

    expect(await again.delete({ command: 'delete', path: '/memories/done.md' })).toBe('Successfully deleted /memories/done.md');
    await expect(again.view({ command: 'view', path: '/memories/done.md' })).rejects.toThrow(/does not exist/);
  });
});
