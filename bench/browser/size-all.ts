// Everything the two entry points export: the upper bound of what an app that imports both can pull in.
export * from '../../src/index.js';
export * from '../../src/storage/idb.js';
