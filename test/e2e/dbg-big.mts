import { chromium } from 'playwright';
import { startDemo } from './demo-server.js';
const server = await startDemo();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const B = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const t0 = Date.now();
const log = (...a: unknown[]) => console.log(((Date.now() - t0) / 1000).toFixed(1), ...a);
try {
  const p = await B.newPage();
  p.on('console', (m) => log('console', m.type(), m.text()));
  await p.goto(`${server.url}?speed=fast`);
  await p.locator('.demo-header').waitFor();
  await p.evaluate(`(async () => {
    const sp = window.scratchpad;
    const lines = []; for (let i = 1; i <= 16000; i++) lines.push(String(i).padStart(6, '0') + ' Shade cools streets; cool roofs reflect sunlight back up.');
    await sp.write('big', 'huge', lines.join('\\n'), { agent: 'researcher' });
    for (let k = 0; k < 6; k++) await sp.edit('big', 'huge', { replaceLines: { from: 1 + k * 2500, to: 1 + k * 2500 }, text: 'edited ' + k }, { agent: 'writer' });
    const writes = [];
    for (let i = 1; i <= 200; i++) writes.push(sp.write('wide', 'section ' + i, 'Line one of section ' + i + '\\nLine two\\nLine three', { agent: 'planner' }));
    await Promise.all(writes);
  })()`);
  log('written');
  for (let i = 0; i < 0; i++) {
    const r = await p.evaluate(`(async () => {
      const sp = window.scratchpad;
      const t = performance.now();
      const h = await sp.history({ pad: 'big', section: 'huge', limit: 101, order: 'desc' });
      return 'history ' + h.length + ' in ' + Math.round(performance.now() - t) + ' ms; sync ' + document.querySelector('[data-testid=sync]')?.textContent;
    })()`);
    log(r);
    await p.waitForTimeout(1000);
  }
  await p.locator('.sp-pad', { hasText: /^wide\d/ }).click();
  for (let i = 0; i < 12; i++) {
    await p.evaluate(`window.scrollTo(0, document.documentElement.scrollHeight); document.querySelector('.sp-panel-sections').scrollTop = 1e9;`);
    await p.waitForTimeout(300);
    log('cards', await p.locator('.sp-section').count(), await p.evaluate(() => [window.scrollY, document.documentElement.scrollHeight, innerHeight]));
  }
} finally {
  await browser.close();
  await server.stop();
}
