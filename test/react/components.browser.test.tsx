import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScratchpad, type Scratchpad } from '../../src/index.js';
import {
  BlameView,
  DiffView,
  HistoryTimeline,
  ScratchpadPanel,
  ScratchpadProvider,
  ScratchpadStyles,
  diffRows,
} from '../../src/react/index.js';
import { button, cleanup, click, preloadLazyModules, render, settle, type } from './render.js';

const opened: Scratchpad[] = [];
// The library loads its default memory storage and blame on first use; load them once up front, as an app's
// first use would, so that renders settle within act() as they do afterwards.
beforeAll(preloadLazyModules);
afterEach(async () => {
  await cleanup();
  for (const sp of opened.splice(0)) sp.close();
  delete (window as { pwned?: unknown }).pwned;
});

/** A scratchpad on the default memory storage, loaded (its code loads on first open). */
async function scratchpad(): Promise<Scratchpad> {
  const sp = createScratchpad();
  opened.push(sp);
  await sp.ready;
  return sp;
}

const HOSTILE = [
  '<img src=x onerror="window.pwned = 1">',
  '<script>window.pwned = 2</script>',
  '<b onmouseover=alert(1)>bold</b> &amp; &lt;tag&gt;',
].join('\n');

describe('DiffView', () => {
  it('numbers old and new lines and colours additions and removals', () => {
    const rows = diffRows({
      oldFileName: 'a',
      newFileName: 'a',
      oldHeader: undefined,
      newHeader: undefined,
      hunks: [{ oldStart: 3, oldLines: 3, newStart: 3, newLines: 3, lines: [' keep', '-old', '+new', ' tail'] }],
    });
    expect(rows).toEqual([
      { kind: 'hunk', text: '@@ -3,3 +3,3 @@' },
      { kind: 'context', oldLine: 3, newLine: 3, text: 'keep' },
      { kind: 'remove', oldLine: 4, text: 'old' },
      { kind: 'add', newLine: 4, text: 'new' },
      { kind: 'context', oldLine: 5, newLine: 5, text: 'tail' },
    ]);
  });

  it('renders markup in content as text: no element is created, no script runs', async () => {
    const sp = await scratchpad();
    await sp.write('pad', 'evil', 'safe line');
    const result = await sp.write('pad', 'evil', HOSTILE, { agent: 'mallory' });
    const { container } = await render(<DiffView patch={result.patch} />);
    expect(container.querySelector('img, script, b')).toBeNull();
    expect(container.querySelectorAll('.sp-diff-row--add')).toHaveLength(3);
    expect(container.querySelector('.sp-diff-row--remove .sp-diff-text')?.textContent).toBe('safe line');
    expect(container.textContent).toContain('<img src=x onerror="window.pwned = 1">');
    expect(container.textContent).toContain('<script>window.pwned = 2</script>');
    expect((window as { pwned?: unknown }).pwned).toBeUndefined();
  });

  it('says so for an empty patch', async () => {
    const { container } = await render(<DiffView patch={{ oldFileName: '', newFileName: '', oldHeader: undefined, newHeader: undefined, hunks: [] }} />);
    expect(container.textContent).toBe('No changes');
  });
});

describe('ScratchpadPanel with hostile content', () => {
  it('shows it as text in the section, the history diff and the blame', async () => {
    const sp = await scratchpad();
    await sp.write('pad', 'evil', HOSTILE, { agent: 'mallory' });
    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <ScratchpadStyles />
        <ScratchpadPanel />
        <BlameView pad="pad" section="evil" />
      </ScratchpadProvider>,
    );
    await click(container.querySelector('.sp-section-title'));
    await click(container.querySelector('.sp-history-summary'));
    expect(container.querySelector('.sp-content')?.textContent).toBe(HOSTILE);
    expect(container.querySelector('.sp-history .sp-diff')).not.toBeNull();
    expect(container.querySelector('.sp-blame')).not.toBeNull();
    expect(container.querySelector('img, script, b')).toBeNull();
    expect((window as { pwned?: unknown }).pwned).toBeUndefined();
  });
});

