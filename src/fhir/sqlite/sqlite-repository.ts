import type Database from 'better-sqlite3';
import { openSqlite, type SqliteKeys } from '../../core/sqlite-open.js';
import { boundPageCache, PAGE_CACHE_KIB } from '../../core/sqlite-cache.js';
import { CoalescedSync } from '../../core/coalesced-sync.js';
import { fdatasyncWal } from '../../core/sqlite-wal-sync.js';
import type { SearchParamRegistry } from '../definitions/search-params.js';
import type {
  FhirRepository,
  HistoryOptions,
  HistoryPage,
  HistoryScope,
  SearchResult,
  TransactionOptions,
  WriteOptions,
} from '../repository/repository.js';
import type { SearchRequest } from '../search/search-request.js';
import { openResource, type AnyResource, type FhirResource, type ResourceOf } from '../types.js';
import { IndexWriter } from './index-writer.js';
import { SqliteResourceStore } from './resource-store.js';
import { FHIR_SCHEMA, FHIR_SCHEMA_VERSION } from './schema.js';
import { runSearch } from './sqlite-search.js';
import { WriteLock } from './write-lock.js';
import type { WriteWaiters } from './write-waiters.js';
import { privateSqlite } from '../../core/private-files.js';

export interface SqliteRepositoryOptions {
  registry: SearchParamRegistry;
  /** Our FHIR base URL: absolute references under it are indexed as local ones. */
  baseUrl: string;
  now?: () => number;
  /** The database is encrypted at rest with one of these keys (core/sqlite-open.ts). */
  keys?: SqliteKeys;
  /**
   * A second, read-only connection to a store another connection owns (a WAL reader on a worker
   * thread): the file must exist; no schema, no pragma that writes, no optimize at close.
   */
  readOnly?: boolean;
  /**
   * How long a write waits for the write lock another connection holds before it is refused with
   * 503 (default 10,000 ms). The wait is on timers, never asleep on this thread (write-lock.ts).
   */
  writeLockWaitMs?: number;
  /**
   * Counts this connection's writes while they wait for the write lock, for secondary writers on
   * other threads (the audit projection) to let them go first (write-waiters.ts).
   */
  writeWaiters?: WriteWaiters;
  /** The page cache's bound in KiB (default PAGE_CACHE_KIB.fhirStore; core/sqlite-cache.ts). */
  cacheKib?: number;
}

/**
 * The FHIR repository in one SQLite file. better-sqlite3 is synchronous, so operations are
 * queued one after another: a transaction holds the queue until it commits, and nothing else
 * interleaves with it.
 *
 * Durability: a write is on disk when its promise resolves, but its fsync does not run on the
 * event loop. Commits are made with synchronous=NORMAL (in WAL mode: frames appended to
 * `<file>-wal`, no sync), and the write then waits for an fdatasync of the WAL file on libuv's
 * thread pool that started after its commit — shared by every write that committed meanwhile
 * (group commit). A sync covers every frame before it, so an acknowledged write never depends
 * on a commit that could still be lost. What other readers may see meanwhile is a commit whose
 * sync is still running (a window of about a millisecond: a power cut in it loses a write that
 * nobody was told had succeeded). `durable: false` transactions skip the wait.
 */
export class SqliteFhirRepository implements FhirRepository {
  readonly db: Database.Database;
  private readonly store: SqliteResourceStore;
  private readonly index: IndexWriter;
  private readonly now: () => number;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly walSync = new CoalescedSync(() => this.syncWal());

  private readonly readOnly: boolean;
  private readonly lock: WriteLock | undefined;

  constructor(path: string, options: SqliteRepositoryOptions) {
    this.readOnly = options.readOnly ?? false;
    this.now = options.now ?? Date.now;
    if (this.readOnly) {
      this.db = openSqlite(path, options.keys, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 10000');
      boundPageCache(this.db, options.cacheKib ?? PAGE_CACHE_KIB.fhirStore);
      this.index = new IndexWriter(this.db, options.registry, options.baseUrl);
      this.store = new SqliteResourceStore(this.db, this.index, this.now);
      this.lock = undefined;
      return;
    }
    this.db = openSqlite(path, options.keys);
    this.db.pragma('journal_mode = WAL');
    privateSqlite(path);
    // Commits do not sync on this thread: see durable() and syncWal().
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    boundPageCache(this.db, options.cacheKib ?? PAGE_CACHE_KIB.fhirStore);
    this.db.exec(FHIR_SCHEMA);
    // Keeps the planner's statistics current (cheap: only analyses tables that changed a lot).
    this.db.pragma('optimize=0x10002');
    this.db
      .prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)')
      .run('schema_version', String(FHIR_SCHEMA_VERSION));
    this.index = new IndexWriter(this.db, options.registry, options.baseUrl);
    this.store = new SqliteResourceStore(this.db, this.index, this.now);
    this.lock = new WriteLock(this.db, options.writeLockWaitMs ?? 10_000, options.writeWaiters);
  }

  create<T extends AnyResource>(resource: T, options: { keepId?: boolean } = {}): Promise<T & FhirResource> {
    return this.durable(
      this.serial(() =>
        this.write(() => this.store.create(openResource(resource), options.keepId) as T & FhirResource),
      ),
    );
  }

