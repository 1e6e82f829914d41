import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { agentName, parseMcpArgs, runMcpCommand } from '../src/mcp/index.js';
import type { SyncAdapter } from '../src/sync/types.js';

/** Runs the command in-process on streams of its own, stdin already closed: it starts, then stops as a host would stop it. */
async function run(argv: string[], loadSync?: () => Promise<unknown>, env: Record<string, string> = {}) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  let out = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stdin.end();
  const code = await runMcpCommand(argv, { stdin, stdout, stderr, env, ...(loadSync === undefined ? {} : { loadSync }) });
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
  it('says that sync is not available yet when the build has no httpSync, and exits with 1', async () => {
    const missing = Object.assign(new Error("Cannot find module '/app/dist/sync/index.js'"), { code: 'ERR_MODULE_NOT_FOUND' });
    for (const load of [() => Promise.reject(missing), () => Promise.resolve({ somethingElse: true })]) {
      const result = await run(['--sync', 'http://localhost:8787', '--token', 't'], load);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('sync is not available yet');
      expect(result.stdout).toBe('');
    }
  });

  it('reports a sync module that fails for another reason as it is', async () => {
    const result = await run(['--sync', 'http://localhost:8787', '--token', 't'], () => Promise.reject(new Error('boom in sync')));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('boom in sync');
  });

  it('builds the scratchpad with httpSync({ url, token }) when the sync entry has it', async () => {
    const calls: unknown[] = [];
    // An empty server: nothing to pull, every push accepted.
    const adapter: SyncAdapter = {
      push: async (request) => ({ lastMutationId: request.ops.at(-1)?.mutationId ?? 0, results: [] }),
      pull: async () => ({ cursor: '0', entries: [], sections: [], lastMutationId: 0, more: false }),
    };
    const httpSync = (options: unknown): SyncAdapter => {
      calls.push(options);
      return adapter;
    };
    const result = await run(['--session', 'alice', '--sync', 'http://localhost:8787'], () => Promise.resolve({ httpSync }), { SCRATCHPAD_TOKEN: 'secret' });
    expect(result.code).toBe(0);
    expect(calls).toEqual([{ url: 'http://localhost:8787', token: 'secret' }]);
    expect(result.stderr).toContain("serving session 'alice' over stdio, synced with http://localhost:8787");
  });

  it('exits with 2 and the usage on a bad flag, without touching stdout', async () => {
    const result = await run(['--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
    expect(result.stderr).toContain('Usage: scratchpad-store mcp');
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
