/**
 * The shared store suite (test/helpers/store-suite.ts) on the Azure stores, against real server implementations on
 * loopback that the harness starts: Azurite for Blob Storage, @vercel/cosmosdb-server for Cosmos DB.
 */
import { blobStore } from '../src/server/azure/blob.js';
import { startAzurite, type Azurite } from './helpers/azurite.js';
import { runStoreSuite, type StoreFactory } from './helpers/store-suite.js';

let azurite: Azurite | undefined;
let containers = 0;
const blob: StoreFactory = {
  name: 'azure-blob (Azurite)',
  async start() {
    azurite = await startAzurite();
  },
  async stop() {
    await azurite?.stop();
  },
  async fresh(limits) {
    if (!azurite) throw new Error('Azurite did not start.');
    const { connectionString } = azurite;
    const container = `store-${++containers}`;
    return { open: () => blobStore({ connectionString, container, ...(limits ? { limits } : {}) }) };
  },
};

runStoreSuite([blob]);
