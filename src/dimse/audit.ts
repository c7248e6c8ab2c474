/**
 * The audit trail of the DIMSE port (DICOM has no tokens: the calling AE title is the actor).
 * - C-FIND / C-MOVE / C-GET: record first, then disclose. The handler calls `disclose()`
 *   before its first pending response or sub-operation; that writes the record durably (status
 *   Pending) and only then lets it go on. If the record cannot be written, the request is
 *   answered with a refusal (0xA700 for C-FIND, 0xA701 for C-MOVE / C-GET: "Refused: Out of
 *   Resources", the statuses PS3.4 gives each service for a local resource that is missing)
 *   and nothing else is sent. A request that disclosed nothing is recorded with its final
 *   status before the final response (refused the same way if that fails); one that did and
 *   then ended otherwise than Success gets a second record with its final status.
 * - C-STORE: "DICOM Instances Transferred" per calling AE, naming every study it stored in a
 *   short window (PS3.15 A.5.3.2 lets one message name several studies; at most
 *   MAX_STUDIES_PER_RECORD each) — one record per AE and window instead of one per study (a
 *   modality sending many small studies made one record, chain append and FHIR AuditEvent per
 *   study); a refused instance is recorded on its own with its status.
 * - Refused associations (A-ASSOCIATE-RJ, failed TLS handshakes): one record each.
 */
import type { Response } from './dcmjs-dimse.js';
import { fillResponse } from './messages.js';
import type { Exchange } from './exchange.js';
import type { StorePort } from './store-handler.js';
import { DimseError } from './status.js';
import { DicomStatus, isFinalStatus } from '../core/dicom-status.js';

export type DimseService = 'C-FIND' | 'C-MOVE' | 'C-GET' | 'C-STORE';

export interface DimseAccess {
  service: DimseService;
  callingAet: string;
  calledAet: string;
  studyUids: string[];
  /** 0 success, 0xFF00 when recorded before disclosure; other values: the DICOM status (hex in the record). */
  status: number;
  /** C-FIND / C-MOVE / C-GET identifier keys and values as the peer sent them (the query). */
  query?: string;
  moveDestinationAet?: string;
  instances?: number;
}

/** Why an association was refused: the A-ASSOCIATE-RJ reasons we give, or a failed TLS handshake. */
export type RejectReason =
  | 'calling-ae-not-allowed'
  | 'called-ae-not-recognized'
  | 'local-limit-exceeded'
  | 'tls-handshake-failed';

export interface AssociationRejection {
  service: 'association';
  reason: RejectReason;
  /** What was wrong, in words without PHI (AE titles, addresses, TLS error). */
  why: string;
  remoteAddress: string;
  /** Unknown when TLS failed before the A-ASSOCIATE-RQ. */
  callingAet?: string;
  calledAet?: string;
}

export type DimseAuditEvent = DimseAccess | AssociationRejection;

/** Writes one record durably. */
export type DimseAuditSink = (event: DimseAuditEvent) => Promise<void>;

const FINAL = (r: Response) => {
  const s = r.getStatus();
  return isFinalStatus(s);
};

const REFUSAL: Record<Exclude<DimseService, 'C-STORE'>, number> = {
  'C-FIND': DicomStatus.OutOfResources,
  'C-MOVE': DicomStatus.OutOfResourcesMatches,
  'C-GET': DicomStatus.OutOfResourcesMatches,
};
const NOT_AUDITED = 'refused: the audit record cannot be written';

