/**
 * MCP over Streamable HTTP at /mcp, against the real server on loopback: the MCP SDK's own client and transport,
 * a real SQLite store, and httpSync as the other client. Nothing is mocked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createScratchpad, type Scratchpad } from 'scratchpad-store';
import { httpSync } from 'scratchpad-store/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hmacAuth, signToken } from '../src/auth.js';
import type { ServerMcpOptions } from '../src/mcp/route.js';
import { createServer, type ScratchpadServer } from '../src/server.js';
import { sqliteStore } from '../src/sql/sqlite.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const alice = signToken('alice', SECRET);
const bob = signToken('bob', SECRET);

let dir: string;
let files = 0;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scratchpad-mcp-http-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  // Clients first, then servers: last opened, first closed.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Running {
  readonly server: ScratchpadServer;
  readonly base: string;
  readonly path: string;
  readonly logged: string[];
}

/** `pullIntervalMs: 0` by default: MCP sessions then pull only when poked, so a notification proves the poke. */
async function start(mcp: ServerMcpOptions = {}, path = join(dir, `mcp-${++files}.db`)): Promise<Running> {
  const logged: string[] = [];
  const server = createServer({
    store: sqliteStore({ path }),
    auth: hmacAuth(SECRET),
    mcp: { pullIntervalMs: 0, ...mcp },
    log: (message) => void logged.push(message),
  });
  const { url } = await server.listen(0);
  cleanups.push(() => server.close());
  return { server, base: url, path, logged };
}

async function mcpClient(base: string, token: string | undefined, session?: string, name = 'remote-host') {
  const url = new URL(`${base}/mcp${session === undefined ? '' : `?session=${encodeURIComponent(session)}`}`);
  const transport = new StreamableHTTPClientTransport(url, token === undefined ? {} : { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, transport };
}

/** A browser-like client of the same server: httpSync over HTTP with a bearer token. */
async function browser(base: string, token: string, sessionId: string): Promise<Scratchpad> {
  const sp = createScratchpad({ sessionId, sync: httpSync({ url: base, token, pullIntervalMs: 0 }) });
  await sp.ready;
  cleanups.push(() => sp.close());
  return sp;
}

function textOf(result: unknown): string {
  const content = (result as CallToolResult).content;
  expect(content).toHaveLength(1);
  return (content[0] as { text: string }).text;
}

/** Resolves with the first notified URI that `accept` takes; the test's timeout bounds the wait. */
function updates(client: Client) {
  const seen: string[] = [];
  let waiter: { accept: (uri: string) => boolean; resolve: (uri: string) => void } | undefined;
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    seen.push(n.params.uri);
    if (waiter?.accept(n.params.uri)) {
      waiter.resolve(n.params.uri);
      waiter = undefined;
    }
  });
  return {
    seen,
    next: (accept: (uri: string) => boolean = () => true) => new Promise<string>((resolve) => (waiter = { accept, resolve })),
  };
}

