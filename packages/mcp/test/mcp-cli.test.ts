import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { agentName, parseMcpArgs, runMcpCommand } from '../src/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, hmacAuth, signToken } from '@scratchpad-store/server';
import { sqliteStore } from '@scratchpad-store/server/sqlite';

/** Runs the command in-process on streams of its own, stdin already closed: it starts, then stops as a host would stop it. */
async function run(argv: string[], env: Record<string, string> = {}) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  let out = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stdin.end();
  const code = await runMcpCommand(argv, { stdin, stdout, stderr, env });
  return { code, stderr: err, stdout: out };
}

describe('parseMcpArgs', () => {
  it('defaults to the default session in memory', () => {
    expect(parseMcpArgs([])).toEqual({ session: 'default' });
    expect(parseMcpArgs(['--session', 'alice', '--agent=planner'])).toEqual({ session: 'alice', agent: 'planner' });
  });

  it('takes the sync URL and a token from the flag or SCRATCHPAD_TOKEN', () => {
    expect(parseMcpArgs(['--sync', 'https://pads.example', '--token', 't1'])).toEqual({
      session: 'default',
      sync: { url: 'https://pads.example', token: 't1' },
    });
    expect(parseMcpArgs(['--sync', 'http://localhost:8787'], { SCRATCHPAD_TOKEN: 'from-env' })).toMatchObject({ sync: { token: 'from-env' } });
  });

  it('refuses what it cannot use, with a message naming the flag', () => {
    expect(() => parseMcpArgs(['--sync', 'http://x'])).toThrow('--sync needs a token');
    expect(() => parseMcpArgs(['--token', 't'])).toThrow('--token is only used with --sync');
    expect(() => parseMcpArgs(['--sync', 'ftp://x', '--token', 't'])).toThrow('http:// or https://');
    expect(() => parseMcpArgs(['--session', ''])).toThrow('--session must not be empty');
    expect(() => parseMcpArgs(['serve'])).toThrow(/positional/i);
    expect(parseMcpArgs(['-h'])).toBe('help');
  });
});

describe('runMcpCommand', () => {
  it('syncs with --sync <url> and the token from SCRATCHPAD_TOKEN, against the reference server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchpad-mcp-cli-'));
    const secret = 'mcp-cli-test-secret-0123456789abcdef';
    const server = createServer({ store: sqliteStore({ path: join(dir, 'sync.db') }), auth: hmacAuth(secret), log: () => undefined });
    const { url } = await server.listen(0);
    try {
      const result = await run(['--session', 'alice', '--sync', url], { SCRATCHPAD_TOKEN: signToken('alice', secret) });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`serving session 'alice' over stdio, synced with ${url}`);
      expect(result.stderr).not.toContain('could not reach');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits with 2 and the usage on a bad flag, without touching stdout', async () => {
    const result = await run(['--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
    expect(result.stderr).toContain('Usage: scratchpad-store-mcp');
    expect(result.stdout).toBe('');
  });
});

describe('agentName', () => {
  it('turns a client name into an agent name', () => {
    expect(agentName('claude-ai')).toBe('claude-ai');
    expect(agentName('  Cursor\tIDE\n')).toBe('Cursor IDE');
    expect(agentName('\u0000\u0007')).toBeUndefined();
    expect(agentName('')).toBeUndefined();
    expect(agentName(undefined)).toBeUndefined();
    expect(agentName('x'.repeat(200))).toHaveLength(64);
  });
});
