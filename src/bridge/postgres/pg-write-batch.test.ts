import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PgIndex } from '../../archive/postgres/pg-index.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import type { Finding } from '../normalize/index.js';
import { PgStudyLinks } from '../patients/study-links-pg.js';
import { openPgBridgeStores, type PgBridgeStores } from './index.js';

const server = suitePostgres();
const { skip } = server;

const A = '1.2.826.0.1.3680043.10.1089.22.17.1';
const B = '1.2.826.0.1.3680043.10.1089.22.17.2';
const C = '1.2.826.0.1.3680043.10.1089.22.17.3';

const finding = (rule: string, sop?: string): Finding => ({
  rule,
  severity: 'warning',
  tag: '00100010',
  original: 'x^y',
  corrected: 'X^Y',
  message: `${rule} fired`,
  ...(sop ? { sopInstanceUid: sop, occurrences: 2 } : {}),
});

interface Side {
  index: PgIndex;
  stores: PgBridgeStores;
  links: PgStudyLinks;
  close(): Promise<void>;
}

async function side(): Promise<Side> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const index = await PgIndex.open(await server.url(), schema);
  const stores = await openPgBridgeStores(index.pool, schema);
  const links = await PgStudyLinks.open(index.pool, {
    schema: `${schema}_links`,
    archiveSchema: schema,
    route: stores.db,
  });
  return {
    index,
    stores,
    links,
    close: async () => {
      await links.dropSchema();
      await stores.close();
      await index.dropSchema();
      await index.close();
    },
  };
}

/** A pass's writes, as StudySync and the sync worker make them, with repeats of one study in one pass. */
function passWrites(s: Side): (() => Promise<void>)[] {
  const { outbox, quarantine } = s.stores;
  return [
    () => quarantine.recordFindings(A, [finding('a1', '1.1'), finding('a2')], 10),
    () => quarantine.clearHold(A),
    () => s.links.record(A, 1, 'Patient/a', 10),
    () => quarantine.recordFindings(B, [], 11),
    () => quarantine.clearHold(B),
    () => s.links.forget(B),
    () => quarantine.recordFindings(C, [finding('c1')], 12),
    // C again in the same pass: its later findings replace the earlier, its link is made, forgotten, made again.
    () => s.links.record(C, 2, 'Patient/c', 12),
    () => quarantine.recordFindings(C, [finding('c2', '3.1'), finding('c3')], 13),
    () => s.links.forget(C),
    () => s.links.record(C, 3, 'Patient/c2', 13),
    () => outbox.complete(A, 1, 20),
    () => outbox.record({ studyUid: A, outcome: 'written', syncedAt: 20, fhirId: 'ia', versionId: '1', instances: 2 }),
    // B changed since its sync (seq 2): kept, reset.
    () => outbox.complete(B, 1, 21),
    () => outbox.record({ studyUid: B, outcome: 'unchanged', syncedAt: 21 }),
    () => outbox.complete(C, 1, 22),
    () => outbox.record({ studyUid: C, outcome: 'written', syncedAt: 22, fhirId: 'ic', versionId: '2', instances: 1 }),
    () => outbox.record({ studyUid: C, outcome: 'quarantined', syncedAt: 23 }),
  ];
}

async function prepare(s: Side): Promise<void> {
  const { outbox, quarantine } = s.stores;
  for (const uid of [A, B, C]) await outbox.enqueue(uid, 'instance', 1);
  await outbox.enqueue(B, 'instance', 2);
  await quarantine.recordFindings(A, [finding('old')], 1);
  await quarantine.recordFindings(B, [finding('old-b')], 1);
  await quarantine.hold(B, [finding('held')], 1);
  await s.links.record(B, 9, 'Patient/b', 1);
}