describe('MCP over Streamable HTTP at /mcp', () => {
  it('lists and calls the tools; changes are pushed as the token’s user and attributed to the host', async () => {
    const { base } = await start();
    const { client } = await mcpClient(base, alice, 'notes', 'claude-code');

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['scratchpad_write', 'scratchpad_read', 'scratchpad_list', 'scratchpad_history']));

    const written = await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'plan', section: 'todo', content: '- ship it' } });
    expect(written.isError).toBe(false);
    expect(textOf(written)).toContain("Wrote to 'plan.todo'");
    const read = await client.callTool({ name: 'scratchpad_read', arguments: { pad: 'plan', section: 'todo' } });
    expect(textOf(read)).toContain('- ship it');

    // Another device of alice's pulls it from the server: it went through the store as alice's, under the host's name.
    const device = await browser(base, alice, 'notes');
    await expect.poll(async () => (await device.flush(), device.get('plan', 'todo')?.updatedBy)).toBe('claude-code');
    expect(device.read('plan', 'todo')).toBe('- ship it');
  });

  it('serves the session named by ?session=, "default" without it, with what the server already holds', async () => {
    const { base } = await start();
    const device = await browser(base, alice, 'default');
    await device.write('inbox', 'first', 'already there', { agent: 'browser' });
    await device.flush();

    const { client } = await mcpClient(base, alice);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['scratchpad://inbox', 'scratchpad://inbox/first']);
    const section = await client.readResource({ uri: 'scratchpad://inbox/first' });
    expect(section.contents[0]).toMatchObject({ text: 'already there', _meta: { version: 1, updatedBy: 'browser' } });

    const other = await mcpClient(base, alice, 'elsewhere');
    expect((await other.client.listResources()).resources).toEqual([]);
  });

  it('notifies a subscriber when the section changes through the MCP session and when an httpSync client writes it', async () => {
    const { base } = await start();
    const watcher = await mcpClient(base, alice, 'shared', 'watcher');
    const writer = await mcpClient(base, alice, 'shared', 'writer');
    const uri = 'scratchpad://brief/summary';
    await watcher.client.subscribeResource({ uri });
    const heard = updates(watcher.client);

    // Through the watcher's own MCP session.
    let next = heard.next((u) => u === uri);
    await watcher.client.callTool({ name: 'scratchpad_write', arguments: { pad: 'brief', section: 'summary', content: 'one' } });
    expect(await next).toBe(uri);

    // Through another MCP session of the same scratchpad session: its push pokes the watcher's session.
    next = heard.next((u) => u === uri);
    await writer.client.callTool({ name: 'scratchpad_write', arguments: { pad: 'brief', section: 'summary', content: 'two', mode: 'append' } });
    expect(await next).toBe(uri);

    // Through httpSync, as a browser would.
    const device = await browser(base, alice, 'shared');
    await device.flush();
    next = heard.next((u) => u === uri);
    await device.write('brief', 'summary', 'three', { mode: 'append', agent: 'person' });
    await device.flush();
    expect(await next).toBe(uri);
    await expect
      .poll(async () => ((await watcher.client.readResource({ uri })).contents[0] as { text: string }).text)
      .toBe('one\ntwo\nthree');
    const meta = (await watcher.client.readResource({ uri })).contents[0]?._meta;
    expect(meta).toMatchObject({ updatedBy: 'person', version: 3 });
  });

  it('hears about changes made through another server instance by pulling every pullIntervalMs', async () => {
    // Two instances on one database: the MCP session's instance is not told of the other's commits, so it polls.
    const mcpInstance = await start({ pullIntervalMs: 50 });
    const other = createServer({ store: sqliteStore({ path: mcpInstance.path }), auth: hmacAuth(SECRET), log: () => undefined });
    const { url: otherBase } = await other.listen(0);
    cleanups.push(() => other.close());

    const { client } = await mcpClient(mcpInstance.base, alice, 'two-instances');
    const uri = 'scratchpad://p/s';
    await client.subscribeResource({ uri });
    const heard = updates(client);
    const next = heard.next((u) => u === uri);
    const device = await browser(otherBase, alice, 'two-instances');
    await device.write('p', 's', 'via the other instance', { agent: 'person' });
    await device.flush();
    expect(await next).toBe(uri);
    expect((await client.readResource({ uri })).contents[0]).toMatchObject({ text: 'via the other instance' });
  });

  it('tells about new sections written by another client (list changed)', async () => {
    const { base } = await start();
    const { client } = await mcpClient(base, alice, 'lists');
    const listChanged = new Promise<void>((resolve) => client.setNotificationHandler(ResourceListChangedNotificationSchema, () => resolve()));
    const device = await browser(base, alice, 'lists');
    await device.write('fresh', 'section', 'new', { agent: 'person' });
    await device.flush();
    await listChanged;
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['scratchpad://fresh', 'scratchpad://fresh/section']);
  });

  it('refuses a missing or invalid token with 401 and WWW-Authenticate: Bearer', async () => {
    const { base } = await start();
    for (const token of [undefined, 'not-a-token', signToken('alice', 'another-secret-that-is-long-enough-012345')]) {
      const refused = await mcpClient(base, token).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(StreamableHTTPError);
      expect((refused as StreamableHTTPError).code).toBe(401);
    }
    const raw = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe('Bearer');

    // Every request authenticates, not only initialize: a live session with the token gone is refused too.
    const { transport } = await mcpClient(base, alice, 'tok');
    const withoutToken = await fetch(`${base}/mcp?session=tok`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId! },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
    });
    expect(withoutToken.status).toBe(401);
  });

  it("never serves another user's scratchpad: neither by session name nor by MCP session id", async () => {
    const { base } = await start();
    const bobs = await browser(base, bob, 'bobs-notes');
    await bobs.write('secret', 'plan', 'bob only', { agent: 'bob' });
    await bobs.flush();

    // Sessions are keyed by user and id: the same name opens alice's own session, which holds nothing of bob's, and
    // what she writes there stays hers.
    const alices = await mcpClient(base, alice, 'bobs-notes');
    expect((await alices.client.listResources()).resources).toEqual([]);
    await expect(alices.client.readResource({ uri: 'scratchpad://secret/plan' })).rejects.toMatchObject({ code: -32002 });
    await alices.client.callTool({ name: 'scratchpad_write', arguments: { pad: 'secret', section: 'plan', content: 'alice was here' } });

    // Bob's own MCP session; alice holding its id gets 404, as for a session that does not exist.
    const bobsMcp = await mcpClient(base, bob, 'bobs-notes');
    const stolen = await fetch(`${base}/mcp?session=bobs-notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': bobsMcp.transport.sessionId! },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'scratchpad://secret/plan' } }),
    });
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).not.toContain('bob only');

    // And bob's text is as he left it, for his MCP session and his browser.
    const read = await bobsMcp.client.readResource({ uri: 'scratchpad://secret/plan' });
    expect(read.contents[0]).toMatchObject({ text: 'bob only', _meta: { updatedBy: 'bob' } });
    await bobs.flush();
    expect(bobs.read('secret', 'plan')).toBe('bob only');
    expect((await alices.client.readResource({ uri: 'scratchpad://secret/plan' })).contents[0]).toMatchObject({ text: 'alice was here' });
  });

  it('pages resources/list with nextCursor, and answers an invalid cursor with a JSON-RPC error', async () => {
    const { base } = await start({ pageSize: 3 });
    const device = await browser(base, alice, 'many');
    for (const section of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await device.write('pad', section, section, { agent: 'person' });
    await device.write('other', 'x', 'x', { agent: 'person' });
    await device.flush();
    const { client } = await mcpClient(base, alice, 'many');

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor === undefined ? {} : { cursor });
      pages.push(page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 1]);
    expect(pages.flat()).toEqual([
      'scratchpad://other',
      'scratchpad://other/x',
      'scratchpad://pad',
      'scratchpad://pad/a',
      'scratchpad://pad/b',
      'scratchpad://pad/c',
      'scratchpad://pad/d',
      'scratchpad://pad/e',
      'scratchpad://pad/f',
      'scratchpad://pad/g',
    ]);

    const invalid = await client.listResources({ cursor: 'not a cursor' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(invalid).toBeInstanceOf(McpError);
    expect((invalid as McpError).code).toBe(-32602);
  });

  it('ends a session on DELETE; a request that names it afterwards gets 404', async () => {
    const { base } = await start();
    const { client, transport } = await mcpClient(base, alice, 'bye');
    await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'p', section: 's', content: 'kept' } });
    const id = transport.sessionId!;
    await transport.terminateSession();
    const after = await fetch(`${base}/mcp?session=bye`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    expect(after.status).toBe(404);
    // What it wrote was pushed before it ended.
    const device = await browser(base, alice, 'bye');
    await device.flush();
    expect(device.read('p', 's')).toBe('kept');
  });

  it('closes a session that stays idle', async () => {
    const { base } = await start({ idleTimeoutMs: 50 });
    // A raw initialize, without the GET stream an SDK client keeps open (an open stream is not idle).
    const init = await fetch(`${base}/mcp?session=idle`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    expect(init.status).toBe(200);
    const id = init.headers.get('mcp-session-id')!;
    await init.text();
    const ping = () =>
      fetch(`${base}/mcp?session=idle`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      }).then((r) => r.status);
    await expect.poll(ping, { interval: 100, timeout: 20_000 }).toBe(404);
  });

  it('closes its MCP sessions on shutdown and pushes what they wrote first', async () => {
    const path = join(dir, `mcp-${++files}.db`);
    const first = await start({}, path);
    const { client } = await mcpClient(first.base, alice, 'last-words');
    await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'p', section: 's', content: 'written just before shutdown' } });
    await first.server.close();

    const second = await start({}, path);
    const device = await browser(second.base, alice, 'last-words');
    await device.flush();
    expect(device.read('p', 's')).toBe('written just before shutdown');
  });

  it('takes MCP requests from the same per-user rate limit as sync requests', async () => {
    const server = createServer({ store: sqliteStore({ path: ':memory:' }), auth: hmacAuth(SECRET), mcp: true, rateLimit: { requestsPerSecond: 0.001, burst: 1 }, log: () => undefined });
    cleanups.push(() => server.close());
    const request = () => server.fetch(new Request('http://pads.test/mcp', { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, body: '{}' }));
    expect((await request()).status).toBe(400); // not an initialize, but through the limit
    const limited = await request();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('refuses options that make no sense when the server is created', () => {
    const store = sqliteStore({ path: ':memory:' });
    cleanups.push(() => store.close());
    for (const mcp of [{ pageSize: 0 }, { idleTimeoutMs: 1.5 }, { maxSessions: -1 }, { pullIntervalMs: -1 }, { agent: ' ' }] as ServerMcpOptions[]) {
      expect(() => createServer({ store, auth: hmacAuth(SECRET), mcp }), JSON.stringify(mcp)).toThrow(TypeError);
    }
  });

  it('is not there unless enabled', async () => {
    const server = createServer({ store: sqliteStore({ path: ':memory:' }), auth: hmacAuth(SECRET), log: () => undefined });
    cleanups.push(() => server.close());
    const response = await server.fetch(new Request('http://pads.test/mcp', { method: 'POST', headers: { authorization: `Bearer ${alice}` } }));
    expect(response.status).toBe(404);
  });
});
