/**
 * createMcpHttpHandler on web-standard Request/Response, driven by the SDK's StreamableHTTPClientTransport through
 * its `fetch` option (no socket): sessions bound to their owner, refusals from `open`, limits, idle expiry, close.
 * The same handler behind the real server on loopback is tested in packages/server/test/server-mcp.test.ts.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchpad, memoryStorage, type Scratchpad } from 'scratchpad-store';
import { createMcpHttpHandler, McpHttpError, type McpHttpHandler, type McpHttpHandlerOptions } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const URL_ = 'http://mcp.test/mcp';
const ACCEPT = 'application/json, text/event-stream';
const initialize = (id = 1) => ({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

/** A handler whose scratchpads are kept per owner, so that tests can look at them; records what was closed. */
function handler(options: Partial<McpHttpHandlerOptions> = {}) {
  const pads = new Map<string, Scratchpad>();
  const closed: string[] = [];
  const h = createMcpHttpHandler({
    async open({ owner }) {
      let sp = pads.get(owner);
      if (!sp) pads.set(owner, (sp = createScratchpad({ sessionId: owner, storage: memoryStorage() })));
      return { scratchpad: sp, close: () => void closed.push(owner) };
    },
    ...options,
  });
  cleanups.push(() => h.close());
  return { handler: h, pads, closed };
}

async function client(h: McpHttpHandler, owner: string, name = 'host') {
  const transport = new StreamableHTTPClientTransport(new URL(URL_), {
    fetch: (url, init) => h.handle(new Request(url, init), owner),
  });
  const c = new Client({ name, version: '1.0.0' });
  await c.connect(transport);
  cleanups.push(() => c.close());
  return { client: c, transport };
}

const post = (h: McpHttpHandler, owner: string, body: unknown, headers: Record<string, string> = {}) =>
  h.handle(new Request(URL_, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }), owner);

describe('createMcpHttpHandler', () => {
  it("serves each owner's scratchpad to the SDK client, with notifications on the GET stream", async () => {
    const { handler: h, pads } = handler();
    const { client: c } = await client(h, 'alice', 'alice-host');
    await c.callTool({ name: 'scratchpad_write', arguments: { pad: 'p', section: 's', content: 'hi' } });
    expect(pads.get('alice')!.get('p', 's')).toMatchObject({ content: 'hi', updatedBy: 'alice-host' });

    await c.subscribeResource({ uri: 'scratchpad://p/s' });
    const notified = new Promise<string>((resolve) => c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)));
    await pads.get('alice')!.write('p', 's', 'changed elsewhere');
    expect(await notified).toBe('scratchpad://p/s');
    expect(h.sessions).toBe(1);
  });

  it("answers another owner's session id with 404, like a session that does not exist", async () => {
    const { handler: h } = handler();
    const { transport } = await client(h, 'alice');
    const ping = { jsonrpc: '2.0', id: 5, method: 'ping' };
    const session = { 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-06-18' };
    expect((await post(h, 'mallory', ping, session)).status).toBe(404);
    expect((await post(h, 'alice', ping, { ...session, 'mcp-session-id': 'no-such-session' })).status).toBe(404);
    expect((await post(h, 'alice', ping, session)).status).toBe(200);
  });

  it('refuses with the status of an McpHttpError thrown by open, and 500 for anything else', async () => {
    const refusing = createMcpHttpHandler({
      open: async ({ owner }) => {
        if (owner === 'bob') throw new McpHttpError(403, 'This session belongs to another user.');
        throw new Error('database down');
      },
      onError: () => undefined,
    });
    cleanups.push(() => refusing.close());
    const forbidden = await client(refusing, 'bob').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(forbidden).toBeInstanceOf(StreamableHTTPError);
    expect((forbidden as StreamableHTTPError).code).toBe(403);
    expect((forbidden as Error).message).toContain('belongs to another user');
    const failed = await post(refusing, 'carol', initialize());
    expect(failed.status).toBe(500);
    expect(await failed.text()).not.toContain('database down');
  });

  it('wants initialize first, a session id on GET and DELETE, JSON, and a body within its limit', async () => {
    const { handler: h } = handler({ maxBodyBytes: 1024 });
    expect((await post(h, 'alice', { jsonrpc: '2.0', id: 1, method: 'tools/list' })).status).toBe(400);
    expect((await post(h, 'alice', '{not json')).status).toBe(400);
    expect((await post(h, 'alice', { ...initialize(), pad: 'x'.repeat(2000) })).status).toBe(413);
    expect((await h.handle(new Request(URL_, { method: 'GET', headers: { accept: 'text/event-stream' } }), 'alice')).status).toBe(400);
    expect((await h.handle(new Request(URL_, { method: 'DELETE' }), 'alice')).status).toBe(400);
    expect((await h.handle(new Request(URL_, { method: 'PUT', body: '{}' }), 'alice')).status).toBe(405);
    expect(h.sessions).toBe(0);
  });

  it("makes room for a new session of an owner at the limit by closing that owner's least recently used idle one", async () => {
    const { handler: h, closed } = handler({ maxSessionsPerOwner: 2, maxSessions: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await post(h, 'alice', initialize());
      expect(response.status).toBe(200);
      await response.text();
      ids.push(response.headers.get('mcp-session-id')!);
    }
    // alice's first session made room for her third.
    expect(h.sessions).toBe(2);
    expect(closed).toEqual(['alice']);
    const ping = (id: string) => post(h, 'alice', { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' });
    expect((await ping(ids[0]!)).status).toBe(404);
    expect((await ping(ids[2]!)).status).toBe(200);

    // Another owner fills the server: beyond maxSessions, 503.
    const bob = await post(h, 'bob', initialize());
    expect(bob.status).toBe(200);
    await bob.text();
    expect((await post(h, 'carol', initialize())).status).toBe(503);
  });

  it('closes idle sessions, but not one whose GET stream is open', async () => {
    const { handler: h, closed } = handler({ idleTimeoutMs: 20 });
    const listening = await client(h, 'listener');
    const raw = await post(h, 'raw', initialize());
    await raw.text();
    await expect.poll(() => closed, { interval: 20, timeout: 20_000 }).toContain('raw');
    // The SDK client keeps its GET stream open: its session stays, and still answers.
    expect(closed).not.toContain('listener');
    expect(await listening.client.ping()).toEqual({});
  });

  it('ends every session on close and answers 503 afterwards', async () => {
    const { handler: h, closed } = handler();
    await client(h, 'alice');
    await client(h, 'bob');
    await h.close();
    expect(closed.sort()).toEqual(['alice', 'bob']);
    expect(h.sessions).toBe(0);
    expect((await post(h, 'alice', initialize())).status).toBe(503);
  });
});
