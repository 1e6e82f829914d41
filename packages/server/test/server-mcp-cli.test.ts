/** `scratchpad-store-server --mcp` in a child process: /mcp served with the command's tokens, and stopped on SIGTERM. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth.js';
import { freePort } from './helpers/postgres.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/index.ts')];
const SECRET = 'cli-mcp-test-secret-0123456789-0123456789';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scratchpad-mcp-cli-'));
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scratchpad-store-server --mcp', () => {
  it('lists --mcp in its help', () => {
    const help = spawnSync(process.execPath, [...CLI, '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--mcp');
  });

  it('serves MCP at /mcp with the same tokens, and stops on SIGTERM with an MCP client still connected', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...CLI, '--mcp', '--port', String(port), '--db', join(dir, 'cli.db'), '--secret-file', join(dir, 'secret')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await new Promise<void>((ready, fail) => {
        child.stdout.on('data', () => output.includes('listening on') && ready());
        void exited.then((code) => fail(new Error(`exited with ${code} before listening:\n${output}`)));
      });
      expect(output).toContain(`MCP at http://127.0.0.1:${port}/mcp`);

      const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp?session=cli`), {
        requestInit: { headers: { Authorization: `Bearer ${signToken('carol', SECRET)}` } },
      });
      const client = new Client({ name: 'cli-host', version: '1.0.0' });
      await client.connect(transport);
      const written = await client.callTool({ name: 'scratchpad_write', arguments: { pad: 'p', section: 's', content: 'from the command' } });
      expect(written.isError).toBe(false);
      expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['scratchpad://p', 'scratchpad://p/s']);

      // The client's GET stream is still open: shutdown ends it rather than waiting for it.
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await client.close().catch(() => undefined);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