describe('HistoryTimeline', () => {
  it('lists entries newest first with agent, op and counts; shows a diff with context; restores a version', async () => {
    const sp = await scratchpad();
    await sp.write('output', 'draft', 'Title\nGood paragraph\nEnd\n', { agent: 'writer' });
    await sp.edit('output', 'draft', { replaceLines: { from: 2, to: 2 }, text: 'Bad paragraph' }, { agent: 'writer' });
    const reverted: number[] = [];
    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <HistoryTimeline pad="output" section="draft" user="reviewer" onRevert={(r) => reverted.push(r.version)} />
      </ScratchpadProvider>,
    );
    await settle(() => undefined);
    const entries = [...container.querySelectorAll('.sp-history-entry')];
    expect(entries.map((e) => e.querySelector('.sp-version')?.textContent)).toEqual(['v2', 'v1']);
    expect(entries[0]!.querySelector('.sp-agent')?.textContent).toBe('writer');
    expect(entries[0]!.querySelector('.sp-op')?.textContent).toBe('edited');
    expect(entries[0]!.querySelector('.sp-stats')?.textContent).toBe('+1−1');
    expect(entries[1]!.querySelector('.sp-stats')?.textContent).toBe('+3−0');

    // The newest entry is the current version: nothing to restore.
    await click(entries[0]!.querySelector('button'));
    expect(container.textContent).toContain('This is the current version.');
    const contextRows = [...container.querySelectorAll('.sp-diff-row--context .sp-diff-text')].map((e) => e.textContent);
    expect(contextRows).toEqual(['Title', 'End']);

    await click(container.querySelectorAll('.sp-history-summary')[1]);
    await click(button(container, 'Restore version 1'));
    expect(sp.read('output', 'draft')).toBe('Title\nGood paragraph\nEnd\n');
    expect(sp.get('output', 'draft')?.updatedBy).toBe('reviewer');
    expect(reverted).toEqual([3]);
    const first = container.querySelector('.sp-history-entry');
    await settle(() => undefined);
    expect(container.querySelector('.sp-history-entry .sp-op')?.textContent).toBe('restored v1');
    expect(first?.querySelector('.sp-agent')?.textContent).toBe('reviewer');
  });

  it('filters by agent', async () => {
    const sp = await scratchpad();
    await sp.write('p', 's', 'a\n', { agent: 'planner' });
    await sp.write('p', 's', 'b\n', { agent: 'writer', mode: 'append' });
    await sp.write('p', 't', 'c\n', { agent: 'planner' });
    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <HistoryTimeline agent="planner" />
      </ScratchpadProvider>,
    );
    await settle(() => undefined);
    const agents = [...container.querySelectorAll('.sp-history-entry .sp-agent')].map((e) => e.textContent);
    expect(agents).toEqual(['planner', 'planner']);
    expect([...container.querySelectorAll('.sp-history-target')].map((e) => e.textContent)).toEqual(['p / t', 'p / s']);
  });
});

