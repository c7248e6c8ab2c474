import type { AccessRecord } from './balp/access-record.js';
import type { AuditEntry } from './audit-entry.js';
import { deserializeError, type EntryResult } from './chain-protocol.js';
import type { AuditEvent, AuditSink, ChainRecord } from './types.js';

/** One record()/recordAll()/recordAccess() call: settled once its records are committed. */
interface Waiting {
  entry: AuditEntry;
  resolve(): void;
  reject(e: unknown): void;
}

/** The chain writer: the SQLite writer thread's ChainWriter, or the PostgreSQL chain's PgChainWriter. */
export interface EntryWriter {
  /** Builds and appends the entries' records; one result per entry, once committed. */
  append(entries: AuditEntry[]): Promise<EntryResult[]>;
}

/**
 * The durable audit sink. Group commit: every record() of one turn of the event loop goes to the
 * writer as one batch, and the SQLite writer thread puts every batch that arrives while it commits
 * into its next transaction, so 50 concurrent requests cost one fsync, not 50. The main thread only
 * hands over a compact description of each access (audit-entry.ts): the BALP events, ids and
 * canonical JSON are built by the writer thread, off the event loop. A record is acknowledged only
 * after its commit; then the listeners (FHIR projection, syslog) are told.
 */
export class AuditLog implements AuditSink {
  private queue: Waiting[] = [];
  private scheduled = false;
  private closed = false;
  private readonly inflight = new Set<Promise<void>>();
  private readonly listeners: ((records: ChainRecord[]) => void)[] = [];

  constructor(private readonly writer: EntryWriter) {}

  record(event: AuditEvent): Promise<void> {
    return this.recordAll([event]);
  }

  /**
   * The events of one access (BALP: one per patient) as one entry of the next batch: their shared
   * parts are serialised once, and they go into the chain and its transaction together. Resolves
   * once every one is durable; rejects if any is not (then none is stored).
   */
  recordAll(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return this.closed ? this.refuse() : Promise.resolve();
    return this.enqueue({ events });
  }

  /** The BALP events of one access, built by the writer; resolves once all are durable. */
  recordAccess(access: AccessRecord): Promise<void> {
    return this.enqueue({ access });
  }

  private refuse(): Promise<void> {
    return Promise.reject(new Error('audit log is closed'));
  }

  private enqueue(entry: AuditEntry): Promise<void> {
    if (this.closed) return this.refuse();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.send());
      }
    });
  }
  /** Called with each committed batch, in chain order; a throwing listener does not affect the others. */
  onCommit(listener: (records: ChainRecord[]) => void): void {
    this.listeners.push(listener);
  }

  /** Refuses later record() calls; resolves once what was recorded before is settled. */
  async drain(): Promise<void> {
    this.closed = true;
    this.send();
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  private send(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let appended: Promise<EntryResult[]>;
    try {
      appended = this.writer.append(batch.map((w) => w.entry));
    } catch (e) {
      appended = Promise.reject(e);
    }
    const done = appended.then(
      (results) => {
        const stored: ChainRecord[] = [];
        batch.forEach((w, i) => {
          const r = results[i];
          if (r && 'records' in r) {
            stored.push(...r.records);
            w.resolve();
          } else w.reject(r ? deserializeError(r.error) : new Error('the audit writer gave no result for this record'));
        });
        if (stored.length) this.tell(stored);
      },
      (e: unknown) => batch.forEach((w) => w.reject(e)),
    );
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
  }

  private tell(stored: ChainRecord[]): void {
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch {
        // Listeners catch their own errors; the chain is already durable.
      }
    }
  }
}
