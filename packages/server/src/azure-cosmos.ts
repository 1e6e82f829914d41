/**
 * `@scratchpad-store/server/azure-cosmos`: Azure Cosmos DB (NoSQL API), one partition per session. Needs the optional
 * peer `@azure/cosmos` (`npm install @azure/cosmos`).
 */
export { cosmosStore, type CosmosClientLike, type CosmosStoreOptions } from './azure/cosmos.js';
export type { RetryPolicy } from './azure/common.js';
