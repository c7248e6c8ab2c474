import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKLIST_DEFAULTS } from '../../clinical/worklist/config.js';
import { allowAll } from '../../context/index.js';
import { createLogger } from '../../core/logger.js';
import { testPostgres } from '../../core/postgres/test-cluster.js';
import { inProcessFhirClient, type FhirClient } from '../../fhir/client/index.js';
import { openFhirServer, type EmbeddedFhir } from '../../fhir/embedded.js';
import type { FhirResource } from '../../fhir/types.js';
import { bySubject, subjectPatientId } from './batched-contexts.js';
import { WorklistService } from './service.js';
import { WorklistSource } from './source.js';

const BASE = 'http://ib.test/fhir';
const LOINC = 'http://loinc.org';
const IMAGING = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging' }] };

describe('subjectPatientId and bySubject', () => {
  it('reads relative, absolute and versioned Patient references, nothing else', () => {
    expect(subjectPatientId('Patient/a-1')).toBe('a-1');
    expect(subjectPatientId('http://ib.test/fhir/Patient/b.2')).toBe('b.2');
    expect(subjectPatientId('Patient/c/_history/3')).toBe('c');
    expect(subjectPatientId('Group/g')).toBeUndefined();
    expect(subjectPatientId('Patient/')).toBeUndefined();
    expect(subjectPatientId(undefined)).toBeUndefined();
  });

  it('groups by the named patient, keeps only the asked ones, at most max each, in order', () => {
    const r = (n: number, ref: string): { id: string; subject?: { reference: string } } => ({
      id: String(n),
      subject: { reference: ref },
    });
    const out = bySubject(
      [r(1, 'Patient/a'), r(2, 'Patient/b'), r(3, 'Patient/a'), r(4, 'Patient/z'), r(5, 'Patient/a'), { id: '6' }],
      new Set(['a', 'b']),
      2,
    );
    expect([...out.keys()].sort()).toEqual(['a', 'b']);
    expect(out.get('a')!.map((x) => x.id)).toEqual(['1', '3']);
    expect(out.get('b')!.map((x) => x.id)).toEqual(['2']);
  });
});

const pgServer = testPostgres();
const backends: [string, boolean][] = [
  ['SQLite', true],
  ['PostgreSQL', !('reason' in pgServer)],
];

/** Counts the reads in flight through a real client. */
function counting(client: FhirClient): {
  reader: Pick<FhirClient, 'read' | 'searchAll'>;
  max: () => number;
  calls: () => number;
} {
  let now = 0;
  let max = 0;
  let calls = 0;
  const track = async <T>(run: () => Promise<T>): Promise<T> => {
    calls++;
    max = Math.max(max, ++now);
    try {
      return await run();
    } finally {
      now--;
    }
  };
  return {
    reader: {
      read: ((type: string, id: string) => track(() => client.read(type, id))) as FhirClient['read'],
      searchAll: ((type: string, params?: never, o?: never) =>
        track(() => client.searchAll(type, params, o))) as FhirClient['searchAll'],
    },
    max: () => max,
    calls: () => calls,
  };
}

