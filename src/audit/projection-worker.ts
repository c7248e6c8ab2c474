/**
 * The FHIR copy of the audit chain, off the main thread (`projection-thread.ts` starts it): the
 * AuditEvent copies are written into fhir.sqlite through a second connection, so that their
 * indexing and commits (the largest cost of an audited read with many patients: one copy per
 * patient) never run on the server's event loop. Catches up from the watermark at start, then
 * copies what the main thread forwards after each chain commit.
 */
import type { MessagePort } from 'node:worker_threads';
import { PAGE_CACHE_KIB } from '../core/sqlite-cache.js';
import { lowerThreadPriority } from '../core/thread-priority.js';
import { fhirPathOnDemand } from '../fhir/definitions/fhirpath-extract.js';
import { SearchParamRegistryOf } from '../fhir/definitions/search-param-registry.js';
import { SqliteFhirRepository } from '../fhir/sqlite/sqlite-repository.js';
import { WriteWaiters } from '../fhir/sqlite/write-waiters.js';
import { serializeError } from './chain-protocol.js';
import { ChainStore } from './chain-store.js';
import { FhirProjection } from './fhir-projection.js';
import type { FromProjection, ProjectionWorkerData, ToProjection } from './projection-protocol.js';

/** The projection's side, on `port`: a thread of its own (projection-thread-main.ts) or a part of a shared one. */
export function runProjection(port: MessagePort, data: ProjectionWorkerData): void {
  // The copy is a searchable view of a chain that is already durable, so it may lag: on a busy
  // machine the request threads go first. Nice 10 (≈ 10 % of a core beside a nice-0 thread that
  // wants it), not 19 (≈ 1.5 %): while a slice runs it holds fhir.sqlite's write lock, which the
  // server's own writes wait for, and at nice 19 a slice's few ms of CPU took seconds of wall time
  // on a loaded machine (docs/audit-offload.md, "The FHIR copy's priority").
  lowerThreadPriority(10);

  const post = (m: FromProjection) => port.postMessage(m);

  const reader = new ChainStore(data.auditFile, { readonly: true, keys: data.auditKeys });
  const repository = new SqliteFhirRepository(data.fhirFile, {
    // AuditEvent's parameters are all simple paths: FHIRPath (≈ 70 ms of CPU to load at each start
    // of this thread, which comes and goes with the audited requests) is loaded only if one is not.
    registry: new SearchParamRegistryOf(data.definitions, fhirPathOnDemand),
    baseUrl: data.baseUrl,
    keys: data.fhirKeys,
    // Appends AuditEvent copies and their index rows; the server's connection serves the reads.
    cacheKib: PAGE_CACHE_KIB.side,
  });
  // The server's WAL checkpointer (core/wal-checkpointer.ts) checkpoints fhir.sqlite on its own
  // thread; without this, this connection's commits would also checkpoint (with two fsyncs).
  repository.db.pragma('wal_autocheckpoint = 0');
  const projection = new FhirProjection(
    {
      iterate: (after) => reader.iterate(after),
      projectedUpTo: (target) => reader.projectedUpTo(target),
      // The chain writer thread is the only writer of audit.sqlite: the watermark goes through it.
      setProjectedUpTo: (target, upto) => post({ type: 'projected', target, upto }),
    },
    repository,
    {
      error: (obj: unknown, message?: string) => {
        const o = (obj ?? {}) as Record<string, unknown>;
        const { err, ...rest } = o;
        post({ type: 'log', message: message ?? '', fields: rest, ...(err ? { err: serializeError(err) } : {}) });
      },
    } as never,
    data.options,
    data.writeWaiters ? new WriteWaiters(data.writeWaiters) : undefined,
  );

  const caughtUp = projection.catchUp().then(
    (copied) => post({ type: 'caught-up', copied }),
    (e: unknown) => post({ type: 'caught-up', copied: 0, error: serializeError(e) }),
  );

  port.on('message', (m: ToProjection) => {
    if (m.type === 'add') projection.add(m.records);
    else
      void (async () => {
        await caughtUp;
        await projection.close();
        repository.close();
        reader.close();
        post({ type: 'closed' });
        port.close();
      })();
  });
}
