import type { Logger } from 'pino';
import type { FhirRepository } from '../fhir/repository/repository.js';
import type { FhirResource } from '../fhir/types.js';
import type { ChainRecord } from './types.js';

/**
 * AuditEvents per createMany statement. Their index rows are computed before the statement is
 * sent, without a turn of the event loop: 10 bound that to a few ms (40 at once held the loop
 * ≈ 4× longer and raised the p95 of the FHIR searches running beside the projection, P9).
 */
const CREATE_MANY_RUN = 10;

/** The watermark's name in the audit database. */
export const FHIR_PROJECTION_TARGET = 'fhir';
const TARGET = FHIR_PROJECTION_TARGET;

/**
 * The chain as the projection needs it: read on the main thread, the watermark written by the
 * writer thread (SQLite, synchronous) or by the store itself (PostgreSQL, asynchronous).
 */
export interface ProjectionStore {
  iterate(after?: number): Iterable<ChainRecord> | AsyncIterable<ChainRecord>;
  projectedUpTo(target: string): number | Promise<number>;
  /** Fire and forget: a lost watermark only makes the next catch-up longer. */
  setProjectedUpTo(target: string, upto: number): void;
}

export interface ProjectionOptions {
  /** Records wait at most this long before they are written. */
  intervalMs: number;
  /** …or until this many wait. */
  maxBatch: number;
  /** After a failed write, catch up again after this delay. */
  retryMs: number;
  /**
   * Records per repository transaction (default 40). A batch is written slice by slice, and the
   * event loop gets a turn between slices: the repository runs one operation at a time, so one
   * long transaction would hold up every search (e.g. the patient context's) queued behind it.
   * Each commit writes every index page its records touched to the WAL, and neighbouring records
   * touch the same pages: 40 per commit cost about a fifth less per record than 10, and a slice
   * still holds the event loop for only a few milliseconds — for small records. The cost of a
   * record grows with its entities (a list read's record names up to 100 patients, each indexed:
   * ≈ 2.1–2.7 ms of CPU), so a slice also ends once its records' entities reach `sliceEntities`.
   */
  sliceSize?: number;
  /**
   * Entities (patients, query…) per repository transaction (default 500: five 100-patient list
   * reads, ≈ 5–13 ms of CPU); a slice holds at least one record whatever its size. Bounds how
   * long a slice holds fhir.sqlite's write lock, which the server's own writes wait for. Smaller
   * costs more per record (more commits): per 100-patient record, 200 cost ≈ 40 % more CPU than
   * slices of 40 records, 500 ≈ 10 %, 1000 nothing measurable (docs/audit-offload.md).
   */
  sliceEntities?: number;
}

/** Writes of another connection waiting for the repository's write lock (fhir/sqlite/write-waiters.ts). */
export interface WaitingWriters {
  /** Resolves once none waits, or after maxMs. */
  none(maxMs: number): Promise<unknown>;
}

/**
 * How long a slice waits at most for the server's waiting writes: each of them needs the lock for
 * milliseconds, so this is only reached under a steady stream of writes, and the copy must not
 * starve either.
 */
const WRITERS_FIRST_MAX_MS = 1_000;

/** Lets the event loop run what is waiting (I/O, timers) before the next slice. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Copies committed chain records into the FHIR repository as AuditEvents (same id), so that
 * administrators can search them at /fhir/AuditEvent. Off the request path: batched, written in
 * short repository transactions (a slice of the batch each) with the event loop free in between,
 * idempotent (an id already there is skipped). The chain stays the source of truth, so the slices
 * commit without a sync of their own; one repository flush per batch makes them durable, and only
 * then does the watermark of what was copied (in the audit database) move. catchUp() copies every
 * record after it (on start-up: a crash or power cut between the two writes).
 */
export class FhirProjection {
  private pending: ChainRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  /** A write failed: the watermark stays until a catch-up has gone over the gap. */
  private stalled = false;

  constructor(
    private readonly store: ProjectionStore,
    private readonly repository: FhirRepository,
    private readonly logger: Pick<Logger, 'error'>,
    private readonly options: ProjectionOptions = { intervalMs: 200, maxBatch: 500, retryMs: 30_000 },
    /** The server's writes that wait for the lock: each slice lets them go first. */
    private readonly writers?: WaitingWriters,
  ) {}

  /** Queues committed records. */
  add(records: ChainRecord[]): void {
    this.pending.push(...records);
    if (this.pending.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.intervalMs);
  }

  /** Resolves once everything queued so far is written (or failed and logged). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.running = this.running.then(() => this.write(batch));
    await this.running;
  }

  /** Copies the chain records after the watermark that the repository lacks; resolves to how many. */
  catchUp(): Promise<number> {
    const run = this.running.then(async () => {
      this.stalled = false;
      let copied = 0;
      let batch: ChainRecord[] = [];
      for await (const r of this.store.iterate(await this.store.projectedUpTo(TARGET))) {
        batch.push(r);
        if (batch.length >= this.options.maxBatch) {
          copied += await this.write(batch);
          batch = [];
        }
      }
      if (batch.length) copied += await this.write(batch);
      return copied;
    });
    this.running = run;
    return run;
  }

  close(): Promise<void> {
    clearTimeout(this.retry);
    return this.flush();
  }

