/**
 * The shared store suite (test/helpers/store-suite.ts) on the Azure stores, against real server implementations on
 * loopback that the harness starts: Azurite for Blob Storage, @vercel/cosmosdb-server for Cosmos DB.
 */
import { blobStore } from '../src/server/azure/blob.js';
import { cosmosStore } from '../src/server/azure/cosmos.js';
import { startAzurite, type Azurite } from './helpers/azurite.js';
import { startCosmos, type CosmosEmulator } from './helpers/cosmos.js';
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

let cosmos: CosmosEmulator | undefined;
let databases = 0;
const cosmosFactory: StoreFactory = {
  name: 'azure-cosmos (cosmosdb-server)',
  async start() {
    cosmos = await startCosmos();
  },
  async stop() {
    await cosmos?.stop();
  },
  async fresh(limits) {
    const emulator = cosmos;
    if (!emulator) throw new Error('cosmosdb-server did not start.');
    const database = `store-${++databases}`;
    return {
      open: () => cosmosStore({ endpoint: emulator.endpoint, key: emulator.key, agent: emulator.agent(), database, ...(limits ? { limits } : {}) }),
    };
  },
};

runStoreSuite([blob, cosmosFactory]);
