/** The WAL checkpointer on a thread of its own (when no shared service thread hosts it). */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { runCheckpoints } from './wal-checkpoint-worker.js';
import type { CheckpointWorkerData } from './wal-checkpointer.js';

runCheckpoints(parentPort as unknown as MessagePort, workerData as CheckpointWorkerData);
