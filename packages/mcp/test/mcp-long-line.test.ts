/**
 * Issue 12, finding 7: one message line over 10 MiB gets a JSON-RPC error and the command goes on serving, in memory
 * and with --sync against a real server on loopback. The command runs in this process on its own streams.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, hmacAuth, signToken, type ScratchpadServer } from '@scratchpad-store/server';
import { sqliteStore } from '@scratchpad-store/server/sqlite';
import { runMcpCommand } from '../src/index.js';

const SECRET = 'mcp-long-line-secret-0123456789-0123456789';
let server: ScratchpadServer;
let url: string;
beforeAll(async () => {
  server = createServer({ store: sqliteStore({ path: ':memory:' }), auth: hmacAuth(SECRET), log: () => undefined });
  url = (await server.listen(0)).url;
});
afterAll(() => server.close());

interface Reply {
  id: number | string | null;
  result?: { tools?: unknown[]; isError?: boolean; content?: { text: string }[] };
  error?: { code: number; message: string };
}

describe.each([
  ['in memory', () => ['--session', 'long-lines']],
  ['with --sync', () => ['--session', 'long-lines', '--sync', url, '--token', signToken('alice', SECRET)]],
])('scratchpad-store-mcp %s', (_name, args) => {
  it('answers a line over 10 MiB with an error and keeps serving', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let errors = '';
    stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const replies = new Map<number | string | null, Reply>();
    let buffered = '';
    let changed: () => void = () => undefined;
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const reply = JSON.parse(buffered.slice(0, newline)) as Reply;
        buffered = buffered.slice(newline + 1);
        if ('id' in reply) replies.set(reply.id, reply);
        changed();
      }
    });
    const reply = async (id: number) => {
      while (!replies.has(id)) await new Promise<void>((resolve) => (changed = resolve));
      return replies.get(id)!;
    };
    const send = (message: object) => stdin.write(`${JSON.stringify(message)}\n`);
    let exited: number | undefined;
    const running = runMcpCommand(args(), { stdin, stdout, stderr, env: {} }).then((code) => (exited = code));

    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'long-host', version: '1' } } });
    expect((await reply(1)).result).toBeDefined();
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });

    // 11 MiB of content, sent in 64 KiB pieces as a pipe would deliver it.
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'scratchpad_write', arguments: { pad: 'p', section: 's', content: 'x'.repeat(11 * 1024 * 1024) } } });
    for (let i = 0; i < huge.length; i += 65_536) stdin.write(huge.slice(i, i + 65_536));
    stdin.write('\n');
    const refused = await reply(2);
    expect(refused.error).toMatchObject({ code: -32600, message: expect.stringMatching(/at most 10485760 bytes/) });

    send({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect((await reply(3)).result?.tools?.length).toBeGreaterThan(0);
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'scratchpad_write', arguments: { pad: 'p', section: 's', content: 'small' } } });
    const written = await reply(4);
    expect(written.result?.isError).toBe(false);
    expect(written.result?.content?.[0]?.text).toContain("Wrote to 'p.s'");
    expect(exited).toBeUndefined();
    expect(errors).toMatch(/refused a message over 10485760 bytes \(request id 2\)/);

    stdin.end();
    expect(await running).toBe(0);
  }, 60_000);
});