describe('ScratchpadPanel', () => {
  it('shows pads and sections, and a person edits a section', async () => {
    const sp = await scratchpad();
    await sp.write('plan', 'outline', '1. intro\n', { agent: 'planner' });
    await sp.write('research', 'findings', 'fact\n', { agent: 'researcher' });
    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <ScratchpadPanel user="alice" />
      </ScratchpadProvider>,
    );
    await settle(() => undefined);
    expect([...container.querySelectorAll('.sp-pad-name')].map((e) => e.textContent)).toEqual(['plan', 'research']);
    expect(container.querySelector('.sp-section-title')?.textContent).toBe('outline');

    await click(container.querySelectorAll('.sp-pad')[1]);
    expect(container.querySelector('.sp-section-title')?.textContent).toBe('findings');
    await click(button(container, 'Edit'));
    await type(container.querySelector('textarea'), 'fact\nmy note\n');
    await click(button(container, 'Save as alice'));
    expect(sp.read('research', 'findings')).toBe('fact\nmy note\n');
    expect(sp.get('research', 'findings')?.updatedBy).toBe('alice');
    expect(container.querySelector('.sp-content')?.textContent).toBe('fact\nmy note\n');
  });

  it('asks before saving over a change made while the person was editing', async () => {
    const sp = await scratchpad();
    await sp.write('notes', 'todo', 'one\n', { agent: 'planner' });
    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <ScratchpadPanel user="bob" />
      </ScratchpadProvider>,
    );
    await click(button(container, 'Edit'));
    await type(container.querySelector('textarea'), 'one\nbob was here\n');
    await settle(() => sp.write('notes', 'todo', 'two\n', { agent: 'writer', mode: 'append' }));
    expect(container.querySelector('.sp-notice')?.textContent).toMatch(/writer changed this section/);

    await click(button(container, 'Save as bob'));
    expect(container.querySelector('[role="alert"]')?.textContent).toMatch(/writer changed this section while you were editing \(now version 2\)/);
    expect(sp.read('notes', 'todo')).toBe('one\ntwo\n');

    await click(button(container, 'Save mine anyway'));
    expect(sp.read('notes', 'todo')).toBe('one\nbob was here\n');
    expect(sp.get('notes', 'todo')).toMatchObject({ version: 3, updatedBy: 'bob' });
  });

  it('adds a section to a new pad and shows blame for the selected section', async () => {
    const sp = await scratchpad();
    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <ScratchpadPanel user="carol" />
      </ScratchpadProvider>,
    );
    expect(container.textContent).toContain('The scratchpad is empty.');
    await click(button(container, 'New pad'));
    const inputs = container.querySelectorAll('.sp-form input');
    await type(inputs[0], 'ideas');
    await type(inputs[1], 'list');
    await type(container.querySelector('.sp-form textarea'), 'first idea');
    await click(button(container, 'Add section'));
    expect(sp.read('ideas', 'list')).toBe('first idea');
    expect(container.querySelector('.sp-section--selected .sp-section-title')?.textContent).toBe('list');

    await click([...container.querySelectorAll('[role="tab"]')].find((t) => t.textContent === 'Blame'));
    expect(container.querySelector('.sp-blame-text')?.textContent).toBe('first idea');
    expect(container.querySelector('.sp-blame .sp-agent')?.textContent).toBe('carol');
  });

  it('gives focus back to New pad, Add section and Delete pad when their form or confirmation is cancelled', async () => {
    const sp = await scratchpad();
    await sp.write('notes', 'todo', 'one\n', { agent: 'planner' });
    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <ScratchpadPanel user="dan" />
      </ScratchpadProvider>,
    );
    await click(button(container, 'New pad'));
    expect(document.activeElement?.closest('.sp-form')).not.toBeNull();
    await click(button(container, 'Cancel'));
    expect(container.querySelector('.sp-form')).toBeNull();
    expect(document.activeElement).toBe(button(container, 'New pad'));

    await click(button(container, 'Add section'));
    await settle(() => container.querySelector('.sp-form input')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })));
    expect(container.querySelector('.sp-form')).toBeNull();
    expect(document.activeElement).toBe(button(container, 'Add section'));

    await click(button(container, 'Delete pad'));
    expect(document.activeElement).toBe(button(container, 'Keep'));
    await click(button(container, 'Keep'));
    expect(document.activeElement).toBe(button(container, 'Delete pad'));
  });

  it('edits a big section 400 lines at a time, saving only those lines with the section’s line endings', async () => {
    const sp = await scratchpad();
    const lines = Array.from({ length: 1_000 }, (_, i) => `line ${i + 1}`);
    await sp.write('big', 'crlf', `${lines.join('\r\n')}\r\n`, { agent: 'researcher' });
    const { container } = await render(
      <ScratchpadProvider scratchpad={sp}>
        <ScratchpadPanel user="erin" />
      </ScratchpadProvider>,
    );
    await click(button(container, 'Edit'));
    const range = () => container.querySelector('.sp-editor-window')?.textContent ?? '';
    expect(range()).toContain('Lines 1–400 of 1,000');
    const editor = () => container.querySelector('textarea')!;
    expect(editor().value).toBe(lines.slice(0, 400).join('\n'));
    expect(button(container, 'Earlier lines').disabled).toBe(true);

    await click(button(container, 'Later lines'));
    expect(range()).toContain('Lines 401–800 of 1,000');
    expect(editor().value.split('\n')[0]).toBe('line 401');
    await type(editor(), editor().value.replace('line 401', 'line 401, checked').replace('line 800', 'line 800\nand one more'));
    // Moving away would lose the edit: the window stays until it is saved or cancelled.
    expect(button(container, 'Later lines').disabled).toBe(true);
    await click(button(container, 'Save as erin'));

    const expected = [...lines.slice(0, 400), 'line 401, checked', ...lines.slice(401, 800), 'and one more', ...lines.slice(800)];
    expect(sp.read('big', 'crlf')).toBe(`${expected.join('\r\n')}\r\n`);
    expect(sp.get('big', 'crlf')).toMatchObject({ version: 2, updatedBy: 'erin' });
    const [entry] = await sp.history({ pad: 'big', section: 'crlf', order: 'desc', limit: 1 });
    expect(entry?.stats).toEqual({ added: 2, removed: 1 });

    // The last window: the section's last lines, and no next one.
    await click(button(container, 'Edit'));
    const goTo = container.querySelector<HTMLInputElement>('.sp-editor-goto input')!;
    goTo.value = '1001';
    await settle(() => goTo.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })));
    expect(range()).toContain('Lines 602–1,001 of 1,001');
    expect(editor().value.split('\n').at(-1)).toBe('line 1000');
    expect(button(container, 'Later lines').disabled).toBe(true);
    await click(button(container, 'Cancel'));
    expect(sp.get('big', 'crlf')?.version).toBe(2);
  });
});

