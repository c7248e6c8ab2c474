/**
 * SCALE: a data folder whose archive index holds 100k studies / 1M instances, filled
 * directly through the archive's own index API (SqliteIndex.commit, the call the group
 * committer makes after the blobs are durable) — no blobs, no HTTP, no parsing. The
 * figures measured on it are the index's and QIDO's, NOT ingest's.
 *
 * The index code is loaded from the SAME build as the server under test (the dist/ beside
 * its entry script), so schema and stored text always match what that server expects.
 * The folder is cached under bench/.cache/SCALE-… and reused; its name carries a
 * fingerprint of the generator and of that build's archive code, so a change to either
 * builds a fresh one. Run directly to pre-load:
 *   node --import tsx bench/scale-index.ts [--studies N] [--cache DIR] [--seed N] [--bridge-entry dist/cli/main.js]
 * or, with --database postgres://…/db, to load an empty PostgreSQL database (not cached).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { IndexedWrite } from '../src/archive/archive-index.js';
import type { DicomJson } from '../src/dicom/types.js';
import { BRIDGE_ENTRY } from '../test/support/server.js';
import { DEFAULT_SEED, SCALE_SHAPE, scaleHeaders, type StudySetShape } from './datasets.js';
import { DEFAULT_CACHE_DIR, GENERATOR_VERSION } from './generate.js';
import { PIXEL_BULK_KEY } from './headers.js';
import { bulkLoadIndex, type RowBuilders } from './scale-pg-bulk.js';
import { EXPLICIT_VR_LITTLE_ENDIAN } from './vocabulary.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(BENCH_DIR, '..');

/** Generator files whose change makes a cached SCALE index stale (besides the build's archive code). */
const FINGERPRINT_FILES = [
  'bench/headers.ts',
  'bench/vocabulary.ts',
  'bench/datasets.ts',
  'src/demo/prng.ts',
  'bench/scale-index.ts',
];

export const SCALE_BLOB_KEY = 'scale/none';
export const DEFAULT_SCALE_BATCH = 5_000;
/** Instances per transaction of the PostgreSQL bulk load. */
export const DEFAULT_PG_BATCH = 10_000;

export interface ScaleInfo {
  /** The data folder (holds index.sqlite; pass it to the server as --data-dir). */
  dir: string;
  seed: number;
  shape: StudySetShape;
  fingerprint: string;
  studies: number;
  instances: number;
  /** Time the load took when the folder was built (it may be older than this run). */
  loadMs: number;
  batch: number;
  /** When the folder was built. */
  builtAt: string;
  /** index.sqlite size after the final checkpoint. */
  indexBytes: number;
  /** Whether this call built it (false: reused from the cache). */
  fresh: boolean;
  /** The dist/ folder whose SqliteIndex filled it. */
  distRoot: string;
}

export interface ScaleOptions {
  /** Entry script of the server under test; its dist/ provides SqliteIndex (default dist/cli/main.js). */
  bridgeEntry?: string;
  cacheDir?: string;
  seed?: number;
  shape?: StudySetShape;
  batch?: number;
  log?: (line: string) => void;
}

/** dist/ of a server entry script (…/dist/cli/main.js → …/dist). */
export function distRootOf(entry: string): string {
  return resolve(dirname(entry), '..');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
    )
    .sort();
}

