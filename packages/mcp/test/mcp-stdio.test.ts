import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchpad } from 'scratchpad-store';
import { createServer, hmacAuth, signToken } from '@scratchpad-store/server';
import { sqliteStore } from '@scratchpad-store/server/sqlite';
import { httpSync } from 'scratchpad-store/sync';
import { buildPackages, type BuiltPackages } from '../../../test/helpers/build-packages.js';

const root = resolve(import.meta.dirname, '..');

// The command as an install has it: `scratchpad-store-mcp` of the built package, importing the built browser package.
let build: BuiltPackages;
beforeAll(async () => {
  build = await buildPackages();
}, 180_000);
afterAll(() => build?.remove());

/** The command line that starts the built MCP server with these arguments. */
function command(args: readonly string[]): string[] {
  return [build.bin('@scratchpad-store/mcp', 'scratchpad-store-mcp'), ...args];
}

function textOf(result: unknown): string {
  const [block] = (result as CallToolResult).content;
  if (block?.type !== 'text') throw new Error(`expected a text block, got ${JSON.stringify(block)}`);
  return block.text;
}

/** Runs the built entry to completion with stdin closed at once; resolves with its exit code and output. */
function runToEnd(args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    child.stdin.end();
  });
}

describe('the built scratchpad-store-mcp over stdio', () => {
  it('serves the tools and resources to the SDK client: write, read, subscribe, notification, bad arguments', async () => {
    const [script, ...args] = command(['--session', 'stdio-test']);
    const transport = new StdioClientTransport({ command: process.execPath, args: [script!, ...args], cwd: root, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'stdio-host', version: '0.0.1' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: 'scratchpad-store' });
      expect(client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true, listChanged: true });

      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('scratchpad_write');
      expect(tools.find((t) => t.name === 'scratchpad_read')?.annotations?.readOnlyHint).toBe(true);
      expect((await client.listResources()).resources).toEqual([]);

      const written = await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'notes', section: 'todo', content: '- ship it\n' } });
      expect(written.isError).toBe(false);
      expect(textOf(written)).toContain("Wrote to 'notes.todo' (mode: replace)");

      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri)).toEqual(['scratchpad://notes', 'scratchpad://notes/todo']);
      const read = await client.readResource({ uri: 'scratchpad://notes/todo' });
      expect(read.contents[0]).toMatchObject({ text: '- ship it\n', _meta: { version: 1, updatedBy: 'stdio-host' } });

      await client.subscribeResource({ uri: 'scratchpad://notes/todo' });
      const updated = new Promise<string>((resolvePromise) => {
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolvePromise(n.params.uri));
      });
      const appended = await client.callTool({
        name: 'scratchpad_write',
        arguments: { pad: 'notes', section: 'todo', content: '- test it', mode: 'append', expected_version: 1 },
      });
      expect(appended.isError).toBe(false);
      expect(await updated).toBe('scratchpad://notes/todo');

      const text = textOf(await client.callTool({ name: 'scratchpad_read', arguments: { pad: 'notes', section: 'todo' } }));
      expect(text).toBe("'notes.todo', version 2, last written by stdio-host, 2 lines:\n\n- ship it\n- test it");

      const bad = await client.callTool({ name: 'scratchpad_edit', arguments: { pad: 'notes', section: 'todo', old_text: 42 } });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toMatch(/^Error: /);
      const stale = await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'notes', section: 'todo', content: 'x', expected_version: 1 } });
      expect(stale.isError).toBe(true);
      expect(textOf(stale)).toContain('Nothing was changed.');

      // Still serving after the errors.
      expect((await client.callTool({ name: 'scratchpad_list', arguments: {} })).isError).toBe(false);
    } finally {
      await client.close();
    }
    // Diagnostics went to stderr: stdout carried only the protocol, or the client would have failed to parse it.
    expect(stderr).toContain("serving session 'stdio-test' over stdio (in memory)");
  });

  it('pages resources/list over stdio: 100 a page, nextCursor, an invalid cursor is a JSON-RPC error', async () => {
    const [script, ...args] = command(['--session', 'stdio-pages']);
    const transport = new StdioClientTransport({ command: process.execPath, args: [script!, ...args], cwd: root, stderr: 'pipe' });
    const client = new Client({ name: 'stdio-pager', version: '0.0.1' });
    try {
      await client.connect(transport);
      // 120 sections in one pad: 121 resources.
      for (let i = 0; i < 120; i++) {
        await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'big', section: `s${String(i).padStart(3, '0')}`, content: String(i) } });
      }
      const first = await client.listResources();
      expect(first.resources).toHaveLength(100);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await client.listResources({ cursor: first.nextCursor! });
      expect(second.resources).toHaveLength(21);
      expect(second.nextCursor).toBeUndefined();
      expect(new Set([...first.resources, ...second.resources].map((r) => r.uri)).size).toBe(121);
      await expect(client.listResources({ cursor: 'bogus!' })).rejects.toMatchObject({ code: -32602 });
    } finally {
      await client.close();
    }
  });

  it('exits with 0 when the host closes stdin', async () => {
    const result = await runToEnd(command([]));
    expect(result).toMatchObject({ code: 0, signal: null, stdout: '' });
  });

  it('prints the usage for --help, and exits with 2 and the usage on a bad option', async () => {
    const help = await runToEnd(command(['--help']));
    expect(help.code).toBe(0);
    expect(help.stderr).toContain('Usage: scratchpad-store-mcp [options]');
    const bad = await runToEnd(command(['--sesion', 'typo']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--sesion'/);
    expect(bad.stderr).toContain('Usage: scratchpad-store-mcp');
    expect(bad.stdout).toBe('');
  });

  it('--sync with an unreachable server serves anyway, and says so on stderr', async () => {
    const result = await runToEnd(command(['--sync', 'http://127.0.0.1:9', '--token', 't']));
    // The server starts; stdin is closed at once, so it stops again.
    expect(result.stderr).toContain('could not reach the sync server yet');
    expect(result.stderr).toContain('synced with http://127.0.0.1:9');
    expect(result.code).toBe(0);
  });
});

