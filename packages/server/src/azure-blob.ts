/**
 * `@scratchpad-store/server/azure-blob`: Azure Blob Storage, one state blob per session with ETag compare-and-swap.
 * Needs the optional peer `@azure/storage-blob` (`npm install @azure/storage-blob`).
 */
export { blobStore, type BlobServiceClientLike, type BlobStoreOptions } from './azure/blob.js';
export type { RetryPolicy } from './azure/common.js';
