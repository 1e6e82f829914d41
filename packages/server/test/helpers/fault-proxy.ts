/**
 * An HTTP proxy on loopback that misbehaves on purpose, for exactly-once tests: it drops connections before or after
 * forwarding (the request may or may not have reached the server), answers 500 without forwarding, delays, and
 * delivers some requests twice. Faults are drawn from a seeded generator, so a failing run can be replayed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export type Fault = 'pass' | 'drop-before' | 'drop-after' | 'error-500' | 'delay' | 'twice';

export interface FaultProxyOptions {
  /** The real server, e.g. http://127.0.0.1:8787 */
  readonly upstream: string;
  readonly seed?: number;
  /** Relative weights of the faults; 'pass' gets whatever is left of 1. */
  readonly weights?: Partial<Record<Exclude<Fault, 'pass'>, number>>;
  /** Longest delay of a 'delay' fault, in ms. Default 20. */
  readonly maxDelayMs?: number;
}

export interface FaultProxy {
  readonly url: string;
  /** How often each fault was applied. */
  readonly counts: Record<Fault, number>;
  close(): Promise<void>;
}

/** Mulberry32: small, fast, seeded. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const next = random(options.seed ?? 1);
  const weights = { 'drop-before': 0.1, 'drop-after': 0.1, 'error-500': 0.1, delay: 0.1, twice: 0.1, ...options.weights };
  const counts: Record<Fault, number> = { pass: 0, 'drop-before': 0, 'drop-after': 0, 'error-500': 0, delay: 0, twice: 0 };
  const pick = (): Fault => {
    let r = next();
    for (const [fault, weight] of Object.entries(weights) as [Exclude<Fault, 'pass'>, number][]) {
      if (r < weight) return fault;
      r -= weight;
    }
    return 'pass';
  };

  const forward = async (request: IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
    }
    const response = await fetch(`${options.upstream}${request.url ?? '/'}`, {
      method: request.method ?? 'GET',
      headers,
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
    });
    return { status: response.status, type: response.headers.get('content-type') ?? 'application/json', text: await response.text() };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const fault = pick();
    counts[fault]++;
    const reply = (answer: { status: number; type: string; text: string }) => {
      response.writeHead(answer.status, { 'content-type': answer.type });
      response.end(answer.text);
    };
    switch (fault) {
      case 'drop-before':
        response.socket?.destroy();
        return;
      case 'drop-after':
        await forward(request, body);
        response.socket?.destroy();
        return;
      case 'error-500':
        reply({ status: 500, type: 'application/json', text: JSON.stringify({ error: { code: 'PROXY', message: 'injected failure' } }) });
        return;
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, next() * (options.maxDelayMs ?? 20)));
        reply(await forward(request, body));
        return;
      case 'twice': {
        // Both deliveries race at the server; the client sees one of the answers.
        const [first] = await Promise.all([forward(request, body), forward(request, body)]);
        reply(first);
        return;
      }
      case 'pass':
        reply(await forward(request, body));
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a storage proxy does with one request: forward it, or forward it and then lose the answer. */
export type StorageFault = 'pass' | 'drop-after' | '503-after';

export interface StorageRequest {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

export interface StorageProxyOptions {
  /** The storage server, e.g. http://127.0.0.1:10000 (Azurite) or https://127.0.0.1:8081 (cosmosdb-server). */
  readonly upstream: string;
  /** For an HTTPS upstream: the proxy serves this certificate and trusts it upstream (the emulator's own). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Called for every request; its answer decides the fault. */
  decide(request: StorageRequest): StorageFault;
  /** The body of a 503, in the service's own error format. */
  readonly busyBody?: { readonly type: string; readonly text: string };
}

/**
 * A proxy between a store and its storage server (Azurite, cosmosdb-server) that forwards every request and, when
 * `decide` says so, loses the answer of one that the server has applied: the connection drops, or the client gets 503.
 * That is the unknown outcome a store must survive: the write landed, the store cannot tell.
 */
export async function startStorageProxy(options: StorageProxyOptions): Promise<{ readonly url: string; close(): Promise<void> }> {
  const target = new URL(options.upstream);
  const secure = target.protocol === 'https:';

  const forward = (incoming: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const headers = { ...incoming.headers, host: target.host };
      delete headers.connection;
      const send = secure ? httpsRequest : httpRequest;
      const outgoing = send(
        { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers, ...(secure ? { ca: options.tls?.cert } : {}) },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const fault = options.decide({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers });
    const answer = await forward(request, Buffer.concat(chunks));
    if (fault === 'drop-after') {
      response.socket?.destroy();
      return;
    }
    if (fault === '503-after') {
      const busy = options.busyBody ?? { type: 'application/json', text: '{"code":"ServiceUnavailable","message":"injected"}' };
      response.writeHead(503, { 'content-type': busy.type, 'content-length': Buffer.byteLength(busy.text) });
      response.end(busy.text);
      return;
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    headers['content-length'] = String(answer.body.length);
    response.writeHead(answer.status, headers);
    response.end(answer.body);
  };

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch(() => response.socket?.destroy());
  };
  const server = secure ? createHttpsServer({ cert: options.tls?.cert, key: options.tls?.key }, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
