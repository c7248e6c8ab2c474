import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../auth/principal.js';
import { allowAll, type ContextService, HiddenPatient, openContext, parseContextQuery } from '../../context/index.js';
import type { OperationOutcomeError } from '../../core/errors.js';
import { policyFor } from '../../fhir/access/scope-access.js';
import { type EmbeddedFhir, openEmbeddedFhir } from '../../fhir/embedded.js';
import type { FhirResource } from '../../fhir/types.js';
import { openStroke } from '../stroke/open.js';
import { parseStrokeQuery } from '../stroke/params.js';
import type { StrokeService } from '../stroke/service.js';
import { contextAnswer, strokeAnswer } from './answers.js';
import { ReadPool } from './read-pool.js';

const PUBLIC_URL = 'http://ib.test';
const q = (s: string) => parseContextQuery(new URLSearchParams(s));
/** The answer without what differs between two runs of the same read (timings, clock). */
const stable = (json: string) =>
  JSON.parse(json, (k, v) => (k === 'durationMs' || k === 'generatedAt' || k === 'timestamp' ? undefined : v));
const user = (scope: string, patient?: string): Principal => ({
  kind: 'user',
  subject: 'u1',
  scope,
  roles: [],
  ...(patient ? { patient } : {}),
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: OperationOutcomeError) => ({
      status: e.status,
      text: e.outcome.issue[0]?.diagnostics,
      hidden: e instanceof HiddenPatient ? e.patientId : undefined,
    }),
  );

