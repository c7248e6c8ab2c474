// Starts a TypeScript module in a worker thread: `node --import tsx` registers tsx's loader in the
// main thread only, so the worker registers it itself before importing workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
