#!/usr/bin/env node
// `npm start`: builds the demo app and serves it, then prints its URL. Nothing else to set up after `npm install`.
//
//   npm start                  build, then serve on 127.0.0.1:4173 (the next free port if that one is taken)
//   npm start -- --port 8080   a fixed port (fails if taken); PORT=8080 does the same
//   npm start -- --host 0.0.0.0
//   npm start -- --out-dir /tmp/x  build into another folder than demo/dist (tests do, so that runs never share one)
//   npm start -- --sync-port 9000  the reference sync server's port (default 8787, or a free one if that is taken)
//   npm start -- --db ./my.db      its SQLite file (default .scratchpad-demo/demo.db, or inside --out-dir)
//   npm start -- --no-sync         no server: the demo keeps everything in this browser's IndexedDB only
//
// Services the demo talks to start here too, before the demo is served (see startServices).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';
import { build, preview } from 'vite';

// The reference server is imported from the TypeScript sources, as the demo page is: no package build needed.
register();

// What a newcomer gets is a production build, whatever the shell says. Vite builds with the NODE_ENV it inherits, and
// a test runner sets NODE_ENV=test: the page then ran React's development build (StrictMode's double effects, slower
// renders), which is not the demo anyone is shown.
process.env.NODE_ENV = 'production';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'out-dir': { type: 'string' },
    'sync-port': { type: 'string' },
    db: { type: 'string' },
    'no-sync': { type: 'boolean', default: false },
  },
});
const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
const requestedPort = values.port ?? process.env.PORT;
const port = requestedPort === undefined ? 4173 : Number(requestedPort);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`not a port: ${requestedPort}`);
const host = values.host ?? process.env.HOST ?? '127.0.0.1';
const buildOptions = values['out-dir'] === undefined ? {} : { build: { outDir: values['out-dir'] } };
const outDir = values['out-dir'] ?? fileURLToPath(new URL('../demo/dist', import.meta.url));

const stops = [];
try {
  const services = await startServices();
  stops.push(...services.stops);
  if (!values['skip-build']) {
    console.log('Building the demo…');
    await build({ configFile, logLevel: 'warn', ...buildOptions });
  }
  // Read by the page at start: where to sync. Written after the build, which empties the folder.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'demo-config.json'), JSON.stringify(services.config));
  // A port asked for explicitly must be that port; the default may move to the next free one.
  const server = await preview({ configFile, ...buildOptions, preview: { port, host, strictPort: requestedPort !== undefined, open: false } });
  stops.push(() => new Promise((resolve) => server.httpServer.close(() => resolve())));
  const url = server.resolvedUrls?.local[0] ?? server.resolvedUrls?.network[0] ?? `http://${host}:${port}/`;
  if (services.config.syncUrl) console.log(`Reference sync server: ${services.config.syncUrl} (SQLite: ${services.db})`);
  console.log(`\nScratchpad Store demo: ${url}\n(Ctrl+C to stop)`);
} catch (error) {
  await stopAll();
  fail(error instanceof Error ? error.message : String(error));
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => void stopAll().then(() => process.exit(0)));
}

/**
 * The reference sync server, on an embedded SQLite file, so that the demo's scratchpad survives a lost browser profile
 * and is shared by every browser that opens the page. The page learns its URL and a token from demo-config.json.
 * @returns {Promise<{ stops: Array<() => Promise<void>>, config: { syncUrl?: string, token?: string }, db?: string }>}
 */
async function startServices() {
  if (values['no-sync']) return { stops: [], config: {} };
  const { createServer, tokenMapAuth } = await import('../packages/server/src/index.ts');
  const { sqliteStore } = await import('../packages/server/src/sqlite.ts');
  const db = values.db ?? (values['out-dir'] ? join(values['out-dir'], '..', `${basenameOf(values['out-dir'])}-demo.db`) : fileURLToPath(new URL('../.scratchpad-demo/demo.db', import.meta.url)));
  mkdirSync(dirname(db), { recursive: true });
  // One demo user; a fresh token per run, so only pages served by this run can write.
  const token = `demo-${randomBytes(16).toString('hex')}`;
  const server = createServer({ store: sqliteStore({ path: db }), auth: tokenMapAuth({ [token]: 'demo' }), cors: { origin: '*' } });
  const requested = values['sync-port'] === undefined ? 8787 : Number(values['sync-port']);
  let info;
  try {
    info = await server.listen(requested, host);
  } catch (error) {
    if (values['sync-port'] !== undefined) throw error;
    info = await server.listen(0, host);
  }
  return { stops: [() => server.close()], config: { syncUrl: info.url, token }, db };
}

function basenameOf(path) {
  return path.replace(/\/+$/, '').split('/').pop() || 'demo';
}

async function stopAll() {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
}

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}
