/** The audit projection on a thread of its own (when no shared service thread hosts it). */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { ProjectionWorkerData } from './projection-protocol.js';
import { runProjection } from './projection-worker.js';

runProjection(parentPort as unknown as MessagePort, workerData as ProjectionWorkerData);
