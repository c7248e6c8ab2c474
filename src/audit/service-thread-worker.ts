/**
 * The server's shared background thread (core/service-thread.ts): hosts the audit projection and
 * the WAL checkpointer, each on a MessagePort of its own with its own messages (issue 21: one
 * isolate, ≈ 10.8 MB of RSS, fewer). Both are background work: a checkpoint held up by a slice
 * of copies only lets a WAL grow a little longer, a slice held up by a checkpoint only delays
 * AuditEvent copies. The projection lowers the thread's priority (nice 10) when it first
 * attaches; the checkpoints then run at that priority too (they mostly wait for I/O).
 */
import { type MessagePort, parentPort } from 'node:worker_threads';
import type { AttachPart } from '../core/service-thread.js';
import { runCheckpoints } from '../core/wal-checkpoint-worker.js';
import { CHECKPOINT_PART, type CheckpointWorkerData } from '../core/wal-checkpointer.js';
import type { ProjectionWorkerData } from './projection-protocol.js';
import { PROJECTION_PART } from './projection-thread.js';
import { runProjection } from './projection-worker.js';

parentPort!.on('message', (m: AttachPart) => {
  if (m.type !== 'attach') return;
  if (m.kind === CHECKPOINT_PART) runCheckpoints(m.port as MessagePort, m.data as CheckpointWorkerData);
  else if (m.kind === PROJECTION_PART) runProjection(m.port as MessagePort, m.data as ProjectionWorkerData);
  else m.port.close();
});
