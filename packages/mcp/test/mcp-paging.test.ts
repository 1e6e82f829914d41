/** resources/list pages: `pageSize`, `nextCursor`, cursors that survive changes between pages, invalid cursors. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, type Scratchpad } from 'scratchpad-store';
import { createMcpServer, type McpServerOptions } from '../src/index.js';

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

async function connect(sp: Scratchpad, options: McpServerOptions = {}) {
  const mcp = createMcpServer(sp, options);
  const client = new Client({ name: 'pager', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  await client.connect(clientSide);
  opened.push(async () => {
    await client.close();
    await mcp.close();
  });
  return client;
}

async function allPages(client: Client): Promise<{ pages: string[][]; cursors: string[] }> {
  const pages: string[][] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listResources(cursor === undefined ? {} : { cursor });
    pages.push(page.resources.map((r) => r.uri));
    cursor = page.nextCursor;
    if (cursor !== undefined) cursors.push(cursor);
  } while (cursor !== undefined);
  return { pages, cursors };
}

async function filled(pads: Record<string, string[]>): Promise<Scratchpad> {
  const sp = createScratchpad({ storage: memoryStorage() });
  for (const [pad, sections] of Object.entries(pads)) for (const section of sections) await sp.write(pad, section, `${pad}.${section}`);
  return sp;
}

describe('resources/list paging', () => {
  it('gives every resource once, in listing order, in pages of pageSize, and no nextCursor on the last page', async () => {
    const sp = await filled({ research: ['10_b', '2_a', 'notes'], 'a/b c': ['x/y'], empty: [] });
    const client = await connect(sp, { pageSize: 2 });
    const { pages } = await allPages(client);
    expect(pages).toEqual([
      ['scratchpad://a%2Fb%20c', 'scratchpad://a%2Fb%20c/x%2Fy'],
      ['scratchpad://research', 'scratchpad://research/2_a'],
      ['scratchpad://research/10_b', 'scratchpad://research/notes'],
    ]);
    // The same resources as one unpaged list would hold.
    const unpaged = await connect(sp, { pageSize: 1000 });
    const one = await unpaged.listResources();
    expect(one.nextCursor).toBeUndefined();
    expect(one.resources.map((r) => r.uri)).toEqual(pages.flat());
  });

  it('pages 100 resources at a time by default', async () => {
    const sp = await filled({ big: Array.from({ length: 150 }, (_, i) => `s${String(i).padStart(3, '0')}`) });
    const client = await connect(sp);
    const { pages } = await allPages(client);
    expect(pages.map((p) => p.length)).toEqual([100, 51]);
  });

  it('goes on after the last resource of the previous page even when resources appear or go between pages', async () => {
    const sp = await filled({ p: ['a', 'b', 'c', 'd', 'e'] });
    const client = await connect(sp, { pageSize: 3 });
    const first = await client.listResources();
    expect(first.resources.map((r) => r.uri)).toEqual(['scratchpad://p', 'scratchpad://p/a', 'scratchpad://p/b']);
    // The page's last resource goes, one before it goes, one after it comes: nothing repeats, nothing is skipped.
    await sp.delete('p', 'b');
    await sp.delete('p', 'a');
    await sp.write('p', 'c2', 'new');
    const second = await client.listResources({ cursor: first.nextCursor! });
    expect(second.resources.map((r) => r.uri)).toEqual(['scratchpad://p/c', 'scratchpad://p/c2', 'scratchpad://p/d']);
    const third = await client.listResources({ cursor: second.nextCursor! });
    expect(third.resources.map((r) => r.uri)).toEqual(['scratchpad://p/e']);
    expect(third.nextCursor).toBeUndefined();
  });

  it('pages only what the agent may see', async () => {
    const sp = await filled({ private: ['x', 'y'], public: ['a', 'b', 'c'] });
    const client = await connect(sp, { pageSize: 2, allow: { pads: ['public'] } });
    const { pages } = await allPages(client);
    expect(pages.flat()).toEqual(['scratchpad://public', 'scratchpad://public/a', 'scratchpad://public/b', 'scratchpad://public/c']);
  });

  it('answers a cursor it did not give with -32602 Invalid params, and keeps serving', async () => {
    const sp = await filled({ p: ['a'] });
    const client = await connect(sp, { pageSize: 1 });
    const { nextCursor } = await client.listResources();
    const garbage = [
      'not a cursor',
      '',
      `${nextCursor}=`,
      Buffer.from('not json').toString('base64url'),
      Buffer.from('{"pad":"p"}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
      Buffer.from('["p","a","b"]').toString('base64url'),
      Buffer.from('[""]').toString('base64url'),
      Buffer.from([0xff, 0xfe]).toString('base64url'),
      'x'.repeat(10_000),
    ];
    for (const cursor of garbage) {
      const error = await client.listResources({ cursor }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, cursor).toBeInstanceOf(McpError);
      expect((error as McpError).code, cursor).toBe(-32602);
      expect((error as McpError).message).toContain('Invalid cursor');
    }
    expect((await client.listResources({ cursor: nextCursor! })).resources.map((r) => r.uri)).toEqual(['scratchpad://p/a']);
  });

  it('refuses a pageSize that is not a whole number of at least 1', () => {
    const sp = createScratchpad({ storage: memoryStorage() });
    for (const pageSize of [0, -1, 1.5, Number.NaN]) expect(() => createMcpServer(sp, { pageSize })).toThrow(/pageSize/);
  });
});
