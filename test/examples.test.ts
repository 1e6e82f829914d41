import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** Runs an example as a reader would (`node --import tsx examples/<name>`), in its own process, and returns its output. */
async function run(name: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'examples', name)], { cwd: root });
  return stdout;
}

describe('examples run as written', () => {
  it('agent-loop.ts: a scripted model through the whole cycle, ending in passing history assertions', async () => {
    const out = await run('agent-loop.ts');
    expect(out).toContain('  -> scratchpad_list {}\n  <- No pads yet.');
    expect(out).toContain("  <- Wrote to 'research.findings' (mode: append)");
    // The model's stale edit is refused with the changes it missed, and its retry lands.
    expect(out).toContain("  <- [error] Error: conflict on 'research.findings': you passed expected_version 1, but the section is at version 2.");
    expect(out).toContain("  <- Edited 'research.findings'");
    expect(out).toContain('Versions 3-4 by reviewer (v3 edit), alice (v4 append):');
    expect(out).toContain('history assertions passed');
    expect(out).toContain(
      '# research\n\n## findings\n\n- CSV parsers drop CRLF-terminated lines\n- quoted newlines break naive splitting\n- (added by a person) check BOM handling',
    );
  });

  it('openai.ts: function tools in the request, JSON-text arguments executed, tool messages in the follow-up', async () => {
    const out = await run('openai.ts');
    expect(out).toContain('request: 9 tools, first: "scratchpad_read"');
    expect(out).toContain('parameters of scratchpad_write: pad, section, content, mode, expected_version');
    expect(out).toContain("call_1 scratchpad_write: Wrote to 'notes.limits' (mode: replace)");
    expect(out).toContain('call_2 scratchpad_read: Error: the arguments are not valid JSON.');
    expect(out).toContain('follow-up request: system, user, assistant, tool, tool');
    expect(out).toContain('scratchpad now: "API: 60 requests/minute", written by gpt-researcher');
  });

  it('anthropic.ts: tools in the request, tool_use blocks answered with tool_result blocks and is_error', async () => {
    const out = await run('anthropic.ts');
    expect(out).toContain('request: tools scratchpad_read, scratchpad_write, scratchpad_list, scratchpad_changes, scratchpad_history, scratchpad_diff\n');
    expect(out).toContain("toolu_2 scratchpad_write (is_error): Error: mode 'replace' is not allowed for agent 'claude-worker'");
    expect(out).toContain("toolu_3 scratchpad_write: Wrote to 'plan.progress' (mode: append)");
    expect(out).toContain('follow-up request: 3 messages, the last with 3 tool_result blocks');
    expect(out).toContain('plan.steps unchanged: "1. collect sources\\n2. summarize\\n"');
  });

  it('vercel-ai.ts: tools with execute, run the way generateText runs them', async () => {
    const out = await run('vercel-ai.ts');
    expect(out).toContain('scratchpad_edit input schema requires: pad, section');
    expect(out).toContain("t2 scratchpad_edit: Edited 'todo.today'");
    expect(out).toContain('todo.today: "- write the report\\n"');
  });
});
