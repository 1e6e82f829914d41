/**
 * @vercel/cosmosdb-server (a Cosmos DB NoSQL API server written in Node) on a free loopback port, for tests. It
 * serves HTTPS; the certificate it ships expired in 2021 and names no loopback address, so each run makes its own
 * (a fresh key, valid a day, for IP 127.0.0.1) and the test's client trusts exactly that certificate through its own
 * https.Agent. TLS checks stay on everywhere.
 */
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import selfsigned from 'selfsigned';

export interface CosmosEmulator {
  readonly endpoint: string;
  /** The emulator's certificate (PEM), e.g. for NODE_EXTRA_CA_CERTS of a child process. */
  readonly cert: string;
  /** Its private key (PEM): a test proxy in front of the emulator serves the same certificate, so one agent trusts both. */
  readonly certKey: string;
  /** Any base64 string: the emulator does not check signatures. */
  readonly key: string;
  /** Trusts the emulator's certificate, and nothing else. */
  agent(): Agent;
  stop(): Promise<void>;
}

export async function startCosmos(): Promise<CosmosEmulator> {
  const now = Date.now();
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const server = createHttpsServer({ cert: pems.cert, key: pems.private, keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const agents: Agent[] = [];
  return {
    endpoint: `https://127.0.0.1:${port}/`,
    cert: pems.cert,
    certKey: pems.private,
    key: Buffer.from('cosmosdb-server accepts any key').toString('base64'),
    agent() {
      const agent = new Agent({ ca: pems.cert, keepAlive: true });
      agents.push(agent);
      return agent;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const agent of agents) agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