/** Generator + the build's archive and DICOM code (what decides the rows written). */
export function scaleFingerprint(distRoot: string): string {
  const hash = createHash('sha256');
  hash.update(`generator ${GENERATOR_VERSION}\n`);
  for (const file of FINGERPRINT_FILES) {
    hash.update(`${file}\n`);
    hash.update(readFileSync(join(REPO_ROOT, file)));
  }
  for (const file of [...filesUnder(join(distRoot, 'archive')), join(distRoot, 'dicom', 'bulk-path.js')]) {
    hash.update(`${file.slice(distRoot.length)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 10);
}

interface IndexModule {
  SqliteIndex: typeof import('../src/archive/sqlite/sqlite-index.js').SqliteIndex;
}
interface BulkPathModule {
  bulkUri: typeof import('../src/dicom/bulk-path.js').bulkUri;
}

function dirPrefix(seed: number, shape: StudySetShape): string {
  return `SCALE-seed${seed}-${shape.studies}x${shape.instancesPerStudy}-p${shape.patients}-y${shape.years}-`;
}

/** The header JSON as ingest stores it: bulk data references carry the archive's marker. */
function storedJson(json: DicomJson, bulkUri: (path: string) => string): DicomJson {
  const pixel = json[PIXEL_BULK_KEY];
  if (!pixel) return json;
  return { ...json, [PIXEL_BULK_KEY]: { vr: pixel.vr, BulkDataURI: bulkUri(PIXEL_BULK_KEY) } };
}

/** The SCALE instances as the group committer hands them to the index ({ record, replaces: null }). */
export function* scaleWrites(
  seed: number,
  shape: StudySetShape,
  bulkUri: (path: string) => string,
): Generator<IndexedWrite> {
  for (const instance of scaleHeaders(seed, shape)) {
    const json = storedJson(instance.json, bulkUri);
    yield {
      record: {
        studyUid: instance.studyUid,
        seriesUid: instance.seriesUid,
        sopUid: instance.sopInstanceUid,
        sopClassUid: String(json['00080016']!.Value![0]),
        transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
        blobKey: SCALE_BLOB_KEY,
        size: 0,
        datasetOffset: 0,
        json,
        source: 'bench-scale',
      },
      replaces: null,
    };
  }
}

export interface PgScaleInfo {
  /** The database filled (postgres:// URL); start the server on it with --database. */
  database: string;
  seed: number;
  shape: StudySetShape;
  studies: number;
  instances: number;
  loadMs: number;
  batch: number;
  /** pg_database_size after the load. */
  databaseBytes: number;
  /** The dist/ folder whose PgIndex.open migrated it and whose row builders made its rows. */
  distRoot: string;
}

/**
 * SCALE into PostgreSQL: the schema migrated by PgIndex.open of the server's own build (schema
 * `archive`, as `serve --database` opens it), then the rows PgIndex.commit would write loaded in
 * bulk (scale-pg-bulk.ts, with that build's row builders; test/support/bench-scale-pg-bulk.test.ts
 * shows QIDO answering the same on both), `batch` instances per transaction, then VACUUM ANALYZE.
 * Not cached: the database is a fresh one of this run.
 */
export async function loadScaleIntoPostgres(database: string, opts: ScaleOptions = {}): Promise<PgScaleInfo> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const shape = opts.shape ?? SCALE_SHAPE;
  const batch = opts.batch ?? DEFAULT_PG_BATCH;
  const log = opts.log ?? (() => {});
  const distRoot = distRootOf(opts.bridgeEntry ?? BRIDGE_ENTRY);
  const total = shape.studies * shape.instancesPerStudy;
  const built = async <T>(path: string): Promise<T> =>
    (await import(pathToFileURL(join(distRoot, ...path.split('/'))).href)) as T;
  const { PgIndex } = await built<{ PgIndex: typeof import('../src/archive/postgres/pg-index.js').PgIndex }>(
    'archive/postgres/pg-index.js',
  );
  const { bulkUri } = await built<BulkPathModule>('dicom/bulk-path.js');
  const rows: RowBuilders = {
    ...(await built<typeof import('../src/archive/archive-index-rows.js')>('archive/archive-index-rows.js')),
    ...(await built<typeof import('../src/archive/rejection-note.js')>('archive/rejection-note.js')),
  };
  log(
    `  SCALE: loading ${shape.studies.toLocaleString('en')} studies / ${total.toLocaleString('en')} instances into PostgreSQL (bulk: the rows of PgIndex.commit of ${distRoot}, ${batch} per transaction) …`,
  );
  const index = await PgIndex.open(database, 'archive');
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let lastLog = started;
  try {
    const loaded = await bulkLoadIndex(index.pool, index.schema, scaleWrites(seed, shape, bulkUri), rows, {
      batch,
      progress: (instances) => {
        const now = performance.now();
        if (now - lastLog < 30_000 && instances !== total) return;
        lastLog = now;
        const s = (now - started) / 1000;
        const rate = instances / s;
        const rssMb = process.memoryUsage().rss / 2 ** 20;
        log(
          `  SCALE: ${instances.toLocaleString('en')}/${total.toLocaleString('en')} in ${s.toFixed(0)} s (${rate.toFixed(0)}/s, ETA ${((total - instances) / rate).toFixed(0)} s, loader RSS ${rssMb.toFixed(0)} MB)`,
        );
      },
    });
    const insertedMs = performance.now() - started;
    // Visibility map and statistics as a long-running server's autovacuum would leave them.
    await index.pool.query(
      `VACUUM (ANALYZE) ${['patients', 'studies', 'series', 'instances'].map((t) => `${index.schema}.${t}`).join(', ')}`,
    );
    const loadMs = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    // SCALE times QIDO on the index, not the bridge: nothing may wait on the outbox (the bulk
    // load queues nothing; PgIndex.commit queued every study, and the server would map them all).
    const cleared = await index.pool.query(`DELETE FROM ${index.schema}.sync_outbox`);
    const size = await index.pool.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n');
    log(
      `  SCALE: ${loaded.instances.toLocaleString('en')} instances / ${loaded.studies.toLocaleString('en')} studies into PostgreSQL in ${(loadMs / 1000).toFixed(0)} s (inserts ${(insertedMs / 1000).toFixed(0)} s, VACUUM ANALYZE ${((loadMs - insertedMs) / 1000).toFixed(0)} s; ${((loaded.instances / loadMs) * 1000).toFixed(0)}/s; loader CPU ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s), database ${(Number(size.rows[0]!.n) / 1e9).toFixed(2)} GB, outbox rows removed: ${cleared.rowCount}`,
    );
    return {
      database,
      seed,
      shape,
      studies: loaded.studies,
      instances: loaded.instances,
      loadMs,
      batch,
      databaseBytes: Number(size.rows[0]!.n),
      distRoot,
    };
  } finally {
    await index.close();
  }
}

/** Returns the cached SCALE data folder, loading it first if missing. */
export async function ensureScaleDir(opts: ScaleOptions = {}): Promise<ScaleInfo> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const shape = opts.shape ?? SCALE_SHAPE;
  const batch = opts.batch ?? DEFAULT_SCALE_BATCH;
  const cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  const log = opts.log ?? (() => {});
  const distRoot = distRootOf(opts.bridgeEntry ?? BRIDGE_ENTRY);
  const fingerprint = scaleFingerprint(distRoot);
  const prefix = dirPrefix(seed, shape);
  const dir = join(cacheDir, `${prefix}${fingerprint}`);
  const infoPath = join(dir, 'scale.json');
  if (existsSync(infoPath)) {
    return {
      ...(JSON.parse(readFileSync(infoPath, 'utf8')) as Omit<ScaleInfo, 'dir' | 'fresh'>),
      dir,
      fresh: false,
      distRoot,
    };
  }

  // Stale folders of the same shape (older code) are big: drop them.
  mkdirSync(cacheDir, { recursive: true });
  for (const name of readdirSync(cacheDir)) {
    if (name.startsWith(prefix) && name !== `${prefix}${fingerprint}`) {
      log(`  SCALE: removing stale ${name}`);
      rmSync(join(cacheDir, name), { recursive: true, force: true });
    }
  }

  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true, mode: 0o700 }); // a data dir: the server refuses one others can read
  const total = shape.studies * shape.instancesPerStudy;
  const { SqliteIndex } = (await import(
    pathToFileURL(join(distRoot, 'archive', 'sqlite', 'sqlite-index.js')).href
  )) as IndexModule;
  const { bulkUri } = (await import(pathToFileURL(join(distRoot, 'dicom', 'bulk-path.js')).href)) as BulkPathModule;
  log(
    `  SCALE: loading ${shape.studies.toLocaleString('en')} studies / ${total.toLocaleString('en')} instances into ${partial}/index.sqlite (SqliteIndex.commit of ${distRoot}, ${batch} per transaction) …`,
  );
  const index = new SqliteIndex(join(partial, 'index.sqlite'));
  const started = performance.now();
  let instances = 0;
  let studies = 0;
  let lastStudy = '';
  try {
    let writes: IndexedWrite[] = [];
    const flush = (): void => {
      if (writes.length === 0) return;
      const results = index.commitSync(writes);
      const bad = results.findIndex((r) => r.decision !== 'stored');
      if (bad >= 0)
        throw new Error(
          `SCALE: ${writes[bad]!.record.sopUid} was ${results[bad]!.decision}, expected stored (folder not empty?)`,
        );
      instances += writes.length;
      writes = [];
      if (instances % 50_000 === 0 || instances === total) {
        const s = (performance.now() - started) / 1000;
        const rate = instances / s;
        const rssMb = process.memoryUsage().rss / 2 ** 20;
        log(
          `  SCALE: ${instances.toLocaleString('en')}/${total.toLocaleString('en')} in ${s.toFixed(0)} s (${rate.toFixed(0)}/s, ETA ${((total - instances) / rate).toFixed(0)} s, loader RSS ${rssMb.toFixed(0)} MB)`,
        );
      }
    };
    for (const write of scaleWrites(seed, shape, bulkUri)) {
      if (write.record.studyUid !== lastStudy) {
        studies++;
        lastStudy = write.record.studyUid;
      }
      writes.push(write);
      if (writes.length >= batch) flush();
    }
    flush();
    index.db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    index.close();
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  index.close();
  const loadMs = performance.now() - started;
  const info: Omit<ScaleInfo, 'dir' | 'fresh' | 'distRoot'> = {
    seed,
    shape,
    fingerprint,
    studies,
    instances,
    loadMs,
    batch,
    builtAt: new Date().toISOString(),
    indexBytes: statSync(join(partial, 'index.sqlite')).size,
  };
  writeFileSync(join(partial, 'scale.json'), `${JSON.stringify(info, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  log(
    `  SCALE: ${instances.toLocaleString('en')} instances in ${(loadMs / 1000).toFixed(0)} s (${((instances / loadMs) * 1000).toFixed(0)}/s), index ${(info.indexBytes / 1e9).toFixed(2)} GB`,
  );
  return { ...info, dir, fresh: true, distRoot };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      studies: { type: 'string' },
      cache: { type: 'string' },
      seed: { type: 'string' },
      batch: { type: 'string' },
      'bridge-entry': { type: 'string' },
      /** Load into this (empty) PostgreSQL database instead of a cached SQLite folder. */
      database: { type: 'string' },
    },
  });
  const studies = values.studies === undefined ? SCALE_SHAPE.studies : Number(values.studies);
  const shape: StudySetShape = {
    ...SCALE_SHAPE,
    studies,
    patients: Math.min(SCALE_SHAPE.patients, Math.ceil(studies * 0.4)),
  };
  const common = {
    bridgeEntry: values['bridge-entry'] === undefined ? undefined : resolve(values['bridge-entry']),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    batch: values.batch === undefined ? undefined : Number(values.batch),
    shape,
    log: (line: string) => console.log(line),
  };
  if (values.database !== undefined) {
    const pgInfo = await loadScaleIntoPostgres(values.database, common);
    console.log(`loaded: ${pgInfo.instances} instances, ${(pgInfo.databaseBytes / 1e9).toFixed(2)} GB`);
    return;
  }
  const info = await ensureScaleDir({ ...common, cacheDir: values.cache });
  console.log(
    `${info.fresh ? 'built' : 'cached'}: ${info.dir} (${info.instances} instances, ${(info.indexBytes / 1e9).toFixed(2)} GB)`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
}
