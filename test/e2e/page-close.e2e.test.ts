/**
 * Durability in a real Chromium with IndexedDB on disk: a page (and then the whole browser) is closed in the middle
 * of a burst of writes; afterwards every write that was acknowledged is present, and every section's version equals
 * its last history entry.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Ack {
  kind: 'append' | 'replace';
  section: string;
  text: string;
  version: number;
}
type Inspection = Record<string, { content: string; version: number; lastHistoryVersion: number | undefined; versions: number[] }>;

const root = join(import.meta.dirname, 'burst-page');
const work = mkdtempSync(join(tmpdir(), 'sp-page-close-'));
const outDir = join(work, 'dist');
const profile = join(work, 'profile');
let server: Server;
let url: string;

function launch(): Promise<BrowserContext> {
  // A persistent profile, so that IndexedDB lives on disk and outlives the browser process.
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

async function openPage(context: BrowserContext, acks: Ack[]): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const ready = new Promise<void>((resolve) => {
    page.on('console', (message) => {
      const text = message.text();
      if (text === 'ready') resolve();
      else if (text.startsWith('ack ')) acks.push(JSON.parse(text.slice(4)) as Ack);
    });
  });
  await page.goto(url);
  await ready;
  expect(errors).toEqual([]);
  return page;
}

/** Starts a burst and returns once `atLeast` writes were acknowledged, with the burst still running. */
async function burstUntil(page: Page, acks: Ack[], label: string, count: number, atLeast: number): Promise<void> {
  void page.evaluate(([l, n]) => (window as unknown as { burstApi: { burst(l: string, n: number): Promise<void> } }).burstApi.burst(l as string, n as number), [label, count] as const).catch(() => undefined);
  const start = Date.now();
  while (acks.filter((a) => a.text.startsWith(label)).length < atLeast) {
    if (Date.now() - start > 60_000) throw new Error(`only ${acks.length} writes acknowledged`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function inspect(page: Page): Promise<Inspection> {
  return page.evaluate(() => (window as unknown as { burstApi: { inspect(): Promise<Inspection> } }).burstApi.inspect());
}

function expectAcknowledgedWritesPresent(state: Inspection, acks: readonly Ack[]): void {
  for (const ack of acks) {
    const section = state[ack.section];
    expect(section, `${ack.section} exists`).toBeDefined();
    expect(section!.version).toBeGreaterThanOrEqual(ack.version);
    if (ack.kind === 'append') expect(section!.content.split('\n')).toContain(ack.text);
  }
  for (const [name, section] of Object.entries(state)) {
    expect(section.lastHistoryVersion, `${name}: version equals its last history entry`).toBe(section.version);
    expect(section.versions, `${name}: versions 1..n without gaps`).toEqual(Array.from({ length: section.version }, (_, i) => i + 1));
    const lines = section.content.split('\n');
    expect(new Set(lines).size, `${name}: no line written twice`).toBe(lines.length);
  }
}

beforeAll(async () => {
  await build({ configFile: false, root, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022' } });
  server = createServer((request, response) => {
    const path = join(outDir, new URL(request.url ?? '/', 'http://x').pathname);
    const file = existsSync(path) && extname(path) !== '' ? path : join(outDir, 'index.html');
    response.setHeader('content-type', extname(file) === '.js' ? 'text/javascript' : 'text/html');
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
}, 120_000);

afterAll(() => {
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('closing in the middle of a burst of writes (Chromium, IndexedDB on disk)', { timeout: 120_000 }, () => {
  it('loses no acknowledged write when the page is closed', async () => {
    const context = await launch();
    try {
      const acks: Ack[] = [];
      const first = await openPage(context, acks);
      await burstUntil(first, acks, 'page', 3_000, 150);
      await first.close();
      expect(acks.length).toBeLessThan(3_000);
      const second = await openPage(context, []);
      expectAcknowledgedWritesPresent(await inspect(second), acks);
    } finally {
      await context.close();
    }
  });

  it('loses no acknowledged write when the browser is closed, and the next start finds them on disk', async () => {
    const acks: Ack[] = [];
    const context = await launch();
    const page = await openPage(context, acks);
    await burstUntil(page, acks, 'browser', 3_000, 150);
    await context.close();
    expect(acks.filter((a) => a.text.startsWith('browser')).length).toBeLessThan(3_000);

    const again = await launch();
    try {
      const state = await inspect(await openPage(again, []));
      expectAcknowledgedWritesPresent(state, acks);
    } finally {
      await again.close();
    }
  });
});
