// A page that writes bursts to an IndexedDB scratchpad and reports each acknowledged write on the console, so that a
// test can close the page (or the browser) in the middle and check afterwards that every acknowledged write is there.
import { createScratchpad } from '../../../src/index.js';
import { indexedDbStorage } from '../../../src/storage/idb.js';

const sp = createScratchpad({ sessionId: 'burst', storage: indexedDbStorage({ name: 'burst-test' }) });

async function burst(label: string, count: number): Promise<void> {
  await sp.ready;
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const section = `s${i % 10}`;
    const text = `${label} ${i}`;
    // Appends to ten sections, and every fifth write replaces a section of its own: both kinds must survive.
    const write =
      i % 5 === 4
        ? sp.write('burst', `replace-${i % 3}`, text).then((r) => console.log(`ack ${JSON.stringify({ kind: 'replace', section: `replace-${i % 3}`, text, version: r.version })}`))
        : sp.write('burst', section, text, { mode: 'append' }).then((r) => console.log(`ack ${JSON.stringify({ kind: 'append', section, text, version: r.version })}`));
    writes.push(write.catch(() => undefined));
    // Small groups: many transactions, so that closing the page lands in the middle of one.
    if (i % 7 === 6) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await Promise.all(writes);
}

async function inspect() {
  await sp.ready;
  const sections: Record<string, { content: string; version: number; lastHistoryVersion: number | undefined; versions: number[] }> = {};
  for (const section of sp.sections('burst')) {
    const history = await sp.history({ pad: 'burst', section });
    const versions = history.map((e) => e.version).sort((a, b) => a - b);
    sections[section] = { content: sp.read('burst', section)!, version: sp.get('burst', section)!.version, lastHistoryVersion: versions.at(-1), versions };
  }
  return sections;
}

Object.assign(window, { burstApi: { burst, inspect } });
console.log('ready');
