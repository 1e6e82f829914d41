import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  McpError,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage } from 'scratchpad-store';
import { createMcpServer, padUri, parseUri, sectionUri, type McpServerOptions } from '../src/index.js';
import { createTools } from 'scratchpad-store/tools';
import type { Scratchpad } from 'scratchpad-store';

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

function scratchpad(): Scratchpad {
  let clock = Date.UTC(2025, 0, 1);
  return createScratchpad({ storage: memoryStorage(), now: () => (clock += 1000) });
}

/** An SDK client connected to a server over the scratchpad, through the SDK's in-memory transport pair. */
async function connect(sp: Scratchpad, clientName = 'test-host', options: McpServerOptions = {}) {
  const mcp = createMcpServer(sp, options);
  const client = new Client({ name: clientName, version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  await client.connect(clientSide);
  opened.push(async () => {
    await client.close();
    await mcp.close();
  });
  return { mcp, client };
}

/** The text of a tool result: the server answers with exactly one text block. */
function textOf(result: unknown): string {
  const { content } = result as CallToolResult;
  expect(content).toHaveLength(1);
  const [block] = content;
  if (block?.type !== 'text') throw new Error(`expected a text block, got ${JSON.stringify(block)}`);
  return block.text;
}

/** Resolves with the next notification of a kind, collecting nothing else. */
function nextNotification<T>(register: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve) => register(resolve));
}

describe('tools over MCP', () => {
  it('lists the tools of createTools with the same names, descriptions and schemas, plus annotations', async () => {
    const sp = scratchpad();
    const { client } = await connect(sp);
    const { tools } = await client.listTools();
    const reference = createTools(sp, { agent: 'anyone' }).definitions;

    expect(tools.map((t) => t.name)).toEqual(reference.map((d) => d.name));
    for (const definition of reference) {
      const tool = tools.find((t) => t.name === definition.name)!;
      expect(tool.description).toBe(definition.description);
      expect(tool.inputSchema).toEqual(definition.inputSchema);
    }
    const byName = new Map(tools.map((t) => [t.name, t.annotations]));
    for (const name of ['scratchpad_read', 'scratchpad_list', 'scratchpad_history', 'scratchpad_diff', 'scratchpad_changes']) {
      expect(byName.get(name)).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    }
    expect(byName.get('scratchpad_write')).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
    expect(byName.get('scratchpad_delete')).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(byName.get('scratchpad_revert')).toMatchObject({ destructiveHint: true, idempotentHint: true });
  });

  it('writes and reads through the tools with the tools’ texts, attributed to the client’s name', async () => {
    const sp = scratchpad();
    const { client, mcp } = await connect(sp, 'claude-ai');

    const written = await client.callTool({
      name: 'scratchpad_write',
      arguments: { pad: 'research', section: 'findings', content: 'one\ntwo\n' },
    });
    expect(written.isError).toBe(false);
    expect(textOf(written)).toContain("Wrote to 'research.findings' (mode: replace)");
    expect(textOf(written)).toContain('Now at version 1 (was 0).');
    expect(mcp.agent).toBe('claude-ai');
    expect(sp.get('research', 'findings')).toMatchObject({ content: 'one\ntwo\n', updatedBy: 'claude-ai' });

    const read = await client.callTool({ name: 'scratchpad_read', arguments: { pad: 'research', section: 'findings' } });
    expect(read.isError).toBe(false);
    expect(textOf(read)).toBe("'research.findings', version 1, last written by claude-ai, 2 lines:\n\none\ntwo\n");

    // The same call through createTools gives the same text: the server adds nothing and drops nothing.
    const direct = await createTools(sp, { agent: 'claude-ai' }).call('scratchpad_read', { pad: 'research', section: 'findings' });
    expect(textOf(read)).toBe(direct);
  });

  it('attributes to the forced agent whatever the client calls itself', async () => {
    const sp = scratchpad();
    const { client, mcp } = await connect(sp, 'cursor-vscode', { agent: 'planner' });
    await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'plan', section: 'steps', content: '1. think' } });
    expect(mcp.agent).toBe('planner');
    expect(sp.get('plan', 'steps')?.updatedBy).toBe('planner');
  });

  it('gives each connection its own agent, so scratchpad_changes shows one client what another did', async () => {
    const sp = scratchpad();
    const a = await connect(sp, 'researcher');
    const b = await connect(sp, 'reviewer');
    await a.client.callTool({ name: 'scratchpad_write', arguments: { pad: 'r', section: 's', content: 'draft' } });
    await b.client.callTool({ name: 'scratchpad_read', arguments: { pad: 'r', section: 's' } });
    await a.client.callTool({ name: 'scratchpad_write', arguments: { pad: 'r', section: 's', content: 'more', mode: 'append' } });

    const changes = textOf(await b.client.callTool({ name: 'scratchpad_changes', arguments: {} }));
    expect(changes).toContain('researcher');
    expect(changes).toContain('+more');
    const history = await sp.history({ pad: 'r' });
    expect(history.map((e) => e.agent)).toEqual(['researcher', 'researcher']);
  });

  it('answers bad arguments, unknown tools and refusals with isError results, and keeps serving', async () => {
    const sp = scratchpad();
    const { client } = await connect(sp, 'clumsy', { allow: { modes: ['append'] } });

    const missing = await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'p' } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^Error: invalid arguments for scratchpad_write:/);
    expect(textOf(missing)).toContain('Nothing was changed.');

    const wrongType = await client.callTool({ name: 'scratchpad_read', arguments: { pad: 42 } });
    expect(wrongType.isError).toBe(true);
    expect(textOf(wrongType)).toMatch(/^Error: /);

    const unknown = await client.callTool({ name: 'scratchpad_format_disk', arguments: {} });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toContain("there is no tool 'scratchpad_format_disk'");

    const refused = await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'p', section: 's', content: 'x', mode: 'replace' } });
    expect(refused.isError).toBe(true);

    const noArguments = await client.callTool({ name: 'scratchpad_read' });
    expect(noArguments.isError).toBe(true);

    expect(sp.pads()).toEqual([]);
    const ok = await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'p', section: 's', content: 'fine', mode: 'append' } });
    expect(ok.isError).toBe(false);
    expect(sp.read('p', 's')).toBe('fine');
  });

  it('marks writes of an append-only agent as not destructive, and leaves out the tools it may not use', async () => {
    const { client } = await connect(scratchpad(), 'appender', { allow: { modes: ['append', 'prepend'] } });
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === 'scratchpad_write')?.annotations?.destructiveHint).toBe(false);
    expect(tools.map((t) => t.name)).not.toContain('scratchpad_delete');
  });
});

