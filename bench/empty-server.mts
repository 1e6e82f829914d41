/**
 * The ceiling for bench/server.bench.mts: a Hono app on @hono/node-server that answers a push without storing
 * anything (it parses the JSON body and answers every op applied), so that the sync server's throughput can be given
 * as a ratio to what HTTP and JSON alone cost on the same machine in the same run.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/v1/sessions/:sessionId/push', async (c) => {
  const body = JSON.parse(await c.req.text()) as { ops: { mutationId: number }[] };
  const results = body.ops.map((op, i) => ({ mutationId: op.mutationId, status: 'applied', version: i + 1 }));
  return c.json({ lastMutationId: body.ops.at(-1)?.mutationId ?? 0, results });
});
const port = Number(process.argv[2] ?? 0);
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => console.log(`empty server listening on http://127.0.0.1:${info.port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
