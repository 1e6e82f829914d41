import { chromium } from 'playwright';
import { startDemo } from './demo-server.js';
const server = await startDemo();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const A = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const B = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const t0 = Date.now();
const log = (...a: unknown[]) => console.log(((Date.now() - t0) / 1000).toFixed(1), ...a);
async function open(ctx: typeof A, name: string, q: string) {
  const p = await ctx.newPage();
  p.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log(name, 'console', m.type(), m.text()); });
  p.on('pageerror', (e) => log(name, 'pageerror', e.message));
  await p.goto(`${server.url}?${q}`);
  await p.locator('.demo-header').waitFor();
  return p;
}
const state = async (p: any) => `${await p.getByTestId('step-count').textContent()} | ${await p.getByTestId('runner').textContent()} | sync=${await p.getByTestId('sync').textContent()}`;
try {
  const a1 = await open(A, 'a1', 'delay=1500');
  const a2 = await open(A, 'a2', 'speed=fast');
  const b = await open(B, 'b', 'speed=fast');
  await a1.getByRole('button', { name: 'Run all' }).click();
  for (let i = 0; i < 3; i++) { log('a1', await state(a1), '|| a2', await state(a2), '|| b', await state(b)); await a1.waitForTimeout(1500); }
  const cdp = await A.newCDPSession(a1);
  const crash = a1.waitForEvent('crash', { timeout: 30000 });
  void cdp.send('Page.crash').catch((e) => log('crash send', String(e)));
  await crash;
  log('crashed');
  for (let i = 0; i < 20; i++) {
    log('a2', await state(a2), '|| b', await state(b), 'run enabled', await b.getByRole('button', { name: /Run (all|the rest)/ }).isEnabled());
    if (await b.getByRole('button', { name: 'Run the rest' }).isEnabled().catch(() => false)) break;
    await b.waitForTimeout(2000);
  }
  await b.getByRole('button', { name: 'Run the rest' }).click();
  for (let i = 0; i < 30; i++) {
    const s = await state(b); log('b', s, '|| a2', await state(a2));
    if (s.includes('complete')) break;
    await b.waitForTimeout(2000);
  }
} finally {
  await browser.close();
  await server.stop();
}
