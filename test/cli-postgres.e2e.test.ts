/**
 * The CLI commands that read or write state shared with running servers (`sync`, `quarantine`,
 * `sources`, `reconcile`) on PostgreSQL: given --database (or IMAGING_BRIDGE_DATABASE, or the
 * config file's `database`), they work on the stores `serve --database` uses and never create
 * the data folder's SQLite archive database. State is put in with the PostgreSQL stores and
 * checked with SQL; the commands run in this process (their printed lines and exit codes).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgBridgeStores } from '../src/bridge/postgres/index.js';
import type { Finding } from '../src/bridge/normalize/types.js';
import { runQuarantine } from '../src/cli/quarantine-command.js';
import { runReconcile } from '../src/cli/reconcile-command.js';
import { runSources } from '../src/cli/sources-command.js';
import { runSync } from '../src/cli/sync-command.js';
import { openPool } from '../src/core/postgres/pool.js';
import { testDatabase } from '../src/core/postgres/test-database.js';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { PgSourceStateStore } from '../src/sources/pg-state-store.js';
import { imagingStudies, stow } from './support/http.js';
import { cliInProcess } from './support/cli-in-process.js';
import { startTestServer, type TestServer } from './support/server.js';

const uid = (n: number) => `${ROOT}.96.${process.pid}.${n}`;
const FINDING: Finding = {
  rule: 'conflicting-patient',
  severity: 'error',
  tag: '00100020',
  original: ['C1', 'C2'],
  message: 'two patient IDs in one study',
};

const db = testDatabase('ib_cli');

describe.skipIf(db.skip !== undefined)(`CLI commands on PostgreSQL${db.skip ? ` (skipped: ${db.skip})` : ''}`, () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'ib-cli-pg-')), 'data');
  let pool: pg.Pool;
  const flags = () => ['--database', db.url(), '--data-dir', dataDir, '--audit-key-file', db.auditKeyFile];
  /** Nothing of the data folder's archive database: the commands went to PostgreSQL only. */
  const noSqliteArchive = () => expect(existsSync(join(dataDir, 'index.sqlite'))).toBe(false);

  beforeAll(async () => {
    await db.setup();
    pool = openPool(db.url(), { max: 2 });
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await db.teardown();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('sync status and replay read and write the PostgreSQL outbox', async () => {
    const [dead, other] = [uid(1), uid(2)];
    const stores = await openPgBridgeStores(db.url());
    try {
      for (const s of [dead, other]) {
        await stores.outbox.enqueue(s, 'test');
        await stores.outbox.park(s, (await stores.outbox.get(s))!.seq, `boom ${s}`);
      }
    } finally {
      await stores.close();
    }
    const status = await cliInProcess(runSync, ['status', ...flags()]);
    expect(status.code).toBe(0);
    expect(status.out).toContain('target: not checked yet');
    expect(status.out).toMatch(/pending: 0; retrying: 0; dead letters: 2; quarantined: 0/);
    expect(status.out).toContain(`dead ${dead} (1 attempts): boom ${dead}`);
    const json = JSON.parse((await cliInProcess(runSync, ['status', '--json', ...flags()])).out);
    expect(json.outbox).toEqual({ pending: 0, retrying: 0, dead: 2 });

    const replayed = await cliInProcess(runSync, ['replay', '--study', dead, ...flags()]);
    expect(replayed).toEqual({ code: 0, out: '1 dead letter queued again' });
    const rows = await pool.query<{ study_uid: string; dead: boolean }>(
      'SELECT study_uid, dead FROM archive.sync_outbox ORDER BY study_uid',
    );
    expect(rows.rows).toEqual([
      { study_uid: dead, dead: false },
      { study_uid: other, dead: true },
    ]);
    expect(await cliInProcess(runSync, ['replay', '--study', uid(99), ...flags()])).toEqual({
      code: 1,
      out: '0 dead letters queued again',
    });
    expect((await cliInProcess(runSync, ['replay', ...flags()])).out).toBe('1 dead letter queued again');
    noSqliteArchive();
  });

  it('quarantine list, show, release and reject work on the PostgreSQL quarantine (database from the environment)', async () => {
    const [held, rejected] = [uid(3), uid(4)];
    const stores = await openPgBridgeStores(db.url());
    try {
      for (const s of [held, rejected]) {
        await stores.quarantine.recordFindings(s, [FINDING]);
        await stores.quarantine.hold(s, [FINDING]);
      }
    } finally {
      await stores.close();
    }
    // IMAGING_BRIDGE_DATABASE, as serve reads it, instead of --database.
    const env = { IMAGING_BRIDGE_DATABASE: db.url() };
    const dir = ['--data-dir', dataDir, '--audit-key-file', db.auditKeyFile];
    const listed = await cliInProcess(runQuarantine, ['list', ...dir], env);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`${held}  held  since`);
    expect(listed.out).toContain('conflicting-patient@00100020');
    const shown = JSON.parse((await cliInProcess(runQuarantine, ['show', held, ...dir], env)).out);
    expect(shown.entry.state).toBe('held');
    expect(shown.findings.map((f: { rule: string }) => f.rule)).toEqual(['conflicting-patient']);
    expect(await cliInProcess(runQuarantine, ['show', uid(98), ...dir], env)).toEqual({
      code: 1,
      out: 'no data-quality record for this study',
    });

    const released = await cliInProcess(runQuarantine, ['release', held, '--comment', 'same patient', ...dir], env);
    expect(released).toEqual({ code: 0, out: 'released: queued for sync with its error findings overridden' });
    expect((await cliInProcess(runQuarantine, ['reject', rejected, ...dir], env)).code).toBe(0);
    expect((await cliInProcess(runQuarantine, ['release', uid(97), ...dir], env)).code).toBe(1);
    const decided = await pool.query<{ study_uid: string; state: string; comment: string | null }>(
      'SELECT study_uid, state, comment FROM archive.quarantine ORDER BY study_uid',
    );
    expect(decided.rows).toEqual([
      { study_uid: held, state: 'released', comment: 'same patient' },
      { study_uid: rejected, state: 'rejected', comment: null },
    ]);
    const queued = await pool.query('SELECT study_uid FROM archive.sync_outbox WHERE study_uid = ANY($1)', [
      [held, rejected],
    ]);
    expect(queued.rowCount).toBe(2);
    expect((await cliInProcess(runQuarantine, ['list', '--state', 'released', ...dir], env)).out).toContain(held);
    expect((await cliInProcess(runQuarantine, ['list', ...dir], env)).out).toBe('no study is held');
    noSqliteArchive();
  });

  it("sources status reads the sources' state in PostgreSQL (database from the config file)", async () => {
    const state = await PgSourceStateStore.open(db.url());
    try {
      await state.register({ name: 'pacs', kind: 'dicomweb', mode: 'copy', endpoint: 'http://pacs.example' }, 1);
      await state.seen('pacs', [{ studyUid: uid(5), studyDate: '20260101', json: {} }], 2);
    } finally {
      await state.close();
    }
    const configFile = join(dataDir, '..', 'sources.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        database: db.url(),
        sources: [
          { name: 'pacs', kind: 'dicomweb', url: 'http://pacs.example', mode: 'copy' },
          { name: 'later', kind: 'dicomweb', url: 'http://later.example', mode: 'metadata-only' },
        ],
      }),
    );
    const status = await cliInProcess(runSources, ['status', '--config', configFile, '--data-dir', dataDir]);
    expect(status.code).toBe(0);
    expect(status.out).toContain('pacs (dicomweb, copy) http://pacs.example');
    expect(status.out).toContain('0 done, 1 queued, 0 fetching, 0 failed');
    expect(status.out).toContain('later (dicomweb, metadata-only): configured, not started yet');
    noSqliteArchive();
  });

  describe('reconcile --apply', () => {
    let pacs: TestServer;
    beforeAll(async () => {
      // PACS and FHIR server at once, its bridge off: the drift is made by hand.
      pacs = await startTestServer({}, { configFile: { bridge: { enabled: false } } });
    }, 120_000);
    afterAll(async () => pacs?.stop());

    it("queues the FHIR-less study for its source, marks the orphan, and audits into PostgreSQL's chain", async () => {
      const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      const [inPacs, orphan] = [uid(6), uid(7)];
      expect(
        await stow(pacs.url, [
          ctInstance({ study: inPacs, series: `${inPacs}.1`, sop: `${inPacs}.1.1`, studyDate: today }),
        ]),
      ).toBe(200);
      const created = await fetch(`${pacs.url}/fhir/ImagingStudy`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'ImagingStudy',
          status: 'available',
          identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${orphan}` }],
          subject: { display: 'nobody' },
          started: new Date().toISOString(),
        }),
      });
      expect(created.status).toBe(201);
      const configFile = join(dataDir, '..', 'reconcile.json');
      writeFileSync(
        configFile,
        JSON.stringify({ sources: [{ name: 'pacs', kind: 'dicomweb', url: pacs.dicomweb, mode: 'copy' }] }),
      );
      const target = ['--dicomweb', pacs.dicomweb, '--fhir', `${pacs.url}/fhir`, '--config', configFile];
      const applied = await cliInProcess(runReconcile, ['--apply', ...target, ...flags()]);
      expect(applied.out).toContain('applied: 2 of 2 actions');
      expect(applied.code).toBe(0);
      const requeued = await pool.query(
        'SELECT status FROM sources.source_studies WHERE source = $1 AND study_uid = $2',
        ['pacs', inPacs],
      );
      expect(requeued.rows).toEqual([{ status: 'queued' }]);
      const [marked] = await imagingStudies(`${pacs.url}/fhir`, orphan);
      expect(JSON.stringify(marked?.meta?.tag)).toContain('not-in-pacs');
      const audited = await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit.record');
      expect(Number(audited.rows[0]!.n)).toBe(2);
      noSqliteArchive();
    }, 120_000);
  });
});
