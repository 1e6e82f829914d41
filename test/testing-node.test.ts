import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** `node --test --import tsx <file>` in a child process: node:test alone, no vitest in that process. */
async function nodeTest(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--test', '--test-reporter=tap', '--import', 'tsx', join(root, 'test', 'node', file)], { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: code ?? -1, output: (stdout ?? '') + (stderr ?? '') };
  }
}

describe('the testing helpers under node:test', () => {
  it('pass there: record, assert on the history, replay', async () => {
    const { code, output } = await nodeTest('testing-helpers.node.ts');
    expect(output).toContain('# pass 2');
    expect(output).toContain('# fail 0');
    expect(code).toBe(0);
  });

  it('fail there as a failed test, with the assertion message', async () => {
    const { code, output } = await nodeTest('failing-assertion.node.ts');
    expect(code).toBe(1);
    expect(output).toContain('# fail 1');
    expect(output).toContain('expected a change matching { agent: "reviewer", pad: "research" }, found 0');
    expect(output).toContain("researcher  write_replace  'research.findings' v1");
  });
});