/** Every row the pass's writes touch (findings in pk order, without the pk). */
async function state(s: Side): Promise<unknown> {
  const t = s.index.schema;
  const q = async (sql: string) => (await s.index.pool.query(sql)).rows;
  return {
    findings: await q(
      `SELECT study_uid, sop_uid, rule, severity, tag, original, corrected, message, occurrences, recorded_at FROM ${t}.dq_findings ORDER BY pk`,
    ),
    quarantine: await q(`SELECT study_uid, state FROM ${t}.quarantine ORDER BY study_uid`),
    links: await q(
      `SELECT study_uid, patient_pk, fhir_patient, linked_at FROM ${t}_links.study_patient_links ORDER BY 1`,
    ),
    outbox: await q(
      `SELECT study_uid, seq, first_changed_at, attempts, next_attempt_at, last_error FROM ${t}.sync_outbox ORDER BY 1`,
    ),
    syncState: await q(`SELECT * FROM ${t}.sync_state ORDER BY study_uid`),
  };
}

describe.skipIf(skip !== undefined)(server.title('PostgreSQL journal: one statement per kind of write'), () => {
  it('leaves the same rows as the writes made one by one, a study’s repeated writes in their order', async () => {
    const [batched, single] = [await side(), await side()];
    try {
      await prepare(batched);
      await prepare(single);
      // Committed as one transaction (a failure would make the journal run each write alone).
      const failures: unknown[] = [];
      const journal = batched.stores.journal({ relaxed: true, onError: (e) => failures.push(e) });
      for (const op of passWrites(batched)) journal.add(op);
      await journal.flush();
      expect(failures).toEqual([]);
      for (const op of passWrites(single)) await op();
      const got = await state(batched);
      expect(got).toEqual(await state(single));
      // And what that is: A's and C's latest findings in the order given (B's emptied), B's hold cleared, B kept (changed since).
      expect(got).toMatchObject({
        findings: [
          { study_uid: A, rule: 'a1', sop_uid: '1.1', occurrences: 2 },
          { study_uid: A, rule: 'a2' },
          { study_uid: C, rule: 'c2' },
          { study_uid: C, rule: 'c3' },
        ].map((f) => expect.objectContaining(f)),
        quarantine: [],
        links: [
          expect.objectContaining({ study_uid: A, fhir_patient: 'Patient/a' }),
          expect.objectContaining({ study_uid: C, fhir_patient: 'Patient/c2', patient_pk: 3 }),
        ],
        outbox: [expect.objectContaining({ study_uid: B, seq: 2, first_changed_at: 21, attempts: 0 })],
      });
      expect((got as { syncState: { study_uid: string; outcome: string }[] }).syncState.map((r) => r.outcome)).toEqual([
        'written',
        'unchanged',
        'quarantined',
      ]);
    } finally {
      await batched.close();
      await single.close();
    }
  });

  it('a read in the journal’s transaction sees the writes made before it; a failing statement rolls the pass back, then each write runs alone', async () => {
    const s = await side();
    try {
      await prepare(s);
      const { quarantine, outbox } = s.stores;
      const seen: (string | undefined)[] = [];
      const errors: number[] = [];
      const journal = s.stores.journal({ onError: (_e, ops) => errors.push(ops) });
      journal.add(() => quarantine.clearHold(B));
      journal.add(async () => {
        seen.push((await quarantine.get(B))?.state);
      });
      journal.add(() => outbox.record({ studyUid: A, outcome: 'written', syncedAt: 5 }));
      // instances is an integer column: this record's statement fails (the batch of records with it).
      journal.add(() => outbox.record({ studyUid: C, outcome: 'written', syncedAt: 5, instances: 1.5 }));
      await journal.flush();
      // In the pass (rolled back) and again alone: the hold was gone for the read both times.
      expect(seen).toEqual([undefined, undefined]);
      expect(errors).toEqual([4, 1]);
      expect(await quarantine.get(B)).toBeUndefined();
      expect((await outbox.lastSync(A))?.outcome).toBe('written');
      expect(await outbox.lastSync(C)).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
