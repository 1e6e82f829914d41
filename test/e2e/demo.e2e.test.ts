import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoServer } from './demo-server.js';

// The demo as a newcomer meets it: `npm start`, then Debian's Chromium on the printed URL. The tests run in order and
// share one browser profile, as one person clicking through the page would.
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: DemoServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

function watchConsole(p: Page, name: string): void {
  p.on('console', (message) => {
    // Chromium logs every 4xx answer as a console error. A 410 from the sync server's pull is part of the protocol
    // (a tab whose cursor predates a reset takes a snapshot instead); any other failed request still fails the test.
    if (message.type() === 'error' && !/status of 410 \(Gone\)/.test(message.text())) consoleErrors.push(`${name}: ${message.text()}`);
  });
  p.on('pageerror', (error) => consoleErrors.push(`${name}: uncaught ${error.message}`));
}

async function open(name: string): Promise<Page> {
  const p = await context.newPage();
  p.setDefaultTimeout(20_000);
  watchConsole(p, name);
  await p.goto(`${server.url}?speed=fast`);
  await p.locator('.demo-header').waitFor();
  return p;
}

async function screenshot(p: Page, name: string, { panel = false, fullPage = false } = {}): Promise<void> {
  // Scrolled so that the panel's three columns fill the window below the sticky header.
  if (panel) await p.evaluate(() => window.scrollTo(0, document.querySelector<HTMLElement>('.demo-filter')!.offsetTop - 84));
  else await p.evaluate(() => window.scrollTo(0, 0));
  await p.screenshot({ path: `${ARTIFACTS}${name}.png`, animations: 'disabled', fullPage });
}

const sectionCard = (p: Page, name: string) => p.locator(`.sp-section[data-section="${name}"]`);
const contentOf = (p: Page, name: string) => sectionCard(p, name).locator('.sp-content');

async function selectPad(p: Page, pad: string): Promise<void> {
  await p.locator('.sp-pad', { hasText: pad }).click();
  await p.locator('.sp-panel-sections > .sp-column-header .sp-heading', { hasText: pad }).waitFor();
}

async function selectSection(p: Page, section: string): Promise<void> {
  const title = sectionCard(p, section).locator('.sp-section-title');
  if ((await title.getAttribute('aria-pressed')) !== 'true') await title.click();
  await p.locator('.sp-scope', { hasText: `/ ${section}` }).waitFor();
}

