import type { FhirResource } from '../fhir/types.js';
import type { AccessRecord } from './balp/access-record.js';

/** An R4 AuditEvent as built by `balp/` (open JSON, validated by the FHIR layer). */
export interface AuditEvent extends FhirResource {
  resourceType: 'AuditEvent';
  recorded: string;
}

/** Where protocol edges hand their audit records. */
export interface AuditSink {
  /** Resolves only once the record is durable (committed and fsynced); rejects if it is not. */
  record(event: AuditEvent): Promise<void>;
  /** The events of one access, recorded together; resolves once all are durable, rejects if any is not. */
  recordAll(events: readonly AuditEvent[]): Promise<void>;
  /**
   * The BALP events of one access, built by the sink (the audit log's writer thread, off the event
   * loop); without it, `recordAccess()` builds them and calls recordAll().
   */
  recordAccess?(access: AccessRecord): Promise<void>;
}

/** One record of the chain, as stored. */
export interface ChainRecord {
  seq: number;
  id: string;
  recorded: string;
  json: string;
  prevHash: string;
  hash: string;
}

export type VerifyResult =
  | {
      ok: true;
      records: number;
      head?: { seq: number; hash: string };
      /** The signed checkpoint the chain was checked against (it reaches at least this far). */
      checkpoint?: { seq: number };
      /** The newest external anchor the chain was checked against (verify --anchor). */
      anchor?: { seq: number; source: string };
    }
  | { ok: false; records: number; brokenSeq: number; reason: string };