describe.each(backends)('the worklist start-up load reads patients together (%s)', (name, usable) => {
  let dataDir: string;
  let fhir: EmbeddedFhir;
  let client: FhirClient;
  const patients: string[] = [];
  const studies: string[] = [];

  beforeAll(async () => {
    if (!usable) return;
    dataDir = mkdtempSync(join(tmpdir(), 'ib-worklist-batch-'));
    let database: string | undefined;
    if (name === 'PostgreSQL' && !('reason' in pgServer)) {
      const admin = new URL(await pgServer.url());
      const db = `ib_worklist_batch_${process.pid}`;
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db}`);
      await c.query(`CREATE DATABASE ${db}`);
      await c.end();
      admin.pathname = `/${db}`;
      database = admin.toString();
    }
    fhir = await openFhirServer({ dataDir, publicUrl: 'http://ib.test', section: undefined, database });
    client = inProcessFhirClient(fhir.router, BASE);
    const create = async (r: FhirResource) => (await client.create(r)).id!;
    const ward = await create({ resourceType: 'Location', status: 'active', name: 'Ward 3' });
    const ed = await create({ resourceType: 'Location', status: 'active', name: 'ED' });
    for (let k = 0; k < 7; k++) {
      const id = await create({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: `M${k}` }] });
      patients.push(id);
      const subject = { reference: k === 3 ? `${BASE}/Patient/${id}` : `Patient/${id}` };
      if (k === 6) continue; // a patient with a study and nothing else
      for (const [status, at] of [
        ['in-progress', ed],
        ['finished', ward],
        ['arrived', ward],
      ] as const)
        await create({
          resourceType: 'Encounter',
          status,
          class: { code: 'EMER' },
          subject,
          location: [{ location: { reference: `Location/${at}` } }, { location: { reference: 'Location/gone' } }],
        });
      if (k % 2 === 0) await create({ resourceType: 'Flag', status: 'active', code: { text: 'isolation' }, subject });
      await create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: LOINC, code: '75636-1' }] },
        subject,
        valueInteger: 1 + (k % 5),
      });
      await create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: LOINC, code: '8867-4' }] },
        subject,
      });
      await create({
        resourceType: 'Observation',
        status: 'final',
        category: [IMAGING],
        code: { text: 'hemorrhage' },
        subject,
        ...(k % 3 ? { device: { display: 'AI' } } : {}),
      });
      if (k !== 1) await create({ resourceType: 'DiagnosticReport', status: 'final', code: { text: 'CT' }, subject });
    }
    // Another patient's record, not asked for.
    await create({
      resourceType: 'Flag',
      status: 'active',
      code: { text: 'x' },
      subject: { reference: 'Patient/other' },
    });
    for (let s = 0; s < 12; s++)
      studies.push(
        await create({
          resourceType: 'ImagingStudy',
          status: 'available',
          identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:1.2.826.0.1.3680043.10.1456.55.${s}` }],
          subject: { reference: `Patient/${patients[s % patients.length]}` },
          started: new Date(Date.now() - s * 60_000).toISOString(),
        }),
      );
  }, 120_000);

  afterAll(async () => {
    if (!usable) return;
    await fhir?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (name === 'PostgreSQL' && !('reason' in pgServer)) {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: await pgServer.url() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ib_worklist_batch_${process.pid} WITH (FORCE)`);
      await c.end();
      await pgServer.stop();
    }
  });

  it.skipIf(!usable)('gives each patient the context the per-patient reads give, in a few searches', async () => {
    const statuses = WORKLIST_DEFAULTS.setting.encounterStatuses;
    const asked = [...patients, 'missing-patient'];
    const { reader, calls } = counting(client);
    const together = await new WorklistSource(reader, statuses).patientContexts(asked);
    // Patient, Encounter, Flag, triage Observation, DiagnosticReport, imaging Observation; then one
    // read per Location (ED, ward, a missing one), cached for every other patient.
    expect(calls()).toBe(6 + 3);
    const single = new WorklistSource(client, statuses);
    expect([...together.keys()].sort()).toEqual([...asked].sort());
    for (const id of asked) {
      const one = await single.patientContext(id);
      const got = together.get(id)!;
      const ids = (rs: { id?: string }[]) => rs.map((r) => r.id).sort();
      expect(got.patient?.id, id).toBe(one.patient?.id);
      expect(ids(got.encounters), id).toEqual(ids(one.encounters));
      expect(ids(got.flags), id).toEqual(ids(one.flags));
      expect(ids(got.observations), id).toEqual(ids(one.observations));
      expect(ids(got.reports), id).toEqual(ids(one.reports));
      expect([...got.locations.keys()].sort(), id).toEqual([...one.locations.keys()].sort());
    }
    // The fixture is not empty where it matters: current encounters with their locations, flags, AI results.
    const first = together.get(patients[0]!)!;
    expect(first.encounters.map((e) => e.status).sort()).toEqual(['arrived', 'in-progress']);
    expect(first.locations.size).toBe(2);
    expect(first.flags).toHaveLength(1);
    expect(together.get(patients[2]!)!.observations).toHaveLength(2); // ESI + AI result
    expect(together.get(patients[3]!)!.encounters).toHaveLength(2); // absolute subject references too
    expect(together.get('missing-patient')!.patient).toBeUndefined();
  });

  it.skipIf(!usable)('indexes every study at start with one read in flight at a time', async () => {
    const { reader, max, calls } = counting(client);
    const one: string[] = [];
    const many: string[][] = [];
    const worklist = new WorklistService({
      source: new WorklistSource(reader, WORKLIST_DEFAULTS.setting.encounterStatuses),
      dicom: {
        facts: async (uid) => {
          one.push(uid);
          return undefined;
        },
        factsOf: async (uids) => {
          many.push(uids);
          return new Map();
        },
      },
      config: WORKLIST_DEFAULTS,
      onWrite: (listener) => fhir.onWrite(listener),
      logger: createLogger('silent'),
    });
    try {
      await worklist.start();
      const page = JSON.parse(worklist.list({ status: 'all', offset: 0, limit: 100 }, allowAll).body.toString()) as {
        total: number;
      };
      expect(page.total).toBe(studies.length);
      expect(max()).toBe(1);
      // The studies page, one slice of patients (6 searches, 3 Location reads), no read per study (no orders to find).
      expect(calls()).toBe(1 + 6 + 3);
      // The DICOM facts of all the studies in one read, none study by study.
      expect(many).toHaveLength(1);
      expect(many[0]).toHaveLength(studies.length);
      expect(one).toEqual([]);
    } finally {
      worklist.close();
    }
  });
  it.skipIf(!usable)(
    'reads the contexts of new patients of a batch of writes together, and lists what a fresh load lists',
    async () => {
      const { reader, calls } = counting(client);
      const many: string[][] = [];
      const dicom = {
        facts: async () => undefined,
        factsOf: async (uids: string[]) => {
          many.push(uids);
          return new Map();
        },
      };
      const open = (r: Pick<FhirClient, 'read' | 'searchAll'>) =>
        new WorklistService({
          source: new WorklistSource(r, WORKLIST_DEFAULTS.setting.encounterStatuses),
          dicom,
          config: WORKLIST_DEFAULTS,
          onWrite: (listener) => fhir.onWrite(listener),
          logger: createLogger('silent'),
          settleMs: 200,
        });
      const worklist = open(reader);
      const fresh: WorklistService[] = [];
      try {
        await worklist.start();
        const atStart = calls();
        many.length = 0;
        // Five new patients, each with a study (and a flag for one), written within one settle window.
        const created: string[] = [];
        for (let k = 0; k < 5; k++) {
          const id = (
            await client.create({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: `N${k}` }] })
          ).id!;
          if (k === 2)
            await client.create({
              resourceType: 'Flag',
              status: 'active',
              code: { text: 'isolation' },
              subject: { reference: `Patient/${id}` },
            });
          created.push(
            (
              await client.create({
                resourceType: 'ImagingStudy',
                status: 'available',
                identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:1.2.826.0.1.3680043.10.1456.56.${k}` }],
                subject: { reference: `Patient/${id}` },
                started: new Date(Date.now() - k * 60_000).toISOString(),
              })
            ).id!,
          );
        }
        await worklist.idle();
        // One read per study, six searches for all the new patients (not six each), their facts in one read.
        expect(calls() - atStart).toBe(5 + 6);
        expect(many).toEqual([expect.arrayContaining(created.map((_, k) => `1.2.826.0.1.3680043.10.1456.56.${k}`))]);
        // The same list as a worklist that loads everything from scratch.
        const page = (w: WorklistService) =>
          JSON.parse(w.list({ status: 'all', offset: 0, limit: 100 }, allowAll).body.toString()).items as unknown[];
        const again = open(client);
        fresh.push(again);
        await again.start();
        expect(page(worklist)).toHaveLength(studies.length + 5);
        expect(page(worklist)).toEqual(page(again));
      } finally {
        worklist.close();
        for (const w of fresh) w.close();
      }
    },
  );
});
