import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA } from '../archive/sqlite/schema.js';
import { StudyPatientLinks } from '../bridge/patients/study-links.js';
import { QuarantineStore } from '../bridge/quarantine/quarantine-store.js';
import { Outbox } from '../bridge/sync/outbox.js';
import { openPool } from '../core/postgres/pool.js';
import { testDatabase } from '../core/postgres/test-database.js';
import { compareTable, copyTable } from './copy-table.js';
import { tablesOf } from './run.js';
import { prepareTarget } from './target.js';

const db = testDatabase('ib_migrate_bridge');

/** The bridge's state and the study links, in the tables the real SQLite stores create, copied by the table list migrate runs. */
describe.skipIf(db.skip !== undefined)(
  `migrate: bridge state and study links${db.skip ? ` (skipped: ${db.skip})` : ''}`,
  () => {
    let pool: pg.Pool;
    const source = new Database(':memory:');
    source.exec(SCHEMA);
    new Outbox(source);
    new QuarantineStore(source);
    new StudyPatientLinks(source);
    source.exec(`
    INSERT INTO patients (pk, patient_id, issuer) VALUES (7, 'P7', '');
    INSERT INTO sync_state VALUES ('1.2.1', 'written', 'img-1', '3', 2, 1000), ('1.2.2', 'quarantined', NULL, NULL, NULL, 1001);
    INSERT INTO sync_meta VALUES ('capabilities', '{"target":"embedded","ok":true}');
    INSERT INTO quarantine VALUES ('1.2.2', 'held', '[{"rule":"uid"}]', 1001, NULL, NULL, NULL),
      ('1.2.3', 'released', '[]', 900, 950, 'ada', 'checked');
    INSERT INTO dq_findings (pk, study_uid, sop_uid, rule, severity, tag, original, corrected, message, occurrences, source_ae, station, manufacturer, recorded_at)
      VALUES (3, '1.2.2', '1.2.2.1', 'uid', 'error', '0020000D', '"x"', NULL, 'bad UID', 2, 'CT1', 'ST', 'ACME', 1001),
             (9, '1.2.1', NULL, 'pn', 'warning', '00100010', '"A^B "', '"A^B"', 'trailing space', 1, NULL, NULL, NULL, 1000);
    INSERT INTO study_patient_links VALUES ('1.2.1', 7, 'pat-1', 1000), ('1.2.3', 7, 'pat-1', 950);
  `);
    const specs = tablesOf({ index: source, security: undefined }, false);
    const bridge = new Map(
      ['sync_state', 'sync_meta', 'quarantine', 'dq_findings', 'study_patient_links'].map((t) => [
        t,
        specs.find((s) => s.from === t),
      ]),
    );

    beforeAll(async () => {
      await db.setup();
      pool = openPool(db.url(), { max: 2 });
      await prepareTarget(pool, '/bridge-source', false);
    }, 60_000);

    afterAll(async () => {
      await pool?.end();
      await db.teardown();
    });

    it('lists every bridge table and the study links, each with its PostgreSQL home', () => {
      expect([...bridge].map(([t, s]) => [t, s?.to])).toEqual([
        ['sync_state', 'archive.sync_state'],
        ['sync_meta', 'archive.sync_meta'],
        ['quarantine', 'archive.quarantine'],
        ['dq_findings', 'archive.dq_findings'],
        ['study_patient_links', 'study_links.study_patient_links'],
      ]);
    });

    it('copies them with every column, verified by counts and content hashes', async () => {
      for (const spec of specs) await copyTable(pool, spec, 1);
      for (const spec of bridge.values()) {
        const c = await compareTable(pool, spec!);
        expect(c, spec!.from).toMatchObject({ source: c!.source, target: c!.source });
        expect(c!.source, spec!.from).toBeGreaterThan(0);
        expect(c!.targetHash, spec!.from).toBe(c!.sourceHash);
      }
      const q = await pool.query('SELECT * FROM archive.quarantine ORDER BY study_uid');
      expect(q.rows[1]).toEqual({
        study_uid: '1.2.3',
        state: 'released',
        reasons: '[]',
        held_at: 900,
        decided_at: 950,
        decided_by: 'ada',
        comment: 'checked',
      });
      const f = await pool.query('SELECT pk, study_uid, occurrences, corrected FROM archive.dq_findings ORDER BY pk');
      expect(f.rows).toEqual([
        { pk: 3, study_uid: '1.2.2', occurrences: 2, corrected: null },
        { pk: 9, study_uid: '1.2.1', occurrences: 1, corrected: '"A^B"' },
      ]);
      // The identity continues after the copied keys: the next finding the PostgreSQL store records does not collide.
      const next = await pool.query(
        `INSERT INTO archive.dq_findings (study_uid, rule, severity, tag, message, recorded_at)
       VALUES ('1.2.9', 'r', 'info', 't', 'm', 1) RETURNING pk`,
      );
      expect(Number(next.rows[0].pk)).toBeGreaterThan(9);
      const links = await pool.query(
        'SELECT study_uid, patient_pk, fhir_patient, linked_at FROM study_links.study_patient_links ORDER BY study_uid',
      );
      expect(links.rows).toEqual([
        { study_uid: '1.2.1', patient_pk: 7, fhir_patient: 'pat-1', linked_at: 1000 },
        { study_uid: '1.2.3', patient_pk: 7, fhir_patient: 'pat-1', linked_at: 950 },
      ]);
      const state = await pool.query("SELECT * FROM archive.sync_state WHERE study_uid = '1.2.1'");
      expect(state.rows[0]).toEqual({
        study_uid: '1.2.1',
        outcome: 'written',
        fhir_id: 'img-1',
        version_id: '3',
        instances: 2,
        synced_at: 1000,
      });
    });

    it('tells a copied link that differs', async () => {
      await pool.query(`UPDATE study_links.study_patient_links SET fhir_patient = 'pat-2' WHERE study_uid = '1.2.3'`);
      const c = await compareTable(pool, bridge.get('study_patient_links')!);
      expect(c!.targetHash).not.toBe(c!.sourceHash);
    });
  },
);
