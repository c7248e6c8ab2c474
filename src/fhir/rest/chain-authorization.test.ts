import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../auth/principal.js';
import { openTestRouter } from './test-support.js';

const who = (scope: string, patient?: string): Principal => ({
  kind: 'client',
  clientId: 'app',
  scope,
  roles: [],
  patient,
});

describe('FHIR router: chained parameters authorized against the chained type', () => {
  let t: ReturnType<typeof openTestRouter>;
  let a: string;
  let b: string;
  let probe: string;
  beforeEach(async () => {
    t = openTestRouter();
    a = (await t.call('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Able' }] })).body.id;
    b = (await t.call('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Baker' }] })).body.id;
    probe = (
      await t.call('POST', 'Observation', {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'x' },
        subject: { reference: `Patient/${b}` },
        performer: [{ reference: `Patient/${a}` }],
      })
    ).body.id;
  });
  afterEach(() => t.close());

  it('refuses a chain into a type the token may not search, and answers it when it may', async () => {
    expect((await t.as(who('system/Observation.rs'))('GET', 'Observation?subject:Patient.name=Baker')).status).toBe(
      403,
    );
    expect((await t.as(who('system/Observation.rs'))('GET', 'Observation?subject.name=Baker')).status).toBe(403);
    const both = await t.as(who('system/Observation.rs system/Patient.rs'))(
      'GET',
      'Observation?subject:Patient.name=Baker&_summary=count',
    );
    expect(both.body.total).toBe(1);
  });

  it("keeps a patient token's chain inside its compartment", async () => {
    const asA = t.as(who('patient/Observation.rs patient/Patient.rs', a));
    expect((await asA('GET', `Observation?_id=${probe}&_summary=count`)).body.total).toBe(1);
    expect((await asA('GET', `Observation?_id=${probe}&subject:Patient.name=Baker&_summary=count`)).body.total).toBe(0);
    expect((await asA('GET', `Observation?subject:Patient.name=Baker`)).body.entry ?? []).toEqual([]);
    expect((await asA('GET', `Observation?performer:Patient.name=Able&_summary=count`)).body.total).toBe(1);
  });
});
