import type pg from 'pg';
import { archiveMigrations } from '../archive/postgres/schema.js';
import { auditMigrations } from '../audit/chain-store-pg.js';
import { type Migration, migrate } from '../core/postgres/migrations.js';
import { studyLinkMigrations } from '../bridge/patients/study-links-pg.js';
import { fhirMigrations } from '../fhir/postgres/schema.js';
import { securityMigrations } from '../security/oauth/pg-security-store.js';
import { sourceStateMigrations } from '../sources/pg-state-store.js';
import { MigrateError } from './errors.js';

/** The bookkeeping of a migration in the target: which source, how far each step got, where each object went. */
function migrateMigrations(s: string): Migration[] {
  return [
    {
      version: 1,
      description: 'migration run, per-step progress, blob key map',
      sql: `
CREATE TABLE ${s}.run (one boolean PRIMARY KEY DEFAULT true CHECK (one), source text NOT NULL, started_at bigint NOT NULL, finished_at bigint);
CREATE TABLE ${s}.progress (step text PRIMARY KEY, upto bigint NOT NULL DEFAULT 0, last_key text COLLATE "C", done boolean NOT NULL DEFAULT false);
CREATE TABLE ${s}.blob_map (source_key text COLLATE "C" PRIMARY KEY, target_key text COLLATE "C" NOT NULL, sha256 text NOT NULL, size bigint NOT NULL);
CREATE INDEX blob_map_target ON ${s}.blob_map (target_key);`,
    },
  ];
}

/** Tables whose rows mean the target already holds data (of a server, or of an earlier migration). */
const DATA_TABLES = [
  'fhir.resources',
  'audit.record',
  'archive.studies',
  'archive.instances',
  'security.users',
  'security.oauth_clients',
  'sources.source_state',
  'study_links.study_patient_links',
  'migrate.run',
];

/**
 * Prepares the target: refuses one that holds data unless `resume` and the data is an earlier
 * migration of the same source, then applies every store's migrations (the same schemas
 * `serve --database` uses) and records the run.
 */
export async function prepareTarget(pool: pg.Pool, source: string, resume: boolean): Promise<void> {
  const holding: string[] = [];
  for (const table of DATA_TABLES) {
    const { rows } = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    if (rows[0]!.t === null) continue;
    const n = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    if (n > 0) holding.push(table);
  }
  const run = holding.includes('migrate.run')
    ? (await pool.query<{ source: string }>('SELECT source FROM migrate.run')).rows[0]
    : undefined;
  if (holding.length > 0 && !resume)
    throw new MigrateError(
      run
        ? `the target holds an unfinished or earlier migration of ${run.source}: add --resume to continue it`
        : `the target database already holds data (${holding.join(', ')}): migrate into an empty database`,
    );
  if (resume && holding.length > 0 && !run)
    throw new MigrateError(
      `--resume: the target holds data (${holding.join(', ')}) that no migration wrote: migrate into an empty database`,
    );
  if (run && run.source !== source)
    throw new MigrateError(`--resume: the target holds a migration of ${run.source}, not of ${source}`);
  for (const [schema, migrations] of [
    ['migrate', migrateMigrations('migrate')],
    ['fhir', fhirMigrations('fhir')],
    ['audit', auditMigrations('audit')],
    ['archive', archiveMigrations('archive')],
    ['security', securityMigrations('security')],
    ['sources', sourceStateMigrations('sources')],
    ['study_links', studyLinkMigrations('study_links')],
  ] as const)
    await migrate(pool, schema, migrations);
  await pool.query('INSERT INTO migrate.run (source, started_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    source,
    Date.now(),
  ]);
}

export async function finishRun(pool: pg.Pool): Promise<void> {
  await pool.query('UPDATE migrate.run SET finished_at = $1', [Date.now()]);
}

/** How far a step got (`upto`: a row key; `lastKey`: a text key), read and moved inside the step's transactions. */
export interface StepProgress {
  upto: number;
  lastKey: string | null;
  done: boolean;
}

export async function progressOf(db: pg.Pool | pg.PoolClient, step: string): Promise<StepProgress> {
  const { rows } = await db.query<{ upto: number; last_key: string | null; done: boolean }>(
    'SELECT upto, last_key, done FROM migrate.progress WHERE step = $1',
    [step],
  );
  return rows[0]
    ? { upto: rows[0].upto, lastKey: rows[0].last_key, done: rows[0].done }
    : { upto: 0, lastKey: null, done: false };
}

export async function setProgress(
  db: pg.Pool | pg.PoolClient,
  step: string,
  p: { upto?: number; lastKey?: string | null; done?: boolean },
): Promise<void> {
  await db.query(
    `INSERT INTO migrate.progress (step, upto, last_key, done) VALUES ($1, $2, $3, $4)
     ON CONFLICT (step) DO UPDATE SET upto = excluded.upto, last_key = excluded.last_key, done = excluded.done`,
    [step, p.upto ?? 0, p.lastKey ?? null, p.done ?? false],
  );
}
