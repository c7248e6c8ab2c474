/**
 * `imaging-bridge migrate` end to end: a real server (child process) builds a small embedded
 * installation (STOW-RS studies, FHIR writes, the audit records of those requests) and stops;
 * migrate copies it into a database of its own on the test PostgreSQL and the objects into
 * s3rver, is SIGKILLed midway, refuses to start over the half-copied target without --resume,
 * resumes and verifies. A server started on the copy (`serve --database`, a fresh data dir) then
 * answers the same FHIR reads and searches, `audit verify --database` passes on the copied
 * chain, and the PostgreSQL archive index finds every instance with its bytes in the bucket.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgIndex } from '../src/archive/postgres/pg-index.js';
import { PgQidoBackend } from '../src/archive/postgres/pg-qido.js';
import { QidoService } from '../src/archive/query/qido-service.js';
import { createS3Client } from '../src/archive/blob/s3-client.js';
import { S3BlobStore } from '../src/archive/blob/s3-blob-store.js';
import { startTestS3, type TestS3 } from '../src/archive/blob/test-support.js';
import { openPool } from '../src/core/postgres/pool.js';
import { testDatabase } from '../src/core/postgres/test-database.js';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { multipartBody } from './support/multipart.js';
import { BRIDGE_ENTRY, bridgeBuilt, startTestServer } from './support/server.js';
import { expectSentBytesStored } from './support/stored-bytes-check.js';
import { waitFor } from './support/wait.js';

const PUBLIC_URL = 'http://bridge.example';
const STUDIES = [1, 2].map((n) => `${ROOT}.97.${process.pid}.${n}`);
const SENT = new Map<string, Buffer>();
for (const study of STUDIES)
  for (const n of [1, 2]) {
    const sop = `${study}.1.${n}`;
    SENT.set(sop, ctInstance({ study, series: `${study}.1`, sop, rows: 32, columns: 32 }));
  }

const db = testDatabase('ib_migrate');
const ready = bridgeBuilt();
const skip = db.skip ?? (ready ? undefined : 'dist/ not built (npm run build)');

describe.skipIf(skip !== undefined)(`imaging-bridge migrate${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const from = mkdtempSync(join(tmpdir(), 'ib-migrate-src-'));
  const keyFile = `${from}.audit-key`;
  let s3: TestS3;
  let pool: pg.Pool;
  let patient: { id: string; meta: { versionId: string } };
  /** QIDO-RS answers of the source server: study level, and each study's instances. */
  const qidoBefore = new Map<string, unknown>();
  const args = () => [
    'migrate',
    '--from',
    from,
    '--to',
    db.url(),
    '--blob-store',
    `s3://${s3.bucket}/site-a`,
    '--public-url',
    PUBLIC_URL,
  ];

  beforeAll(async () => {
    await db.setup();
    s3 = await startTestS3('ib-e2e-migrate');
    pool = openPool(db.url(), { max: 2 });
    const source = await startTestServer(
      { 'data-dir': from, 'public-url': PUBLIC_URL, 'log-level': 'warn' },
      { spawn: { startTimeoutMs: 120_000 } },
    );
    try {
      const { body, contentType } = multipartBody([...SENT.values()]);
      const stowed = await fetch(`${source.dicomweb}/studies`, {
        method: 'POST',
        headers: { 'content-type': contentType, accept: 'application/dicom+json' },
        body,
      });
      expect(stowed.status).toBe(200);
      const created = await fetch(`${source.url}/fhir/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Migrasson' }] }),
      });
      const first = (await created.json()) as { id: string };
      const updated = await fetch(`${source.url}/fhir/Patient/${first.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'Patient',
          id: first.id,
          name: [{ family: 'Migrasson', given: ['Ada'] }],
        }),
      });
      patient = (await updated.json()) as typeof patient;
      // The bridge's state (sync records, study → Patient links) is part of what is copied: let it sync first.
      for (const study of STUDIES)
        await waitFor(
          async () => {
            const r = await fetch(
              `${source.url}/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${study}`)}`,
            );
            return ((await r.json()) as { entry?: unknown[] }).entry?.length ? true : undefined;
          },
          { timeoutMs: 60_000, what: `the ImagingStudy of ${study}` },
        );
      qidoBefore.set('studies', await (await fetch(`${source.dicomweb}/studies?includefield=all`)).json());
      for (const study of STUDIES)
        qidoBefore.set(
          study,
          await (await fetch(`${source.dicomweb}/studies/${study}/instances?includefield=all`)).json(),
        );
    } finally {
      await source.stop();
    }
  }, 300_000);

  afterAll(async () => {
    await pool?.end();
    await s3?.stop();
    await db.teardown();
    rmSync(from, { recursive: true, force: true });
    for (const f of [keyFile, `${keyFile}.checkpoint`]) rmSync(f, { force: true });
  });

  it('resumes after being killed midway, refusing the half-copied target without --resume', async () => {
    const child = spawn(process.execPath, [BRIDGE_ENTRY, ...args(), '--batch', '1'], {
      env: { ...process.env, ...s3.env },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await untilProgress(child);
    child.kill('SIGKILL');
    expect(await exited).toBe(null);
    const run = await pool.query('SELECT finished_at FROM migrate.run');
    expect(run.rows[0].finished_at).toBe(null);

    const refused = await runBridge(args(), 120_000, s3.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--resume/);

    const resumed = await runBridge([...args(), '--resume'], 120_000, s3.env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/migration verified/);
    expect(resumed.stdout).toMatch(/ok\s+archive\.instances\s+4 → 4 rows/);
    expect(resumed.stdout).toMatch(/ok\s+objects\s+4 read back, 0 missing/);
    // The bridge's state and the study links are copied and verified, not left behind.
    expect(resumed.stdout).toMatch(/ok\s+archive\.sync_state\s+2 → 2 rows/);
    expect(resumed.stdout).toMatch(/ok\s+study_links\.study_patient_links\s+2 → 2 rows/);
    expect(resumed.stdout).not.toMatch(/left\s+index\.sqlite:(sync_|quarantine|dq_findings|study_patient_links)/);
    const synced = await pool.query<{ study_uid: string; outcome: string }>(
      'SELECT study_uid, outcome FROM archive.sync_state ORDER BY study_uid',
    );
    expect(synced.rows).toEqual([...STUDIES].sort().map((study_uid) => ({ study_uid, outcome: 'written' })));
    const linked = await pool.query<{ study_uid: string }>(
      `SELECT l.study_uid FROM study_links.study_patient_links l
         JOIN archive.studies s ON s.study_uid = l.study_uid AND s.patient_pk = l.patient_pk ORDER BY l.study_uid`,
    );
    expect(linked.rows.map((r) => r.study_uid)).toEqual([...STUDIES].sort());
  }, 240_000);

  it('refuses a source in use by a running server', async () => {
    const other = await startTestServer({ 'log-level': 'warn' }, { spawn: { startTimeoutMs: 120_000 } });
    try {
      const r = await runBridge(['migrate', '--from', other.dataDir, '--to', db.url()], 60_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/in use by another process/);
    } finally {
      await other.stop();
    }
  }, 180_000);

  it('serves the copy: the same FHIR answers, the audit chain verifies, the index finds every instance in the bucket', async () => {
    const verified = await runBridge(['audit', 'verify', '--database', db.url(), '--audit-key-file', keyFile], 60_000);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    const fresh = mkdtempSync(join(tmpdir(), 'ib-migrate-copy-'));
    const copy = await startTestServer(
      {
        'data-dir': fresh,
        database: db.url(),
        'audit-key-file': keyFile,
        'public-url': PUBLIC_URL,
        'log-level': 'warn',
      },
      { spawn: { startTimeoutMs: 120_000, env: s3.env } },
    );
    try {
      const read = (await (await fetch(`${copy.url}/fhir/Patient/${patient.id}`)).json()) as typeof patient;
      expect(read).toEqual(patient);
      const found = (await (await fetch(`${copy.url}/fhir/Patient?family=migrasson`)).json()) as {
        entry?: { resource: { id: string } }[];
      };
      expect(found.entry?.map((e) => e.resource.id)).toEqual([patient.id]);
      const history = (await (await fetch(`${copy.url}/fhir/Patient/${patient.id}/_history`)).json()) as {
        total: number;
      };
      expect(history.total).toBe(2);
    } finally {
      await copy.stop();
      rmSync(fresh, { recursive: true, force: true });
    }

    const index = await PgIndex.open(pool);
    const spool = mkdtempSync(join(tmpdir(), 'ib-migrate-spool-'));
    const blobs = new S3BlobStore(createS3Client(s3.connection), { bucket: s3.bucket, prefix: 'site-a/' }, spool);
    try {
      await expectSentBytesStored(index, blobs, SENT);
    } finally {
      blobs.close?.();
      await index.close();
      rmSync(spool, { recursive: true, force: true });
    }
    // QIDO-RS on the copied index (the PostgreSQL backend) answers as the source server did.
    const qido = new QidoService(new PgQidoBackend(pool, 'archive'), { publicUrl: PUBLIC_URL, maxResults: 0 });
    const all = new URLSearchParams('includefield=all');
    expect((await qido.search({ level: 'study', query: all })).body).toEqual(qidoBefore.get('studies'));
    expect(qidoBefore.get('studies')).toHaveLength(STUDIES.length);
    for (const study of STUDIES)
      expect((await qido.search({ level: 'instance', studyUid: study, query: all })).body, study).toEqual(
        qidoBefore.get(study),
      );
  }, 240_000);

  /** `imaging-bridge …` from dist/, as an operator runs it. */
  function runBridge(
    cli: string[],
    timeoutMs: number,
    env: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BRIDGE_ENTRY, ...cli],
        { timeout: timeoutMs, env: { ...process.env, ...env } },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Waits until the migration committed some progress (and has not finished). */
  async function untilProgress(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`migrate ended (${child.exitCode}) before it could be killed`);
      const t = await pool.query<{ t: string | null }>("SELECT to_regclass('migrate.progress')::text AS t");
      if (t.rows[0]!.t !== null) {
        const p = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM migrate.progress WHERE upto > 0');
        if (p.rows[0]!.n > 0) return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('migrate made no progress in 60 s');
  }
});
