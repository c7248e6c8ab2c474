import { availableParallelism } from 'node:os';
import type { ContextService } from '../../context/index.js';
import { parseContextConfig } from '../../context/config.js';
import { parseFhirConfig } from '../../fhir/config.js';
import type { StrokeService } from '../stroke/service.js';
import { defaultReadThreads, ReadPool } from './read-pool.js';

export interface OpenReadPoolOptions {
  sections: { context?: unknown; fhir?: unknown; stroke?: unknown };
  /** `<dataDir>/fhir.sqlite` when the FHIR store is the embedded SQLite one; undefined on PostgreSQL. */
  fhirFile: string | undefined;
  publicUrl: string;
  sqliteKeys?: readonly Uint8Array[];
  context: ContextService;
  stroke: StrokeService;
  onThreadStart?: (threads: number) => void;
}

/**
 * The read pool when the reads can run on threads: the clinical record in the embedded SQLite
 * store and `context.readThreads` not 0. An external EHR (reads wait on its network) and the
 * PostgreSQL store (its pool already works beside the event loop) keep the in-process path.
 */
export function openReadPool(o: OpenReadPoolOptions): ReadPool | undefined {
  const fhir = parseFhirConfig(o.sections.fhir);
  const config = parseContextConfig(o.sections.context, Object.keys(fhir.servers));
  const size = config.readThreads ?? defaultReadThreads(availableParallelism());
  if (!o.fhirFile || config.fhirServer !== 'embedded' || size === 0) return undefined;
  return new ReadPool({
    size,
    worker: {
      fhirFile: o.fhirFile,
      publicUrl: o.publicUrl,
      sections: { context: o.sections.context, fhir: o.sections.fhir, stroke: o.sections.stroke },
      ...(o.sqliteKeys ? { sqliteKeys: [...o.sqliteKeys] } : {}),
    },
    context: o.context,
    stroke: o.stroke,
    ...(o.onThreadStart ? { onThreadStart: o.onThreadStart } : {}),
  });
}
