import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { ArchiveBlobStore } from '../archive/archive-blob-store.js';
import { type BlobPlace, openBlobStore } from '../archive/blob/open-blob-store.js';
import { readAuditKey } from '../audit/key-file.js';
import { copyBlobs, rewriteBlobKeys, verifyBlobs } from './copy-blobs.js';
import { claimAuditKey, compareAudit, copyAudit, copyProjection } from './copy-audit.js';
import { copyFhir, fhirTables } from './copy-fhir.js';
import { compareTable, copyTable, type TableSpec } from './copy-table.js';
import { MigrateError } from './errors.js';
import { type SourceFiles, openSource } from './source.js';
import { finishRun, prepareTarget } from './target.js';
import { type MigrationReport, leftBehind } from './report.js';

export interface MigrateOptions {
  from: string;
  pool: pg.Pool;
  /** Where the instance bytes go; undefined: they stay in the source's packs and files (keys unchanged). */
  blobs: BlobPlace | undefined;
  /** The FHIR base URL of the server that will serve the copy (`--public-url` + `/fhir`). */
  fhirBaseUrl: string;
  /** The audit key file, when it can be read: the chain's key id is recorded and checked. */
  auditKeyFile: string | undefined;
  resume: boolean;
  /** Rows per transaction. */
  batch: number;
  log: (line: string) => void;
}

/** The index-database tables with a PostgreSQL home, in an order that keeps references valid. */
const ARCHIVE_TABLES = [
  'meta',
  'patients',
  'studies',
  'series',
  'instances',
  'ingest_notes',
  'instance_versions',
  'deletions',
  'sync_outbox',
  'rejections',
  'rejected_instances',
];

/**
 * The bridge's state in the index database (src/bridge/sync/outbox.ts, src/bridge/quarantine/), with
 * the same names, columns and meanings in the `archive` schema's migration 2 (src/bridge/postgres/).
 * The write journal and the study instances are no tables: a transaction and a view of `instances`.
 */
const BRIDGE_TABLES = ['sync_state', 'sync_meta', 'quarantine', 'dq_findings'];

/** Every table copied from the source, in an order that keeps references valid. */
export function tablesOf(src: Pick<SourceFiles, 'index' | 'security'>, movingBlobs: boolean): TableSpec[] {
  const unhashed = movingBlobs ? ['blob_key'] : [];
  // The journal mark names the source's pack segments: it holds only while the bytes stay there.
  const meta = movingBlobs ? `key NOT IN ('running_since', 'journal_mark')` : `key <> 'running_since'`;
  return [
    ...ARCHIVE_TABLES.map((t) => ({
      db: src.index,
      from: t,
      to: `archive.${t}`,
      unhashed,
      ...(t === 'meta' ? { where: meta } : {}),
    })),
    ...BRIDGE_TABLES.map((t) => ({ db: src.index, from: t, to: `archive.${t}` })),
    // Its own schema (src/bridge/patients/study-links-pg.ts); the links join archive.studies by study_uid and patient_pk, both copied as is.
    { db: src.index, from: 'study_patient_links', to: 'study_links.study_patient_links' },
    { db: src.index, from: 'source_state', to: 'sources.source_state' },
    { db: src.index, from: 'source_studies', to: 'sources.source_studies' },
    ...(src.security
      ? [
          { db: src.security, from: 'oauth_clients', to: 'security.oauth_clients' },
          { db: src.security, from: 'users', to: 'security.users' },
          // oidc-provider's state (sessions, grants, codes, refresh tokens): signed-in users stay signed in.
          { db: src.security, from: 'oidc_state', to: 'security.oidc_state' },
        ]
      : []),
  ];
}

/**
 * Copies an embedded installation into PostgreSQL (+ a blob store): every step resumable, then
 * every copied table compared (counts and content hashes), every object read back and hashed,
 * the audit chain's length and head compared. Returns the report; `ok` false on any mismatch.
 */
export async function runMigration(o: MigrateOptions): Promise<MigrationReport> {
  const src = openSource(o.from);
  const spool = mkdtempSync(join(tmpdir(), 'ib-migrate-'));
  let target: Awaited<ReturnType<typeof openBlobStore>> | undefined;
  try {
    // Refused before anything is written to the target.
    if (o.blobs?.kind === 'file' && resolve(o.blobs.dir) === src.dir)
      throw new MigrateError('--blob-store file:DIR must not be the source data directory');
    await prepareTarget(o.pool, src.dir, o.resume);
    const tables = tablesOf(src, o.blobs !== undefined);
    o.log('copying the archive index, sources state and security stores');
    for (const spec of tables) await copyTable(o.pool, spec, o.batch);
    await copyServerKeys(src, o.pool);
    if (o.blobs) {
      // 'import': small objects go to packs unjournaled (nothing would replay a journal for this copy).
      target = await openBlobStore(o.blobs, { dataDir: spool, packWriter: 'import', cipher: undefined });
      await target.check();
      o.log('copying instance bytes');
      const source = new ArchiveBlobStore(src.dir, { packWriter: false, cipher: undefined });
      const n = await copyBlobs(src.index, source, target.blobs, o.pool);
      o.log(`  ${n} objects copied`);
      await rewriteBlobKeys(o.pool);
    }
    if (src.fhir) {
      o.log('copying the FHIR store and building its search index');
      await copyFhir(src.fhir, o.pool, o.fhirBaseUrl, o.batch);
    }
    if (src.audit) {
      o.log('copying the audit chain');
      await copyAudit(src.audit, o.pool, o.batch);
      await copyProjection(src.audit, o.pool);
    }
    if (o.auditKeyFile && existsSync(o.auditKeyFile)) await claimAuditKey(o.pool, readAuditKey(o.auditKeyFile));
    o.log('verifying');
    const report: MigrationReport = { ok: true, tables: [], blobs: undefined, audit: undefined, leftBehind: [] };
    for (const spec of [...tables, ...(src.fhir ? fhirTables(src.fhir) : [])]) {
      const c = await compareTable(o.pool, spec);
      if (c) report.tables.push(c);
    }
    if (target) report.blobs = await verifyBlobs(o.pool, target.blobs);
    if (src.audit) report.audit = await compareAudit(src.audit, o.pool);
    report.leftBehind = leftBehind(
      src,
      new Set([...tables, ...(src.fhir ? fhirTables(src.fhir) : [])].map((t) => t.from)),
    );
    report.ok =
      report.tables.every((t) => t.source === t.target && t.sourceHash === t.targetHash) &&
      (report.blobs === undefined || report.blobs.bad.length === 0) &&
      (report.audit === undefined ||
        (report.audit.source === report.audit.target && report.audit.sourceHead === report.audit.targetHead));
    if (report.ok) await finishRun(o.pool);
    return report;
  } finally {
    target?.blobs.close?.();
    src.close();
    rmSync(spool, { recursive: true, force: true });
  }
}

/** The authorization server's keys (`oauth-keys.json`) become the shared row every instance reads. */
async function copyServerKeys(src: SourceFiles, pool: pg.Pool): Promise<void> {
  const file = join(src.dir, 'oauth-keys.json');
  if (!existsSync(file)) return;
  await pool.query('INSERT INTO security.server_keys (id, value) VALUES (1, $1) ON CONFLICT DO NOTHING', [
    readFileSync(file),
  ]);
  const { rows } = await pool.query<{ value: Buffer }>('SELECT value FROM security.server_keys WHERE id = 1');
  if (!rows[0]!.value.equals(readFileSync(file)))
    throw new MigrateError('the target holds other authorization server keys than the source (oauth-keys.json)');
}
