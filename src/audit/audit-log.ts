import { randomUUID } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { deserializeError } from './chain-protocol.js';
import type { NewRecord } from './chain-store.js';
import type { ChainWriter } from './chain-writer.js';
import type { AuditEvent, AuditSink, ChainRecord } from './types.js';

interface Waiting {
  record: NewRecord;
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

  constructor(private readonly writer: ChainWriter) {}

  record(event: AuditEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('audit log is closed'));
    if (event.resourceType !== 'AuditEvent')
      return Promise.reject(new TypeError(`the audit log takes AuditEvents, not ${String(event.resourceType)}`));
    let record: NewRecord;
    try {
      const id = event.id ?? randomUUID();
      const { meta: _meta, ...content } = event; // versionId/lastUpdated belong to a repository, not to the record
      record = { id, recorded: event.recorded, json: canonicalJson({ ...content, id }) };
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
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
    const done = this.writer.append(batch.map((w) => w.record)).then(
      (results) => {
        const stored: ChainRecord[] = [];
        batch.forEach((w, i) => {
          const r = results[i];
          if (r && 'seq' in r) {
            stored.push({ ...w.record, seq: r.seq, prevHash: r.prevHash, hash: r.hash });
            w.resolve();
          } else
            w.reject(
              r ? deserializeError(r.error) : new Error('the audit writer thread gave no result for this record'),
            );
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
