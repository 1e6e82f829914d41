/**
 * What the browser benchmarks share (`npm run bench:browser`, `npm run bench:peers`): build a page with Vite, serve it
 * on loopback, drive Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) with Playwright over a persistent
 * profile in a temporary folder, so that IndexedDB is on disk as in a real browser, and call the functions the page puts
 * on `window`.
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright';
import { build } from 'vite';

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * Builds the page in `root` (an index.html and what it imports) into `outDir`, minified as an app would ship it
 * (`minify: false` keeps function names readable in a CPU profile).
 */
export async function buildPage(root: string, outDir: string, options: { minify?: boolean } = {}): Promise<void> {
  await build({ configFile: false, root, logLevel: 'warn', build: { outDir, emptyOutDir: true, minify: options.minify ?? true, target: 'es2022' } });
}

export async function serve(dir: string): Promise<{ url: string; close: () => void }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = existsSync(path) && !path.endsWith('/') ? path : join(dir, 'index.html');
    res.setHeader('content-type', types[extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/** Headless Chromium over a persistent profile (an incognito context would keep IndexedDB in memory). */
export async function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Calls `window[api][name](...args)` in the page and returns what it resolves to. */
export async function call<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return callOn<T>(page, 'bench', name, ...args);
}

export async function callOn<T>(page: Page, api: string, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([where, fn, params]) => {
      const functions = (window as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>)[where as string]!;
      return functions[fn as string]!(...(params as unknown[]));
    },
    [api, name, args] as const,
  ) as Promise<T>;
}