describe('ReadPool: contexts and stroke checks on read threads over fhir.sqlite', () => {
  let dir: string;
  let fhir: EmbeddedFhir;
  let context: ContextService;
  let stroke: StrokeService;
  let pool: ReadPool;
  let patient: FhirResource;
  const policyOptions = () => ({ registry: fhir.registry, baseUrl: `${PUBLIC_URL}/fhir` });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-read-pool-'));
    fhir = openEmbeddedFhir({ dataDir: dir, publicUrl: PUBLIC_URL, section: undefined });
    const create = (r: Record<string, unknown>) => fhir.repository.create(r as never) as Promise<FhirResource>;
    patient = await create({
      resourceType: 'Patient',
      identifier: [{ system: 'urn:mrn', value: '1' }],
      gender: 'male',
      birthDate: '1950-01-01',
    });
    for (const value of ['2', '2'])
      await create({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value }] });
    const subject = { reference: `Patient/${patient.id}` };
    await create({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '777-3' }] },
      subject,
      effectiveDateTime: '2026-03-01T09:00:00Z',
      valueQuantity: { value: 85, unit: '10*3/uL', system: 'http://unitsofmeasure.org', code: '10*3/uL' },
    });
    await create({ resourceType: 'Condition', code: { text: 'hypertension' }, subject });
    context = openContext({ sections: {}, embeddedFhir: fhir.router, publicUrl: PUBLIC_URL });
    stroke = openStroke({ sections: {}, embeddedFhir: fhir.router, publicUrl: PUBLIC_URL, context });
    pool = new ReadPool({
      size: 2,
      worker: { fhirFile: join(dir, 'fhir.sqlite'), publicUrl: PUBLIC_URL, sections: {} },
      context,
      stroke,
    });
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
    await fhir?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a context and a stroke check on a thread exactly as in process', async () => {
    const before = { ...pool.counts };
    for (const s of [`patient=${patient.id}`, 'identifier=urn:mrn|1&include=observations,conditions']) {
      const threaded = await pool.context(q(s), allowAll, false);
      const local = await contextAnswer(context, q(s), allowAll, false);
      expect(stable(threaded.json)).toEqual(stable(local.json));
      expect({ ...threaded, json: '' }).toEqual({ ...local, json: '' });
    }
    const bundle = JSON.parse((await pool.context(q(`patient=${patient.id}`), allowAll, true)).json);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(bundle.entry[0].resource).toMatchObject({ resourceType: 'Patient', id: patient.id });
    const sq = parseStrokeQuery(new URLSearchParams(`patient=${patient.id}&at=2026-03-01T10:00:00Z`));
    const threaded = await pool.stroke(sq, allowAll);
    const local = await strokeAnswer(stroke, sq, allowAll);
    expect(stable(threaded.json)).toEqual(stable(local.json));
    expect(JSON.parse(threaded.json).factors.find((f: { id: string }) => f.id === 'platelets').status).toBe('present');
    expect(pool.counts.threads - before.threads).toBe(4);
    expect(pool.counts.inProcess).toBe(before.inProcess);
  });

  it('sees a write committed on the server connection in the next read (WAL reader, no stale snapshot)', async () => {
    const count = async () =>
      JSON.parse((await pool.context(q(`patient=${patient.id}&include=conditions`), allowAll, false)).json).conditions
        .length as number;
    const start = await count();
    for (let i = 1; i <= 3; i++) {
      await fhir.repository.create({
        resourceType: 'Condition',
        code: { text: `c${i}` },
        subject: { reference: `Patient/${patient.id}` },
      } as never);
      expect(await count()).toBe(start + i);
    }
  });

  it('answers the same errors as in process: 404, 409, and a hidden patient as 404 naming it for the audit', async () => {
    const both = async (s: string, policy = allowAll) => {
      const threaded = await failure(pool.context(q(s), policy, false));
      expect(threaded).toEqual(await failure(contextAnswer(context, q(s), policy, false)));
      return threaded;
    };
    expect(await both('patient=nobody')).toEqual({ status: 404, text: 'no Patient with id nobody', hidden: undefined });
    expect((await both('identifier=urn:mrn|2'))?.status).toBe(409);
    const outside = policyFor(user('patient/*.rs', 'someone-else'), policyOptions());
    expect(await both(`patient=${patient.id}`, outside)).toEqual({
      status: 404,
      text: `no Patient with id ${patient.id}`,
      hidden: patient.id,
    });
    const noSearch = policyFor(user('user/Patient.r'), policyOptions());
    expect((await both('identifier=urn:mrn|1', noSearch))?.status).toBe(403);
  });

  it("rebuilds the caller's scopes on the thread: a section it may not search is denied there too", async () => {
    const scoped = policyFor(user('user/Patient.rs user/Condition.rs'), policyOptions());
    const s = `patient=${patient.id}&include=conditions,observations`;
    const threaded = JSON.parse((await pool.context(q(s), scoped, false)).json);
    expect(threaded.observations).toBeNull();
    expect(threaded.conditions.length).toBeGreaterThan(0);
    expect(threaded.sources.find((x: { section: string }) => x.section === 'observations')).toMatchObject({
      status: 'denied',
    });
    expect(stable(JSON.stringify(threaded))).toEqual(stable((await contextAnswer(context, q(s), scoped, false)).json));
  });

  it('answers in process a policy that cannot travel to a thread (no principal), and honours it', async () => {
    const before = pool.counts.inProcess;
    const custom = { ...allowAll, description: 'custom', canSearch: (t: string) => t !== 'Condition' };
    const answer = JSON.parse((await pool.context(q(`patient=${patient.id}&include=conditions`), custom, false)).json);
    expect(answer.conditions).toBeNull();
    expect(pool.counts.inProcess).toBe(before + 1);
  });

  it('answers in process a request that cannot be cloned to a thread', async () => {
    const before = pool.counts.inProcess;
    const odd = { ...user('user/*.rs'), extra: () => 1 } as unknown as Principal;
    const answer = JSON.parse((await pool.context(q(`patient=${patient.id}`), policyFor(odd), false)).json);
    expect(answer.patient.id).toBe(patient.id);
    expect(pool.counts.inProcess).toBe(before + 1);
  });

  it('hands the reads of a thread that dies to the in-process services, and starts new threads after', async () => {
    const s = `patient=${patient.id}&include=conditions`;
    const expected = stable((await contextAnswer(context, q(s), allowAll, false)).json);
    const before = pool.counts.inProcess;
    const reads = Array.from({ length: 20 }, () => pool.context(q(s), allowAll, false));
    await pool.kill();
    for (const r of await Promise.all(reads)) expect(stable(r.json)).toEqual(expected);
    expect(pool.counts.inProcess).toBeGreaterThan(before);
    const threadedBefore = pool.counts.threads;
    expect(stable((await pool.context(q(s), allowAll, false)).json)).toEqual(expected);
    expect(pool.counts.threads).toBe(threadedBefore + 1);
  });

  it('never starts more threads than its size under many concurrent reads', async () => {
    await Promise.all(Array.from({ length: 40 }, () => pool.context(q(`patient=${patient.id}`), allowAll, false)));
    expect(pool.threads).toBeLessThanOrEqual(2);
    expect(pool.threads).toBeGreaterThanOrEqual(1);
  });

  it('ends a thread left without reads for idleMs, and starts a new one for the next read', async () => {
    const resting = new ReadPool({
      size: 1,
      worker: { fhirFile: join(dir, 'fhir.sqlite'), publicUrl: PUBLIC_URL, sections: {} },
      context,
      idleMs: 300,
    });
    try {
      const s = `patient=${patient.id}`;
      const expected = stable((await contextAnswer(context, q(s), allowAll, false)).json);
      expect(stable((await resting.context(q(s), allowAll, false)).json)).toEqual(expected);
      expect(resting.threads).toBe(1);
      await expect.poll(() => resting.threads, { timeout: 10_000 }).toBe(0);
      expect(stable((await resting.context(q(s), allowAll, false)).json)).toEqual(expected);
      // Both answered on a thread; an ended idle thread is not a failed start.
      expect(resting.counts).toEqual({ threads: 2, inProcess: 0 });
      expect(resting.usable).toBe(true);
    } finally {
      await resting.close();
    }
  }, 60_000);
});

describe('ReadPool whose threads cannot open the store', () => {
  it('answers every read in process, and stops starting threads after three failed starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-read-pool-bad-'));
    const fhir = openEmbeddedFhir({ dataDir: dir, publicUrl: PUBLIC_URL, section: undefined });
    const p = (await fhir.repository.create({ resourceType: 'Patient' } as never)) as FhirResource;
    const context = openContext({ sections: {}, embeddedFhir: fhir.router, publicUrl: PUBLIC_URL });
    const pool = new ReadPool({
      size: 1,
      worker: { fhirFile: join(dir, 'missing.sqlite'), publicUrl: PUBLIC_URL, sections: {} },
      context,
    });
    try {
      for (let i = 0; i < 4; i++) {
        const a = JSON.parse((await pool.context(q(`patient=${p.id}`), allowAll, false)).json);
        expect(a.patient.id).toBe(p.id);
      }
      expect(pool.usable).toBe(false);
      expect(pool.counts).toEqual({ threads: 0, inProcess: 4 });
    } finally {
      await pool.close();
      await fhir.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