  createMany(resources: readonly FhirResource[]): Promise<(FhirResource | undefined)[]> {
    return this.durable(this.serial(() => this.write(() => this.store.createMany(resources.map(openResource)))));
  }

  read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>> {
    return this.serial(() => this.store.read(resourceType, id) as ResourceOf<K>);
  }

  vread<K extends string>(resourceType: K, id: string, versionId: string): Promise<ResourceOf<K>> {
    return this.serial(() => this.store.vread(resourceType, id, versionId) as ResourceOf<K>);
  }

  update<T extends AnyResource>(
    resource: T,
    options?: WriteOptions,
  ): Promise<{ resource: T & FhirResource; created: boolean }> {
    return this.durable(
      this.serial(() => this.write(() => updated<T>(this.store.update(openResource(resource), options)))),
    );
  }

  delete(resourceType: string, id: string, options?: WriteOptions): Promise<void> {
    return this.durable(this.serial(() => this.write(() => this.store.delete(resourceType, id, options))));
  }

  history(scope: HistoryScope, options: HistoryOptions): Promise<HistoryPage> {
    return this.serial(() => this.store.history(scope, options));
  }

  search(request: SearchRequest): Promise<SearchResult> {
    return this.serial(() => this.searchNow(request));
  }

  transaction<T>(fn: (tx: FhirRepository) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const run = this.serial(async () => {
      await this.begin();
      try {
        const result = await fn(this.inTransaction());
        this.db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
    return (options.durable ?? true) ? this.durable(run) : run;
  }

  /** Every commit made so far is durable when this resolves. */
  async flush(): Promise<void> {
    await this.serial(() => undefined);
    await this.walSync.sync();
  }

  /** Resolves with the write's result once a WAL sync that began after its commit is done. */
  private async durable<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    await this.walSync.sync();
    return result;
  }

  /** fdatasync of the WAL file (see fdatasyncWal); a method so that tests can watch it. */
  protected syncWal(): Promise<void> {
    return fdatasyncWal(this.db.name);
  }

  close(): void {
    if (!this.readOnly) this.db.pragma('optimize');
    this.db.close();
  }

  private searchNow(request: SearchRequest): SearchResult {
    return runSearch(this.db, request, (type, code) => this.index.paramId(type, code), this.now());
  }

  /** fn in a write transaction, once the write lock is taken (see WriteLock). */
  private async write<T>(fn: () => T): Promise<T> {
    await this.begin();
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }

  /** BEGIN IMMEDIATE; a read-only connection tries it directly (and fails: read only). */
  private begin(): Promise<void> | undefined {
    if (this.lock) return this.lock.begin();
    this.db.exec('BEGIN IMMEDIATE');
    return undefined;
  }

  /** Runs after everything queued before it; a failure does not stop the queue. */
  private serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(this.readOnly ? () => this.inSnapshot(fn) : fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Read only: the reads of one event-loop turn share one read transaction (one snapshot). Each
   * statement outside a transaction is a read transaction of its own, and each one that begins
   * after another connection committed (the server writes, the audit projection copies events)
   * drops this connection's whole page cache: one per turn instead of one per statement. A read
   * still sees every commit made before its turn began.
   */
  private inSnapshot<T>(fn: () => T | Promise<T>): T | Promise<T> {
    if (!this.db.inTransaction) {
      this.db.exec('BEGIN');
      setImmediate(() => {
        if (this.db.open && this.db.inTransaction) this.db.exec('COMMIT');
      });
    }
    return fn();
  }

  /** The view handed to a transaction: runs directly (the transaction holds the queue). */
  private inTransaction(): FhirRepository {
    const store = this.store;
    const view: FhirRepository = {
      create: async <T extends AnyResource>(r: T, o?: { keepId?: boolean }) =>
        store.create(openResource(r), o?.keepId) as T & FhirResource,
      createMany: async (rs) => store.createMany(rs.map(openResource)),
      read: async <K extends string>(t: K, id: string) => store.read(t, id) as ResourceOf<K>,
      vread: async <K extends string>(t: K, id: string, v: string) => store.vread(t, id, v) as ResourceOf<K>,
      update: async <T extends AnyResource>(r: T, o?: WriteOptions) => updated<T>(store.update(openResource(r), o)),
      delete: async (t, id, o) => store.delete(t, id, o),
      history: async (s, o) => store.history(s, o),
      search: async (req) => this.searchNow(req),
      transaction: async (fn) => savepoint(this.db, () => fn(view)),
      // Durability is the enclosing transaction's.
      flush: async () => undefined,
    };
    return view;
  }
}

/** The store writes what it is given: the stored version is of the caller's type. */
const updated = <T extends AnyResource>(r: { resource: FhirResource; created: boolean }) =>
  r as { resource: T & FhirResource; created: boolean };

async function savepoint<T>(db: Database.Database, fn: () => Promise<T>): Promise<T> {
  db.exec('SAVEPOINT nested');
  try {
    const result = await fn();
    db.exec('RELEASE nested');
    return result;
  } catch (e) {
    db.exec('ROLLBACK TO nested');
    db.exec('RELEASE nested');
    throw e;
  }
}