  /** Returns how many events were created: slice by slice, in chain order, yielding in between. */
  private async write(records: ChainRecord[]): Promise<number> {
    const size = Math.max(1, this.options.sliceSize ?? 40);
    const entities = Math.max(1, this.options.sliceEntities ?? 500);
    let created = 0;
    for (let i = 0; i < records.length; ) {
      if (i > 0) await yieldToEventLoop();
      const slice: ChainRecord[] = [];
      const events: FhirResource[] = [];
      for (let weight = 0; i < records.length && slice.length < size && weight < entities; i++) {
        const event = this.eventOf(records[i]!);
        slice.push(records[i]!);
        if (!event) continue;
        events.push(event);
        weight += Math.max(1, (event as { entity?: unknown[] }).entity?.length ?? 0);
      }
      // The server's writes waiting for the lock go first: without this, the next BEGIN here
      // comes microseconds after the last COMMIT, and their retries (on timers) keep missing it.
      if (this.writers) await this.writers.none(WRITERS_FIRST_MAX_MS);
      const n = await this.writeSlice(slice, events);
      // A failed slice has scheduled the catch-up from the watermark; later slices would only fail alike.
      if (n === undefined) return created;
      created += n;
    }
    // The slices committed without a sync of their own (a copy the chain can rebuild): one
    // flush makes them durable before the watermark moves past them.
    try {
      await this.repository.flush();
    } catch (e) {
      this.fail(e, records);
      return created;
    }
    if (!this.stalled && records.length) this.store.setProjectedUpTo(TARGET, records[records.length - 1]!.seq);
    return created;
  }

  /** The record's AuditEvent; undefined (logged) when it is not one. */
  private eventOf(r: ChainRecord): FhirResource | undefined {
    const event = JSON.parse(r.json) as FhirResource;
    const problem = notAnAuditEvent(event);
    if (problem === undefined) return event;
    // Stays in the chain (verify and export see it); only its search copy is missing.
    this.logger.error(
      { seq: r.seq, id: r.id, problem },
      'audit record is not a valid AuditEvent: not searchable in FHIR',
    );
    return undefined;
  }

  /** One repository transaction; undefined when it failed (logged, catch-up scheduled). */
  private async writeSlice(records: ChainRecord[], events: FhirResource[]): Promise<number | undefined> {
    try {
      return await this.repository.transaction(
        async (tx) => {
          // Several at once where the store takes several (PostgreSQL: one statement per
          // CREATE_MANY_RUN events, not one round trip per event); an id already there is skipped either way.
          if (tx.createMany) {
            let n = 0;
            for (let at = 0; at < events.length; at += CREATE_MANY_RUN)
              for (const made of await tx.createMany(events.slice(at, at + CREATE_MANY_RUN))) if (made) n += 1;
            return n;
          }
          let n = 0;
          for (const e of events) if (await createUnlessCopied(tx, e)) n += 1;
          return n;
        },
        { durable: false },
      );
    } catch (e) {
      this.fail(e, records);
      return undefined;
    }
  }

  /** Logs the failure, keeps the watermark where it is and schedules a catch-up from it. */
  private fail(e: unknown, records: ChainRecord[]): void {
    this.stalled = true;
    this.logger.error(
      { err: e, from: records[0]?.seq, to: records[records.length - 1]?.seq },
      'audit records not copied into the FHIR repository; retrying later',
    );
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.catchUp().catch(() => undefined), this.options.retryMs);
    this.retry.unref();
  }
}

/**
 * Creates the copy under the record's id; false when it is there already (a catch-up after an
 * unclean stop re-copies from the watermark). A create that keeps a taken id is refused with 409
 * before it writes anything, so the transaction goes on: no read per record first.
 */
async function createUnlessCopied(tx: FhirRepository, event: FhirResource): Promise<boolean> {
  try {
    await tx.create(event, { keepId: true });
    return true;
  } catch (e) {
    if ((e as { status?: number }).status === 409) return false;
    throw e;
  }
}

/**
 * A structural check of a chain record before it is copied, instead of full R4 validation.
 * Every record comes from buildAuditEvents (AuditEvent writes through /fhir are refused), and
 * every kind it builds is validated against R4 by its golden tests (src/audit/balp/balp.test.ts);
 * validating each copy again cost ~0.3 ms of main-thread time per record — about 15 % of the
 * patient-context API's CPU under load (P8), where every request adds a record.
 */
export function notAnAuditEvent(e: FhirResource): string | undefined {
  const r = e as FhirResource & {
    type?: { code?: unknown };
    recorded?: unknown;
    agent?: unknown;
    source?: { observer?: unknown };
  };
  if (r.resourceType !== 'AuditEvent') return `resourceType is ${String(r.resourceType)}`;
  if (typeof r.id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(r.id)) return 'no valid id';
  if (typeof r.type?.code !== 'string') return 'no type.code';
  if (typeof r.recorded !== 'string' || Number.isNaN(Date.parse(r.recorded))) return 'no valid recorded instant';
  if (!Array.isArray(r.agent) || r.agent.length === 0) return 'no agent';
  if (!r.source || typeof r.source.observer !== 'object') return 'no source.observer';
  return undefined;
}