describe('the built MCP server synced to the reference server', () => {
  it('pushes what an MCP client writes before it exits, and a second server on the same session serves it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchpad-mcp-sync-'));
    const secret = 'mcp-sync-test-secret-0123456789abcdef';
    const server = createServer({ store: sqliteStore({ path: join(dir, 'sync.db') }), auth: hmacAuth(secret), log: () => undefined });
    const { url } = await server.listen(0);
    const token = signToken('alice', secret);
    const start = (host: string) => {
      const [script, ...args] = command(['--session', 'shared', '--sync', url]);
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [script!, ...args],
        cwd: root,
        stderr: 'pipe',
        // The token through the environment, as the usage recommends.
        env: { ...(process.env as Record<string, string>), SCRATCHPAD_TOKEN: token },
      });
      return { client: new Client({ name: host, version: '1.0.0' }), transport };
    };
    try {
      const first = start('desktop-host');
      await first.client.connect(first.transport);
      const written = await first.client.callTool({ name: 'scratchpad_write', arguments: { pad: 'notes', section: 'todo', content: '- synced\n' } });
      expect(written.isError).toBe(false);
      // Closing stdin stops the server, which pushes its pending change before exiting.
      await first.client.close();

      const check = createScratchpad({ sessionId: 'shared', sync: httpSync({ url, token }) });
      await check.ready;
      await check.flush();
      expect(check.get('notes', 'todo')).toMatchObject({ content: '- synced\n', updatedBy: 'desktop-host' });
      check.close();

      const second = start('cursor-host');
      await second.client.connect(second.transport);
      try {
        const read = await second.client.readResource({ uri: 'scratchpad://notes/todo' });
        expect(read.contents[0]).toMatchObject({ text: '- synced\n', _meta: { updatedBy: 'desktop-host' } });
      } finally {
        await second.client.close();
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
