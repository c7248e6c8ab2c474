import type pg from 'pg';
import { badRequest, conflict } from '../../core/errors.js';
import { inTransaction } from '../../core/postgres/held-client.js';
import { checkSchemaName, migrate } from '../../core/postgres/migrations.js';
import { openPool } from '../../core/postgres/pool.js';
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
import { type AnyResource, type FhirResource, openResource, type ResourceOf } from '../types.js';
import { PgIndexWriter } from './index-writer.js';
import { runSearch, runSearches } from './pg-search.js';
import { PgResourceStore, type Queryable } from './resource-store.js';
import { fhirMigrations } from './schema.js';
import type { SearchContext } from './search-sql.js';

export interface PgRepositoryOptions {
  registry: SearchParamRegistry;
  /** Our FHIR base URL: absolute references under it are indexed as local ones. */
  baseUrl: string;
  /** The PostgreSQL schema holding the tables (default `fhir`). */
  schema?: string;
  now?: () => number;
}

/**
 * The FHIR repository in PostgreSQL. Every write is its own transaction on a pooled connection
 * (or runs in the caller's, inside transaction()); reads use any connection. Several processes
 * may share the database: writers of one resource take turns on its row lock.
 *
 * Durability: a write resolves after its COMMIT, which waits for the WAL flush (the server's
 * synchronous_commit, on by default; PostgreSQL groups concurrent flushes itself).
 * `durable: false` transactions commit with synchronous_commit off; flush() then makes a
 * synchronous commit, which flushes the WAL up to it and so every commit before it.
 */
