#!/usr/bin/env node
// `npm start`: builds the demo app and serves it, then prints its URL. Nothing else to set up after `npm install`.
//
//   npm start                  build, then serve on 127.0.0.1:4173 (the next free port if that one is taken)
//   npm start -- --port 8080   a fixed port (fails if taken); PORT=8080 does the same
//   npm start -- --host 0.0.0.0
//   npm start -- --out-dir /tmp/x  build into another folder than demo/dist (tests do, so that runs never share one)
//
// Services the demo talks to start here too, before the demo is served (see startServices).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, preview } from 'vite';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'out-dir': { type: 'string' },
  },
});
const configFile = fileURLToPath(new URL('../demo/vite.config.ts', import.meta.url));
const requestedPort = values.port ?? process.env.PORT;
const port = requestedPort === undefined ? 4173 : Number(requestedPort);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`not a port: ${requestedPort}`);
const host = values.host ?? process.env.HOST ?? '127.0.0.1';
const buildOptions = values['out-dir'] === undefined ? {} : { build: { outDir: values['out-dir'] } };

const stops = [];
try {
  stops.push(...(await startServices()));
  if (!values['skip-build']) {
    console.log('Building the demo…');
    await build({ configFile, logLevel: 'warn', ...buildOptions });
  }
  // A port asked for explicitly must be that port; the default may move to the next free one.
  const server = await preview({ configFile, ...buildOptions, preview: { port, host, strictPort: requestedPort !== undefined, open: false } });
  stops.push(() => new Promise((resolve) => server.httpServer.close(() => resolve())));
  const url = server.resolvedUrls?.local[0] ?? server.resolvedUrls?.network[0] ?? `http://${host}:${port}/`;
  console.log(`\nScratchpad Store demo: ${url}\n(Ctrl+C to stop)`);
} catch (error) {
  await stopAll();
  fail(error instanceof Error ? error.message : String(error));
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => void stopAll().then(() => process.exit(0)));
}

/**
 * Backends the demo uses. None yet: the demo keeps everything in IndexedDB. The sync work starts the reference
 * server here (embedded SQLite) and hands its URL to the demo; return a function that stops each service.
 * @returns {Promise<Array<() => Promise<void>>>}
 */
async function startServices() {
  return [];
}

async function stopAll() {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
}

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}
