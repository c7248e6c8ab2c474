/**
 * The audit trail of the DIMSE port (DICOM has no tokens: the calling AE title is the actor).
 * - C-FIND / C-MOVE / C-GET: one record per request, written durably before its final
 *   response is sent (the final response is held back until the record is on disk).
 * - C-STORE: "DICOM Instances Transferred" per calling AE and study (PS3.15 A.5.3.2 practice),
 *   gathered over a short window and written then — one fsync per study and window instead
 *   of one per instance; a refused instance is recorded on its own with its status.
 */
import type { Response } from './dcmjs-dimse.js';
import type { Exchange } from './scp-services.js';
import type { StorePort } from './store-handler.js';
import { Status } from './status.js';

export type DimseService = 'C-FIND' | 'C-MOVE' | 'C-GET' | 'C-STORE';

export interface DimseAccess {
  service: DimseService;
  callingAet: string;
  calledAet: string;
  studyUids: string[];
  /** 0 success; other values: the DICOM status (hex in the record). */
  status: number;
  /** C-FIND / C-MOVE / C-GET identifier keys and values as the peer sent them (the query). */
  query?: string;
  moveDestinationAet?: string;
  instances?: number;
}

/** Writes one record durably. */
export type DimseAuditSink = (access: DimseAccess) => Promise<void>;

const FINAL = (r: Response) => {
  const s = r.getStatus();
  return s !== Status.Pending && s !== 0xff01;
};

/** Wraps a query/retrieve handler: its final response waits for the durable audit record. */
export function auditedHandler<A extends unknown[]>(
  service: Exclude<DimseService, 'C-STORE'>,
  calledAet: string,
  sink: DimseAuditSink,
  handler: (x: Exchange, ...rest: A) => Promise<void>,
): (x: Exchange, ...rest: A) => Promise<void> {
  return async (x, ...rest) => {
    let final: Response | undefined;
    const held: Exchange = { ...x, send: (r) => (FINAL(r) ? (final = r) : x.send(r)) };
    try {
      await handler(held, ...rest);
    } finally {
      const status = final ? final.getStatus() : Status.ProcessingFailure;
      const study = x.identifier.StudyInstanceUID;
      await sink({
        service,
        callingAet: x.callingAe,
        calledAet,
        studyUids: typeof study === 'string' && study ? study.split('\\') : [],
        status,
        query: queryText(x.identifier),
        ...(service === 'C-MOVE' && typeof rest[0] === 'string' ? { moveDestinationAet: rest[0] } : {}),
      }).catch((err: unknown) => x.log.error({ err }, 'DIMSE audit record not written'));
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

/** Gathers C-STOREs per calling AE and study and records them after `windowMs` of the first. */
export class StoreAudit {
  private readonly pending = new Map<string, { callingAet: string; study: string; instances: number }>();
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
          const status = (e as { status?: number }).status ?? Status.ProcessingFailure;
          this.writing = this.writing.then(() =>
            this.sink({ service: 'C-STORE', callingAet: ctx.source, calledAet: this.calledAet, studyUids: [], status, instances: 1 }).catch(this.onError),
          );
          throw e;
        }
      },
    };
  }

  private stored(callingAet: string, study: string): void {
    const key = `${callingAet}\u0000${study}`;
    const entry = this.pending.get(key) ?? { callingAet, study, instances: 0 };
    entry.instances++;
    this.pending.set(key, entry);
    this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
  }

  /** Writes what was gathered; resolves when it is durable. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.writing = this.writing.then(() =>
      Promise.all(
        batch.map((b) =>
          this.sink({ service: 'C-STORE', callingAet: b.callingAet, calledAet: this.calledAet, studyUids: [b.study], status: Status.Success, instances: b.instances }).catch(this.onError),
        ),
      ).then(() => undefined),
    );
    return this.writing;
  }
}