export class PgFhirRepository implements FhirRepository {
  private savepoints = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly store: PgResourceStore,
    private readonly index: PgIndexWriter,
    private readonly schema: string,
    private readonly now: () => number,
  ) {}

  /** Connects, applies the schema's migrations (refusing a newer schema) and loads the parameter ids. */
  static async open(connection: string | pg.Pool, options: PgRepositoryOptions): Promise<PgFhirRepository> {
    const schema = checkSchemaName(options.schema ?? 'fhir');
    const pool = typeof connection === 'string' ? openPool(connection) : connection;
    try {
      await migrate(pool, schema, fhirMigrations(schema));
      const index = await PgIndexWriter.open(pool, schema, options.registry, options.baseUrl);
      const now = options.now ?? Date.now;
      return new PgFhirRepository(
        pool,
        typeof connection === 'string',
        new PgResourceStore(schema, index, now),
        index,
        schema,
        now,
      );
    } catch (e) {
      if (typeof connection === 'string') await pool.end();
      throw e;
    }
  }

  create<T extends AnyResource>(resource: T, options: { keepId?: boolean } = {}): Promise<T & FhirResource> {
    return this.tx((db) => this.store.create(db, openResource(resource), options.keepId) as Promise<T & FhirResource>);
  }

  /** One statement for all (resource-store.ts), in a transaction of its own. */
  createMany(resources: readonly FhirResource[]): Promise<(FhirResource | undefined)[]> {
    return this.tx((db) => this.store.createMany(db, resources.map(openResource)));
  }

  read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>> {
    return guarded(this.store.read(this.pool, resourceType, id) as Promise<ResourceOf<K>>);
  }

  vread<K extends string>(resourceType: K, id: string, versionId: string): Promise<ResourceOf<K>> {
    return guarded(this.store.vread(this.pool, resourceType, id, versionId) as Promise<ResourceOf<K>>);
  }

  update<T extends AnyResource>(
    resource: T,
    options?: WriteOptions,
  ): Promise<{ resource: T & FhirResource; created: boolean }> {
    return this.tx((db) => updated<T>(this.store.update(db, openResource(resource), options)));
  }

  delete(resourceType: string, id: string, options?: WriteOptions): Promise<void> {
    return this.tx((db) => this.store.delete(db, resourceType, id, options));
  }

  history(scope: HistoryScope, options: HistoryOptions): Promise<HistoryPage> {
    return guarded(this.store.history(this.pool, scope, options));
  }

  search(request: SearchRequest): Promise<SearchResult> {
    return guarded(runSearch(this.pool, request, this.context()));
  }

  /** One statement for all (pg-search.ts runSearches). */
  searchMany(requests: readonly SearchRequest[]): Promise<FhirResource[][]> {
    return guarded(runSearches(this.pool, requests, this.context()));
  }

  transaction<T>(fn: (tx: FhirRepository) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.tx((db) => fn(this.inTransaction(db)), options.durable ?? true);
  }

  async flush(): Promise<void> {
    // A transaction with an id writes a commit record; its synchronous commit flushes the WAL up to it.
    await this.tx(async (db) => void (await db.query('SELECT pg_current_xact_id()')));
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  /** Drops the schema and everything in it (tests, and `--database` reset tooling). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  private context(): SearchContext {
    return { s: `${this.schema}.`, ids: (type, code) => this.index.paramId(type, code), now: this.now() };
  }

  private async tx<T>(fn: (db: pg.PoolClient) => Promise<T>, durable = true): Promise<T> {
    try {
      return await inTransaction(this.pool, fn, durable ? 'BEGIN' : 'BEGIN; SET LOCAL synchronous_commit TO off');
    } catch (e) {
      throw translated(e);
    }
  }

  /** The view handed to a transaction: every operation on its connection; nested transactions are savepoints. */
  private inTransaction(db: pg.PoolClient): FhirRepository {
    const store = this.store;
    const view: FhirRepository = {
      create: <T extends AnyResource>(r: T, o?: { keepId?: boolean }) =>
        store.create(db, openResource(r), o?.keepId) as Promise<T & FhirResource>,
      createMany: (rs) => store.createMany(db, rs.map(openResource)),
      read: <K extends string>(t: K, id: string) => store.read(db, t, id) as Promise<ResourceOf<K>>,
      vread: <K extends string>(t: K, id: string, v: string) => store.vread(db, t, id, v) as Promise<ResourceOf<K>>,
      update: <T extends AnyResource>(r: T, o?: WriteOptions) => updated<T>(store.update(db, openResource(r), o)),
      delete: (t, id, o) => store.delete(db, t, id, o),
      history: (s, o) => store.history(db, s, o),
      search: (req) => runSearch(db, req, this.context()),
      searchMany: (reqs) => runSearches(db, reqs, this.context()),
      transaction: (fn) => this.savepoint(db, () => fn(view)),
      // Durability is the enclosing transaction's.
      flush: async () => undefined,
      // Transaction-scoped advisory locks, taken in the order given: released by COMMIT or ROLLBACK.
      exclusive: async (key) => {
        const keys = (typeof key === 'string' ? [key] : key).map((k) => `fhir-exclusive:${k}`);
        if (keys.length === 1) await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', keys);
        else if (keys.length > 1)
          await db.query(
            `SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
             FROM (SELECT k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n) ordered`,
            [keys],
          );
      },
    };
    return view;
  }

  private async savepoint<T>(db: Queryable, fn: () => Promise<T>): Promise<T> {
    const name = `nested_${++this.savepoints}`;
    await db.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      await db.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (e) {
      await db.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await db.query(`RELEASE SAVEPOINT ${name}`);
      throw e;
    }
  }
}

/** The store writes what it is given: the stored version is of the caller's type. */
const updated = <T extends AnyResource>(r: Promise<{ resource: FhirResource; created: boolean }>) =>
  r as Promise<{ resource: T & FhirResource; created: boolean }>;

const guarded = <T>(p: Promise<T>): Promise<T> => p.catch((e) => Promise.reject(translated(e)));

/** PostgreSQL errors a request can cause, as the FHIR errors they stand for; others stay as they are (5xx). */
function translated(e: unknown): unknown {
  const code = (e as { code?: unknown })?.code;
  switch (code) {
    case '23505':
      return conflict('the resource was written concurrently by another request; retry');
    case '40001':
    case '40P01':
      return conflict('the write conflicted with a concurrent one; retry');
    case '22021':
    case '22P05':
      return badRequest('the resource contains a character that cannot be stored (NUL)', undefined);
    default:
      return e;
  }
}