/** Wraps a query/retrieve handler: nothing leaves before its durable audit record (see above). */
export function auditedHandler<A extends unknown[]>(
  service: Exclude<DimseService, 'C-STORE'>,
  calledAet: string,
  sink: DimseAuditSink,
  handler: (x: Exchange, ...rest: A) => Promise<void>,
): (x: Exchange, ...rest: A) => Promise<void> {
  return async (x, ...rest) => {
    const asked = x.identifier.StudyInstanceUID;
    let studyUids = typeof asked === 'string' && asked ? asked.split('\\') : [];
    const record = (status: number) =>
      sink({
        service,
        callingAet: x.callingAe,
        calledAet,
        studyUids,
        status,
        query: queryText(x.identifier),
        ...(service === 'C-MOVE' && typeof rest[0] === 'string' ? { moveDestinationAet: rest[0] } : {}),
      });
    let final: Response | undefined;
    let disclosed = false;
    const held: Exchange = {
      ...x,
      send: (r) => {
        if (FINAL(r)) final = r;
        else if (disclosed) x.send(r);
        else throw new Error(`${service}: a pending response before disclose()`); // a handler bug, never a silent leak
      },
      disclose: async (uids) => {
        if (disclosed) return;
        if (uids.length) studyUids = [...new Set(uids)];
        try {
          await record(DicomStatus.Pending);
        } catch (err) {
          x.log.error({ err }, `${service} refused: its audit record cannot be written`);
          throw new DimseError(REFUSAL[service], NOT_AUDITED);
        }
        disclosed = true;
      },
    };
    try {
      await handler(held, ...rest);
    } finally {
      const status = final ? final.getStatus() : DicomStatus.ProcessingFailure;
      if (!disclosed || status !== DicomStatus.Success) {
        try {
          await record(status);
        } catch (err) {
          x.log.error({ err }, `${service}: its audit record cannot be written`);
          // Nothing disclosed yet: even "no match" is an answer; refuse instead.
          if (!disclosed && final) fillResponse(final, x.request, { status: REFUSAL[service], comment: NOT_AUDITED });
        }
      }
      if (final) x.send(final);
    }
  };
}

/** The identifier as `Key=value` pairs (what was asked), without empty return keys. */
function queryText(identifier: Record<string, unknown>): string {
  return Object.entries(identifier)
    .filter(([, v]) => v !== '' && v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('&');
}

/** The most studies one C-STORE record names (a record stays small; more start another). */
export const MAX_STUDIES_PER_RECORD = 100;

/** Gathers C-STOREs per calling AE and records them after `windowMs` of the first, every study in one record. */
export class StoreAudit {
  private readonly pending = new Map<string, { instances: number; studies: Set<string> }>();
  private full: { callingAet: string; studies: Set<string>; instances: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly calledAet: string,
    private readonly sink: DimseAuditSink,
    private readonly onError: (err: unknown) => void,
    private readonly windowMs = 1000,
  ) {}

  /** The archive's store port, recording what it stores and refuses. */
  wrap(archive: StorePort): StorePort {
    return {
      store: async (chunks, ctx) => {
        try {
          const out = await archive.store(chunks, ctx);
          this.stored(ctx.source, out.record.studyUid);
          return out;
        } catch (e) {
          const status = (e as { status?: number }).status ?? DicomStatus.ProcessingFailure;
          this.writing = this.writing.then(() =>
            this.sink({
              service: 'C-STORE',
              callingAet: ctx.source,
              calledAet: this.calledAet,
              studyUids: [],
              status,
              instances: 1,
            }).catch(this.onError),
          );
          throw e;
        }
      },
    };
  }

  private stored(callingAet: string, study: string): void {
    let entry = this.pending.get(callingAet);
    if (entry && !entry.studies.has(study) && entry.studies.size >= MAX_STUDIES_PER_RECORD) {
      this.full.push({ callingAet, ...entry });
      entry = undefined;
    }
    if (!entry) {
      entry = { instances: 0, studies: new Set() };
      this.pending.set(callingAet, entry);
    }
    entry.instances++;
    entry.studies.add(study);
    this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
  }

  /** Writes what was gathered; resolves when it is durable. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.full, ...[...this.pending].map(([callingAet, e]) => ({ callingAet, ...e }))];
    this.full = [];
    this.pending.clear();
    this.writing = this.writing.then(() =>
      Promise.all(
        batch.map((b) =>
          this.sink({
            service: 'C-STORE',
            callingAet: b.callingAet,
            calledAet: this.calledAet,
            studyUids: [...b.studies],
            status: DicomStatus.Success,
            instances: b.instances,
          }).catch(this.onError),
        ),
      ).then(() => undefined),
    );
    return this.writing;
  }
}
