import { randomUUID } from 'node:crypto';
import { canonicalJsonAll } from './canonical-json.js';
import { deserializeError } from './chain-protocol.js';
import type { NewRecord } from './chain-store.js';
import type { ChainWriter } from './chain-writer.js';
import type { AuditEvent, AuditSink, ChainRecord } from './types.js';

/** The records of one record()/recordAll() call: settled together, once all are committed. */
interface Waiting {
  records: NewRecord[];
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * The durable audit sink. Group commit: every record() of one turn of the event loop goes to the
 * writer thread as one batch, and the thread puts every batch that arrives while it commits into
 * its next transaction, so 50 concurrent requests cost one fsync, not 50, and none of it runs on
 * the event loop. A record is acknowledged only after its commit; then the listeners (FHIR
 * projection, syslog) are told.
 */
export class AuditLog implements AuditSink {
  private queue: Waiting[] = [];
  private scheduled = false;
  private closed = false;
  private readonly inflight = new Set<Promise<void>>();
  private readonly listeners: ((records: ChainRecord[]) => void)[] = [];

  /** `writer`: the SQLite writer thread's ChainWriter, or the PostgreSQL chain's PgChainWriter. */
  constructor(private readonly writer: Pick<ChainWriter, 'append'>) {}

  record(event: AuditEvent): Promise<void> {
    return this.recordAll([event]);
  }

  /**
   * The events of one access (BALP: one per patient) as one entry of the next batch: their shared
   * parts are serialised once, and they go to the writer thread, into the chain and its
   * transaction together. Resolves once every one is durable; rejects if any is not.
   */
  recordAll(events: readonly AuditEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('audit log is closed'));
    if (events.length === 0) return Promise.resolve();
    let records: NewRecord[];
    try {
      const contents = events.map((event) => {
        if (event.resourceType !== 'AuditEvent')
          throw new TypeError(`the audit log takes AuditEvents, not ${String(event.resourceType)}`);
        const { meta: _meta, ...content } = event; // versionId/lastUpdated belong to a repository, not to the record
        return { ...content, id: event.id ?? randomUUID() };
      });
      const texts = canonicalJsonAll(contents);
      records = contents.map((c, i) => ({ id: c.id, recorded: c.recorded, json: texts[i]! }));
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
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
    const done = this.writer.append(batch.flatMap((w) => w.records)).then(
      (results) => {
        const stored: ChainRecord[] = [];
        let i = 0;
        for (const w of batch) {
          let failure: Error | undefined;
          for (const record of w.records) {
            const r = results[i++];
            if (r && 'seq' in r) stored.push({ ...record, seq: r.seq, prevHash: r.prevHash, hash: r.hash });
            else
              failure ??= r
                ? deserializeError(r.error)
                : new Error('the audit writer thread gave no result for this record');
          }
          if (failure) w.reject(failure);
          else w.resolve();
        }
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
