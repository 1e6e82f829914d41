/**
 * The chart of `npm run bench:peers`: one group of bars per workload, one bar per store, each bar the store's median
 * divided by scratchpad-store's on a log scale around 1× (a bar above the line: that store took longer or stored more
 * than scratchpad-store; below: less). Each bar is labelled with its absolute figure. Plain SVG, no dependencies.
 */

export interface ChartInput {
  readonly title: string;
  readonly stores: readonly { readonly id: string; readonly label: string }[];
  readonly groups: readonly {
    readonly label: string;
    readonly unit: 'ms' | 'bytes';
    readonly values: Readonly<Record<string, { readonly value: number; readonly atLeast: boolean }>>;
  }[];
}

const COLORS: Record<string, string> = { ours: '#2563eb', zustand: '#9ca3af', tinybase: '#f59e0b', yjs: '#10b981', dexie: '#ef4444' };
const FALLBACK = ['#6366f1', '#ec4899', '#14b8a6', '#84cc16'];

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function short(value: number, unit: 'ms' | 'bytes'): string {
  if (unit === 'bytes') return value >= 1024 * 1024 ? `${(value / 1024 / 1024).toFixed(1)}M` : `${Math.round(value / 1024)}K`;
  return value >= 10_000 ? `${Math.round(value / 1000)}s` : value >= 1000 ? `${(value / 1000).toFixed(1)}s` : value >= 10 ? `${Math.round(value)}ms` : `${value.toFixed(1)}ms`;
}

export function renderChart(input: ChartInput): string {
  const ratios: number[] = [];
  for (const group of input.groups) {
    const base = group.values['ours']?.value;
    if (!base) continue;
    for (const v of Object.values(group.values)) if (v.value > 0) ratios.push(v.value / base);
  }
  const lo = Math.min(0.1, 10 ** Math.floor(Math.log10(Math.min(...ratios, 1))));
  const hi = Math.max(10, 10 ** Math.ceil(Math.log10(Math.max(...ratios, 1))));
  const bar = 16;
  const gap = 30;
  const groupWidth = input.stores.length * bar + gap;
  const left = 70;
  const top = 70;
  const plot = 360;
  const width = left + input.groups.length * groupWidth + 20;
  // Labels of bars that go down hang below the plot: leave them room above the group names.
  const below = 44;
  const height = top + plot + below + 50;
  const y = (ratio: number): number => top + plot - ((Math.log10(ratio) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plot;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="600">${escape(input.title)}</text>`,
  );
  // Legend.
  let lx = left;
  input.stores.forEach((store, i) => {
    const color = COLORS[store.id] ?? FALLBACK[i % FALLBACK.length];
    out.push(`<rect x="${lx}" y="34" width="12" height="12" fill="${color}"/>`, `<text x="${lx + 16}" y="44">${escape(store.label)}</text>`);
    lx += 24 + store.label.length * 6.5;
  });
  out.push(`<text x="${lx + 10}" y="44" fill="#555">bar = store ÷ scratchpad-store, log scale; label = median</text>`);
  // Axis and grid.
  for (let p = Math.log10(lo); p <= Math.log10(hi) + 1e-9; p++) {
    const value = 10 ** p;
    const gy = y(value);
    out.push(
      `<line x1="${left}" x2="${width - 20}" y1="${gy}" y2="${gy}" stroke="${Math.abs(p) < 1e-9 ? '#111' : '#ddd'}" stroke-width="${Math.abs(p) < 1e-9 ? 1.5 : 1}"/>`,
      `<text x="${left - 8}" y="${gy + 4}" text-anchor="end">${value >= 1 ? value.toFixed(0) : value.toString()}×</text>`,
    );
  }
  input.groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + gap / 2;
    const base = group.values['ours']?.value;
    input.stores.forEach((store, i) => {
      const color = COLORS[store.id] ?? FALLBACK[i % FALLBACK.length];
      const x = x0 + i * bar;
      const entry = group.values[store.id];
      if (!entry || !base) {
        out.push(`<text x="${x + bar / 2}" y="${y(1) - 4}" text-anchor="middle" fill="#999" font-size="9" transform="rotate(-90 ${x + bar / 2} ${y(1) - 4})">n/a</text>`);
        return;
      }
      const ratio = Math.max(entry.value / base, lo);
      const y1 = Math.min(y(ratio), y(1));
      const h = Math.max(Math.abs(y(ratio) - y(1)), 1.5);
      out.push(
        `<rect x="${x + 1}" y="${y1}" width="${bar - 2}" height="${h}" fill="${color}"${entry.atLeast ? ' fill-opacity="0.55" stroke="' + color + '" stroke-dasharray="3 2"' : ''}>` +
          `<title>${escape(`${store.label}: ${short(entry.value, group.unit)}${entry.atLeast ? ' or more' : ''} (${(entry.value / base).toFixed(2)}×)`)}</title></rect>`,
      );
      const above = ratio >= 1;
      const ty = above ? y1 - 3 : y1 + h + 3;
      out.push(
        `<text x="${x + bar / 2 + 3}" y="${ty}" font-size="9" text-anchor="${above ? 'start' : 'end'}" transform="rotate(-90 ${x + bar / 2 + 3} ${ty})">${entry.atLeast ? '≥' : ''}${short(entry.value, group.unit)}</text>`,
      );
    });
    out.push(`<text x="${x0 + (input.stores.length * bar) / 2}" y="${top + plot + below + 14}" text-anchor="middle" font-weight="600">${escape(group.label)}</text>`);
  });
  out.push(
    `<text x="${left}" y="${height - 16}" fill="#555">(a) edits, (b) appends: time; (c) reopen: time to readable; (d) records: bytes read back, disk: bucket usage; (e) history read. ≥, dashed: capped run, projected.</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
