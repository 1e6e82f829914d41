/**
 * `npm run bench:browser`: builds bench/browser with Vite, serves it on loopback, and drives Debian's Chromium
 * (CHROMIUM_PATH, default /usr/bin/chromium) with Playwright over a persistent profile in a temporary folder, so that
 * IndexedDB is on disk as in a real browser. Prints each workload's figures against the goals of issue 3, then the
 * minified and gzipped size of scratchpad-store + scratchpad-store/idb with their dependencies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { buildPage, call, launchChromium, median, serve } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const work = mkdtempSync(join(tmpdir(), 'scratchpad-bench-'));

type Rate = { writes: number; ms: number; perSecond: number };
const lines: string[] = [];
function print(text = ''): void {
  lines.push(text);
  console.log(text);
}
function goal(label: string, ok: boolean, detail: string): void {
  print(`${ok ? 'ok  ' : 'MISS'} ${label}: ${detail}`);
}
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

async function bundleSizes(): Promise<void> {
  const entries = {
    'everything exported by scratchpad-store + scratchpad-store/idb': join(here, 'size-all.ts'),
    'an app: createScratchpad + indexedDbStorage': join(here, 'size-app.ts'),
  };
  print('\n## Bundle size (Vite library build, minified, gzip -9; zustand, idb and diff included)');
  for (const [label, entry] of Object.entries(entries)) {
    const output = await build({
      configFile: false,
      logLevel: 'silent',
      build: { write: false, minify: true, target: 'es2022', lib: { entry, formats: ['es'], fileName: 'bundle' } },
    });
    const outputs = (Array.isArray(output) ? output : [output]) as { output: { type: string; code?: string; isEntry?: boolean }[] }[];
    const chunks = outputs.flatMap((o) => o.output).filter((c) => c.type === 'chunk');
    const code = chunks.map((c) => c.code ?? '').join('\n');
    const gzip = gzipSync(code, { level: 9 }).length;
    // The sync client is a chunk of its own, loaded only when a scratchpad is created with `sync`.
    const upFront = chunks.filter((c) => c.isEntry).map((c) => c.code ?? '').join('\n');
    const upFrontGzip = gzipSync(upFront, { level: 9 }).length;
    print(`${label}: ${kb(code.length)} minified, ${kb(gzip)} gzipped in all; loaded up front (without the sync chunk): ${kb(upFrontGzip)} gzipped`);
    if (label.startsWith('everything')) goal('size of scratchpad-store + scratchpad-store/idb', gzip <= 13 * 1024, `${kb(gzip)} min+gzip in all, ${kb(upFrontGzip)} up front (goal ≤ 13 KB)`);
  }
}

async function main(): Promise<void> {
  const outDir = join(work, 'site');
  await buildPage(here, outDir);
  const site = await serve(outDir);
  const context = await launchChromium(join(work, 'profile'));
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const load = async (): Promise<void> => {
      await page.goto(site.url);
      await page.waitForFunction(() => document.title === 'ready');
    };
    await load();
    const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    print(`# scratchpad-store browser benchmarks\nChromium ${version}, persistent profile on disk, ${quick ? 'quick run (--quick): one run each' : 'medians of 3 runs'}`);

    const runs = quick ? 1 : 3;
    const awaitedCount = quick ? 100 : 500;
    const burstRounds = quick ? 5 : 20;
    const results: Record<string, number> = {};
    for (const durability of ['default', 'strict'] as const) {
      print(`\n## Durable writes per second: small edits (one line of a 1 KB section replaced), 100 sections, durability '${durability}'`);
      const awaited: number[] = [];
      const bursts: number[] = [];
      const rawAwaited: number[] = [];
      const rawPerRecord: number[] = [];
      const rawBatched: number[] = [];
      const memory: number[] = [];
      for (let r = 0; r < runs; r++) {
        const rates = await page.evaluate(
          async ([count, rounds, d]) => {
            const b = (window as unknown as { bench: Record<string, (...a: never[]) => Promise<{ rate: Rate; batches: unknown[] } | Rate>> }).bench;
            const ours = (await b.oursAwaited!(count as never, 100 as never, d as never)) as { rate: Rate; batches: never };
            const raw = (await b.rawPerWriteAwaited!(ours.batches, d as never)) as Rate;
            const burst = (await b.oursBursts!(rounds as never, 100 as never, 100 as never, d as never)) as { rate: Rate; batches: never };
            const perRecord = (await b.rawPerRecordBurst!(burst.batches, d as never)) as Rate;
            const batched = (await b.rawBatchedBurst!(burst.batches, d as never)) as Rate;
            const memory = (await b.memoryBursts!(rounds as never, 100 as never, 100 as never)) as Rate;
            return { awaited: ours.rate.perSecond, raw: raw.perSecond, bursts: burst.rate.perSecond, perRecord: perRecord.perSecond, batched: batched.perSecond, memory: memory.perSecond };
          },
          [awaitedCount, burstRounds, durability] as const,
        );
        awaited.push(rates.awaited);
        rawAwaited.push(rates.raw);
        bursts.push(rates.bursts);
        rawPerRecord.push(rates.perRecord);
        rawBatched.push(rates.batched);
        memory.push(rates.memory);
      }
      const m = { awaited: median(awaited), raw: median(rawAwaited), bursts: median(bursts), perRecord: median(rawPerRecord), batched: median(rawBatched), memory: median(memory) };
      print(`scratchpad-store, each write awaited (${awaitedCount} writes):            ${m.awaited} writes/s`);
      print(`raw idb, same records, one transaction per write, awaited:   ${m.raw} writes/s`);
      print(`scratchpad-store, bursts of 100 writes (${burstRounds} bursts):           ${m.bursts} writes/s`);
      print(`raw idb, same records, one transaction per record, bursts:   ${m.perRecord} writes/s`);
      print(`raw idb, same records, one transaction per burst:            ${m.batched} writes/s`);
      print(`scratchpad-store on memoryStorage, same bursts (CPU only):   ${m.memory} writes/s`);
      goal(`bursts within 2× of one raw batched put per record (${durability})`, m.bursts * 2 >= m.batched, `${(m.batched / m.bursts).toFixed(2)}× slower than raw batched`);
      results[`bursts-${durability}`] = m.bursts;
      results[`awaited-${durability}`] = m.awaited;
    }

    print(`\n## The alternative: zustand + persist middleware on idb-keyval (whole state rewritten per change), durability 'default'`);
    for (const sections of [100, 1000]) {
      const writes = sections === 100 ? (quick ? 100 : 300) : quick ? 50 : 200;
      const awaited: number[] = [];
      const bursts: number[] = [];
      for (let r = 0; r < runs; r++) {
        awaited.push((await call<Rate>(page, 'zustandPersist', 'awaited', sections, writes)).perSecond);
        bursts.push((await call<Rate>(page, 'zustandPersist', 'bursts', sections, writes, 100)).perSecond);
      }
      print(`zustand persist, ${sections} sections, awaited: ${median(awaited)} writes/s; bursts of 100: ${median(bursts)} writes/s`);
      if (sections === 1000) {
        const ours: number[] = [];
        const oursAwaited: number[] = [];
        for (let r = 0; r < runs; r++) {
          ours.push(
            await page.evaluate(async (rounds) => {
              const b = (window as unknown as { bench: Record<string, (...a: never[]) => Promise<{ rate: Rate }>> }).bench;
              return (await b.oursBursts!(rounds as never, 100 as never, 1000 as never, 'default' as never)).rate.perSecond;
            }, burstRounds),
          );
          oursAwaited.push(
            await page.evaluate(async (count) => {
              const b = (window as unknown as { bench: Record<string, (...a: never[]) => Promise<{ rate: Rate }>> }).bench;
              return (await b.oursAwaited!(count as never, 1000 as never, 'default' as never)).rate.perSecond;
            }, awaitedCount),
          );
        }
        const mb = median(ours);
        const ma = median(oursAwaited);
        print(`scratchpad-store, 1000 sections, awaited: ${ma} writes/s; bursts of 100: ${mb} writes/s`);
        goal('≥ 20× the zustand persist approach at 1,000 sections (bursts)', mb >= 20 * median(bursts), `${(mb / median(bursts)).toFixed(1)}×`);
        goal('≥ 20× the zustand persist approach at 1,000 sections (awaited)', ma >= 20 * median(awaited), `${(ma / median(awaited)).toFixed(1)}×`);
      }
    }

    const sections = 1000;
    const versions = quick ? 20 : 100;
    print(`\n## Opening a session of ${sections} sections with ${versions} versions each`);
    const name = 'large-session';
    const built = await call<{ ms: number; bytes: number; versions: number; wholeEntryBytes: number; storedEntryBytes: number }>(page, 'buildLargeSession', name, sections, versions);
    print(`built through the library in bursts of ${sections} appends: ${built.versions} versions in ${built.ms} ms (${Math.round((built.versions / built.ms) * 1000)} writes/s)`);
    const opens: number[] = [];
    for (let r = 0; r < 5; r++) {
      // A fresh page each time: no module state, a new IndexedDB connection.
      await load();
      const opened = await call<{ ms: number; sections: number }>(page, 'openLargeSession', name);
      if (opened.sections !== sections) throw new Error(`opened ${opened.sections} sections, expected ${sections}`);
      opens.push(opened.ms);
    }
    print(`ms until ready (fresh page each time): ${opens.join(', ')}`);
    goal('open under 150 ms', median(opens) < 150, `median ${median(opens)} ms`);

    print(`\n## Bytes on disk per version`);
    print(`navigator.storage.estimate() grew by ${(built.bytes / 1024 / 1024).toFixed(1)} MB for ${built.versions} versions: ${Math.round(built.bytes / built.versions)} bytes per version (appends of ~50 characters; history entry, section row and checkpoints included)`);
    print(`one history entry of this workload as JSON: ${built.wholeEntryBytes} bytes as a HistoryEntry, ${built.storedEntryBytes} bytes as stored (packed)`);
    await call(page, 'deleteDatabase', name);

    await bundleSizes();
  } finally {
    await context.close();
    site.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
