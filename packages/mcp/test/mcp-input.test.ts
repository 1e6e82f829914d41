/**
 * Issue 12, findings 4 and 5 through MCP: a name with an unpaired surrogate is a tool error the model can fix, and a
 * row whose time no Date can show does not break resources/list or resources/read.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, type Scratchpad } from 'scratchpad-store';
import { createMcpServer } from '../src/index.js';

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

async function connect(sp: Scratchpad) {
  const mcp = createMcpServer(sp);
  const client = new Client({ name: 'test-host', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  await client.connect(clientSide);
  opened.push(async () => {
    await client.close();
    await mcp.close();
  });
  return client;
}

describe('MCP input checks', () => {
  it('answers a lone surrogate in a name with a fixable tool error', async () => {
    const sp = createScratchpad({ storage: memoryStorage() });
    const client = await connect(sp);
    for (const args of [
      { pad: 'p\ud800', section: 's', content: 'x' },
      { pad: 'p', section: 's\udc00', content: 'x' },
    ]) {
      const result = (await client.callTool({ name: 'scratchpad_write', arguments: args })) as CallToolResult;
      expect(result.isError).toBe(true);
      const text = (result.content[0] as { text: string }).text;
      expect(text).toMatch(/unpaired surrogate/);
      expect(text).not.toMatch(/not caused by your arguments/);
    }
    expect(sp.pads()).toEqual([]);
  });

  it('lists and reads resources whose time is outside the Date range', async () => {
    // A clock (or an older server's row) that says 1e300: the section is still listed and read, without a date.
    const sp = createScratchpad({ storage: memoryStorage(), now: () => 1e300 });
    await sp.write('notes', 'todo', 'text');
    const client = await connect(sp);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('scratchpad://notes/todo');
    const read = await client.readResource({ uri: 'scratchpad://notes/todo' });
    expect(read.contents[0]).toMatchObject({ text: 'text' });
  });
});