describe('resources over MCP', () => {
  it('lists each pad and each section, with percent-encoded names, and reads them', async () => {
    const sp = scratchpad();
    await sp.write('research', 'findings', 'first finding\n', { agent: 'researcher' });
    await sp.write('research', '2_results', '## Results\n42\n', { agent: 'researcher' });
    await sp.write('a/b c', 'x/y', 'odd names\n', { agent: 'user' });
    const { client } = await connect(sp);

    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual([
      'scratchpad://a%2Fb%20c',
      'scratchpad://a%2Fb%20c/x%2Fy',
      'scratchpad://research',
      'scratchpad://research/2_results',
      'scratchpad://research/findings',
    ]);
    const findings = resources.find((r) => r.uri === 'scratchpad://research/findings')!;
    expect(findings).toMatchObject({ name: 'research/findings', mimeType: 'text/markdown', size: 14 });
    expect(findings.description).toContain('last written by researcher');

    const pad = await client.readResource({ uri: 'scratchpad://research' });
    expect(pad.contents).toEqual([{ uri: 'scratchpad://research', mimeType: 'text/markdown', text: sp.render('research') }]);
    expect(pad.contents[0]).toMatchObject({ text: expect.stringContaining('# research') });

    const odd = await client.readResource({ uri: sectionUri('a/b c', 'x/y') });
    expect(odd.contents[0]).toMatchObject({ text: 'odd names\n', _meta: { version: 1, updatedBy: 'user' } });

    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['scratchpad://{pad}', 'scratchpad://{pad}/{section}']);
  });

  it('answers a missing or malformed resource with an error, not a crash', async () => {
    const { client } = await connect(scratchpad());
    await expect(client.readResource({ uri: 'scratchpad://nowhere' })).rejects.toThrow(McpError);
    await expect(client.readResource({ uri: 'scratchpad://nowhere' })).rejects.toMatchObject({ code: -32002 });
    await expect(client.readResource({ uri: 'https://example.com/' })).rejects.toThrow(/Not a scratchpad URI/);
    await expect(client.readResource({ uri: 'scratchpad://a/b/c' })).rejects.toThrow(/Not a scratchpad URI/);
    expect((await client.listResources()).resources).toEqual([]);
  });

  it('notifies a subscriber when its section or pad changes, and lists again when sections appear', async () => {
    const sp = scratchpad();
    await sp.write('research', 'findings', 'first\n');
    const { client } = await connect(sp, 'watcher');

    const updated: string[] = [];
    let listChanged = 0;
    let onUpdate: (() => void) | undefined;
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
      onUpdate?.();
    });
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      listChanged++;
    });

    await client.subscribeResource({ uri: 'scratchpad://research/findings' });
    await client.subscribeResource({ uri: 'scratchpad://research' });

    const twoUpdates = nextNotification<void>((resolve) => {
      onUpdate = () => updated.length >= 2 && resolve();
    });
    await sp.write('research', 'findings', 'second\n', { mode: 'append', agent: 'researcher' });
    await twoUpdates;
    expect(updated.sort()).toEqual(['scratchpad://research', 'scratchpad://research/findings']);
    expect(listChanged).toBe(0);

    // A new section changes the pad and the list; the section subscription is not about it.
    updated.length = 0;
    const listed = nextNotification<void>((resolve) => {
      client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
        listChanged++;
        resolve();
      });
    });
    await sp.write('research', 'notes', 'n\n');
    await listed;
    expect(listChanged).toBe(1);
    expect(updated).toEqual(['scratchpad://research']);

    // After unsubscribing from the section, a change to it reaches the client only through the pad.
    await client.unsubscribeResource({ uri: 'scratchpad://research/findings' });
    updated.length = 0;
    const padOnly = nextNotification<void>((resolve) => {
      onUpdate = resolve;
    });
    await sp.write('research', 'findings', 'third\n');
    await padOnly;
    // A round trip after the notification: anything else the server sent for that write has arrived by now.
    await client.ping();
    expect(updated).toEqual(['scratchpad://research']);
  });

  it('notifies about a section subscribed to before it exists, and about changes made by another client’s tools', async () => {
    const sp = scratchpad();
    const watcher = await connect(sp, 'watcher');
    const writer = await connect(sp, 'writer');
    const uri = sectionUri('later', 'section');
    await watcher.client.subscribeResource({ uri });
    const notified = nextNotification<string>((resolve) => {
      watcher.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri));
    });
    await writer.client.callTool({ name: 'scratchpad_write', arguments: { pad: 'later', section: 'section', content: 'hello' } });
    expect(await notified).toBe(uri);
    const read = await watcher.client.readResource({ uri });
    expect(read.contents[0]).toMatchObject({ text: 'hello', _meta: { updatedBy: 'writer' } });
  });

  it('hides the pads an agent may not use', async () => {
    const sp = scratchpad();
    await sp.write('public', 's', 'visible');
    await sp.write('private', 's', 'hidden');
    const { client } = await connect(sp, 'limited', { allow: { pads: ['public'] } });
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['scratchpad://public', 'scratchpad://public/s']);
    await expect(client.readResource({ uri: 'scratchpad://private/s' })).rejects.toMatchObject({ code: -32002 });
    await expect(client.subscribeResource({ uri: 'scratchpad://private' })).rejects.toThrow(/not available/);
  });

  it('stops watching the scratchpad once closed', async () => {
    const sp = scratchpad();
    // Count the store listeners the server holds.
    let listeners = 0;
    const subscribe = sp.store.subscribe.bind(sp.store);
    sp.store.subscribe = (listener) => {
      listeners++;
      const unsubscribe = subscribe(listener);
      return () => {
        listeners--;
        unsubscribe();
      };
    };
    const { mcp, client } = await connect(sp);
    expect(listeners).toBe(1);
    await client.subscribeResource({ uri: padUri('p') });
    await mcp.close();
    expect(listeners).toBe(0);
    // The same when the client goes away first.
    const other = await connect(sp);
    expect(listeners).toBe(1);
    await other.client.close();
    expect(listeners).toBe(0);
    // Writing after the close must neither throw nor try to send on the closed transport.
    await sp.write('p', 's', 'after close');
    expect(sp.read('p', 's')).toBe('after close');
  });
});

describe('resource URIs', () => {
  it('round-trips any name, and keeps dot-only names from reading as paths', () => {
    for (const [pad, section] of [
      ['plain', 'name'],
      ['with/slash', 'and space'],
      ['üñí©ødé', '100%'],
      ['.', '..'],
      ['__proto__', 'constructor'],
    ] as const) {
      expect(parseUri(sectionUri(pad, section))).toEqual({ pad, section });
      expect(parseUri(padUri(pad))).toEqual({ pad });
    }
    expect(sectionUri('.', '..')).toBe('scratchpad://%2E/%2E%2E');
    expect(parseUri('scratchpad://%E0%A4%A')).toBeUndefined();
    expect(parseUri('scratchpad://')).toBeUndefined();
    expect(parseUri('scratchpad://a/')).toBeUndefined();
  });
});