async function historyRows(p: Page): Promise<string[]> {
  await p.locator('.sp-history[aria-busy="false"]').waitFor();
  return p.locator('.sp-history-summary').evaluateAll((rows) =>
    rows.map((row) => [row.querySelector('.sp-agent')?.textContent, row.querySelector('.sp-op')?.textContent, row.querySelector('.sp-version')?.textContent].join(' ')),
  );
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startDemo();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page = await open('tab 1');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach(() => {
  expect(consoleErrors).toEqual([]);
});

describe('demo app in Chromium', { timeout: 90_000 }, () => {
  it('starts empty and shows the storage in use', async () => {
    await page.getByText('Nothing written yet').waitFor();
    expect(await page.getByTestId('storage').textContent()).toContain('IndexedDB');
    expect(await page.getByTestId('storage').textContent()).toContain('scratchpad-demo');
    expect(await page.getByTestId('step-count').textContent()).toBe('Step 1 of 19');
    await screenshot(page, 'demo-empty');
  });

  it('runs the agent workflow step by step, then continuously', async () => {
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByTestId('step-count').getByText('Step 2 of 19').waitFor();
    await contentOf(page, 'outline').getByText('Brief: cooler streets for Riverside').waitFor();
    expect(await page.locator('.demo-last .demo-call-output').textContent()).toContain("Wrote to 'plan.outline' (mode: replace)");

    await page.getByRole('button', { name: 'Run the rest' }).click();
    await page.getByTestId('step-count').getByText('Workflow complete').waitFor({ timeout: 60_000 });
    expect(await page.locator('.demo-call--error').count()).toBe(0);
    await page.getByRole('button', { name: 'Transcript (19)' }).click();
    expect(await page.locator('.demo-transcript-all .demo-call').count()).toBe(19);
    await screenshot(page, 'demo-transcript');
    await page.getByRole('button', { name: 'Hide transcript' }).click();
    expect(await page.locator('.sp-pad-name').allTextContents()).toEqual(['output', 'plan', 'research', 'review']);
    await screenshot(page, 'demo-after-workflow');
  });

  it("shows the pads' content and history with diffs and blame", async () => {
    await selectPad(page, 'output');
    const draft = await contentOf(page, 'draft').textContent();
    expect(draft).toContain('Downtown Riverside stays warm long after sunset');
    expect(draft).toContain('## Costs');
    // The reviewer reverted the writer's careless trim.
    expect(draft).toContain('Plant 400 street trees');
    expect(draft).not.toContain('TODO: recommendation');

    await selectSection(page, 'draft');
    expect(await historyRows(page)).toEqual(['reviewer restored v3 v5', 'writer edited v4', 'writer edited v3', 'writer edited v2', 'writer wrote v1']);
    await page.locator('.sp-history-summary', { hasText: 'v4' }).click();
    const diff = page.locator('.sp-history-detail .sp-diff');
    await diff.locator('.sp-diff-row--add', { hasText: 'TODO: recommendation (cut for length)' }).waitFor();
    await diff.locator('.sp-diff-row--remove', { hasText: 'Plant 400 street trees' }).waitFor();
    await screenshot(page, 'demo-history-diff', { panel: true });
    await screenshot(page, 'demo-overview', { fullPage: true });

    await page.getByRole('tab', { name: 'Blame' }).click();
    await page.locator('.sp-blame').waitFor();
    const blamed = await page.locator('.sp-blame .sp-agent').allTextContents();
    expect(new Set(blamed)).toEqual(new Set(['writer', 'reviewer']));
    expect(await page.locator('.sp-blame-text').first().textContent()).toBe('# Cooler streets for Riverside');
    await screenshot(page, 'demo-blame', { panel: true });
    await page.getByRole('tab', { name: 'History' }).click();
  });

  it('filters the history by agent', async () => {
    await selectPad(page, 'research');
    await page.locator('.demo-chip', { hasText: 'writer' }).click();
    await page.getByText('No changes by this agent here.').waitFor();
    await page.locator('.demo-chip', { hasText: 'researcher' }).click();
    const rows = await historyRows(page);
    expect(rows).toHaveLength(4);
    expect(rows.every((row) => row.startsWith('researcher '))).toBe(true);
    await page.locator('.demo-chip', { hasText: 'everyone' }).click();
  });

  it('lets a person edit a section', async () => {
    await selectPad(page, 'review');
    await sectionCard(page, 'notes').getByRole('button', { name: 'Edit' }).click();
    const editor = sectionCard(page, 'notes').locator('textarea');
    await editor.press('End');
    await editor.press('Control+End');
    await editor.pressSequentially('\n- Checked by a person too.');
    await screenshot(page, 'demo-editing', { panel: true });
    await sectionCard(page, 'notes').getByRole('button', { name: 'Save as you on this browser' }).click();
    await contentOf(page, 'notes').getByText('- Checked by a person too.').waitFor();
    expect(await sectionCard(page, 'notes').locator('.sp-section-header .sp-agent').textContent()).toBe('you on this browser');
  });

  it('exports JSON and Markdown', async () => {
    const [markdown] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Markdown' }).click()]);
    expect(markdown.suggestedFilename()).toBe('scratchpad-demo.md');
    const text = await readFile((await markdown.path())!, 'utf8');
    expect(text).toContain('# output');
    expect(text).toContain('Plant 400 street trees');

    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
    const snapshot = JSON.parse(await readFile((await json.path())!, 'utf8')) as { format: string; history: { pad: string }[]; sections: { pad: string }[] };
    expect(snapshot.format).toBe('scratchpad-store/v1');
    // The workflow's own pad (progress and runner lease) is in the export too, but not among the brief's sections.
    expect(snapshot.sections.filter((s) => s.pad !== '.workflow')).toHaveLength(6);
    // outline, tasks ×2, findings ×3, sources, draft ×5, review notes ×2 (the reviewer, then the person)
    expect(snapshot.history.filter((h) => h.pad !== '.workflow')).toHaveLength(14);
    expect(text).not.toContain('.workflow');
  });

  it('keeps everything across a reload (IndexedDB)', async () => {
    await page.reload();
    await page.getByTestId('step-count').getByText('Workflow complete').waitFor();
    expect(await page.locator('.sp-pad-name').allTextContents()).toEqual(['output', 'plan', 'research', 'review']);
    expect(await contentOf(page, 'draft').textContent()).toContain('Plant 400 street trees');
    await selectSection(page, 'draft');
    expect(await historyRows(page)).toHaveLength(5);
    await selectPad(page, 'review');
    expect(await contentOf(page, 'notes').textContent()).toContain('- Checked by a person too.');
  });

  it('reverts a section to an older version', async () => {
    await selectPad(page, 'output');
    await selectSection(page, 'draft');
    await page.locator('.sp-history-summary', { hasText: 'v1' }).click();
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await contentOf(page, 'draft').getByText('Summer nights downtown stay warm').waitFor();
    expect(await contentOf(page, 'draft').textContent()).not.toContain('## Costs');
    // The label names the restored version once it has compared contents (asynchronously): wait for it.
    await page.locator('.sp-history-summary', { hasText: 'restored v1' }).waitFor();
    expect((await historyRows(page))[0]).toBe('you on this browser restored v1 v6');
    await screenshot(page, 'demo-reverted', { panel: true });
  });

  it('shows a write from one tab in another', async () => {
    const second = await open('tab 2');
    await selectPad(second, 'plan');
    await selectPad(page, 'plan');
    await sectionCard(page, 'outline').getByRole('button', { name: 'Edit' }).click();
    const editor = sectionCard(page, 'outline').locator('textarea');
    await editor.press('Control+End');
    await editor.pressSequentially('\n5. Next steps for the council');
    await sectionCard(page, 'outline').getByRole('button', { name: 'Save as you on this browser' }).click();

    await contentOf(second, 'outline').getByText('5. Next steps for the council').waitFor();
    expect(await sectionCard(second, 'outline').locator('.sp-section-header .sp-agent').textContent()).toBe('you on this browser');
    await screenshot(second, 'demo-second-tab', { panel: true });

    // And the other way round: the second tab's agent-free edit shows up in the first.
    await sectionCard(second, 'tasks').getByRole('button', { name: 'Edit' }).click();
    await sectionCard(second, 'tasks').locator('textarea').fill('- [x] all done');
    await sectionCard(second, 'tasks').getByRole('button', { name: 'Save as you on this browser' }).click();
    await contentOf(page, 'tasks').getByText('- [x] all done').waitFor();
    await second.close();
  });

  it('resets to an empty scratchpad, in every tab', async () => {
    const second = await open('tab 2');
    await second.getByTestId('step-count').getByText('Workflow complete').waitFor();
    await page.getByRole('button', { name: 'Reset' }).click();
    // An in-page confirmation, not the browser's confirm().
    await page.getByRole('dialog', { name: 'Reset the demo?' }).getByRole('button', { name: 'Delete everything' }).click();
    await page.getByText('Nothing written yet').waitFor();
    expect(await page.getByTestId('step-count').textContent()).toBe('Step 1 of 19');
    await second.getByText('Nothing written yet').waitFor();
    expect(await second.getByTestId('step-count').textContent()).toBe('Step 1 of 19');
    await second.close();
    await page.reload();
    await page.getByText('Nothing written yet').waitFor();
  });
});
