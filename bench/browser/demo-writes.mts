/**
 * The demo's case as the issue found it: `npm start` (demo + reference sync server), Chromium on the page, then 1,000
 * versions of one section written through the library API in the page (`window.scratchpad`), each awaited.
 * `node --import tsx bench/browser/demo-writes.mts [count] [--no-sync]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo } from '../../test/e2e/demo-server.js';
import { launchChromium } from './harness.mjs';

const count = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
const server = await startDemo(process.argv.includes('--no-sync') ? ['--no-sync'] : []);
const profile = mkdtempSync(join(tmpdir(), 'sp-demo-writes-'));
const context = await launchChromium(profile);
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(server.url);
  await page.waitForFunction(() => (window as { scratchpad?: unknown }).scratchpad !== undefined, undefined, { timeout: 60_000 });
  const profiling = process.argv.includes('--profile');
  const cdp = profiling ? await context.newCDPSession(page) : undefined;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  // A string, not a function: tsx would wrap a function in helpers the page does not have.
  const result = (await page.evaluate(`(async (n) => {
    const sp = window.scratchpad;
    const requests = {};
    const original = window.fetch;
    window.fetch = async (...args) => {
      const kind = String(args[0]).includes('/push') ? 'push' : String(args[0]).includes('/pull') ? 'pull' : 'other';
      const t = performance.now();
      try { return await original(...args); } finally { const r = (requests[kind] ??= { n: 0, ms: 0 }); r.n++; r.ms += performance.now() - t; }
    };
    let statusUpdates = 0;
    sp.store.subscribe((s, p) => { if (s.sync !== p.sync) statusUpdates++; });
    const text = (i) => Array.from({ length: 20 }, (_, l) => (l === i % 20 ? 'version ' + i : 'line ' + l)).join('\\n') + '\\n';
    const start = performance.now();
    const marks = [];
    for (let i = 1; i <= n; i++) {
      await sp.write('bench', 'draft', text(i), { agent: 'bench' });
      if (i % 100 === 0) marks.push(Math.round(performance.now() - start));
    }
    return { ms: performance.now() - start, marks, requests, statusUpdates };
  })(${count})`)) as { ms: number; marks: number[]; requests: unknown; statusUpdates: number };
  console.log(JSON.stringify({ requests: result.requests, statusUpdates: result.statusUpdates }));
  if (cdp) {
    type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] };
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: Node[] } };
    const self = new Map<string, number>();
    let total = 0;
    for (const n of profile.nodes) {
      const k = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      self.set(k, (self.get(k) ?? 0) + (n.hitCount ?? 0));
      total += n.hitCount ?? 0;
    }
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((100 * v) / total).toFixed(1)}% ${k}`);
  }
  console.log(`${count} awaited writes in the demo page: ${(result.ms / count).toFixed(2)} ms per write; cumulative ms every 100: ${result.marks.join(', ')}`);
} finally {
  await context.close();
  await server.stop();
  rmSync(profile, { recursive: true, force: true });
}
