/**
 * Finding 11 (low): the context API (GET /api/context) told whether a patient exists — 403 for
 * an existing MRN or id of another patient, 404 for a missing one — and filled its sections with
 * searches while checking only the `r` of the caller's scopes. Now a patient the caller may not
 * see is answered exactly like a missing one (404, same OperationOutcome), its audit record
 * still naming the patient asked for; every section (and a patient asked by identifier) needs
 * the `s` of the scopes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/http.js';
import { MRN_SYSTEM } from '../../src/demo/identifiers.js';
import { startSmartBench, type SmartBench } from './harness.js';

const byMrn = (mrn: string) => `identifier=${encodeURIComponent(`${MRN_SYSTEM}|${mrn}`)}`;

describe('context API (finding 11)', () => {
  let bench: SmartBench;
  let own: string;
  let other: string;
  let otherMrn: string;
  let ownMrn: string;
  let attacker: string;

  beforeAll(async () => {
    bench = await startSmartBench();
    const patients = (await bench.get('/fhir/Patient?_count=2', bench.admin)).body.entry.map(
      (e: Json) => e.resource,
    ) as Json[];
    const mrnOf = (p: Json) => (p.identifier as Json[]).find((i) => i.system === MRN_SYSTEM).value as string;
    [own, other] = patients.map((p) => p.id as string);
    [ownMrn, otherMrn] = patients.map(mrnOf);
    attacker = await bench.token({ scope: 'patient/*.rs', patient: own! });
  }, 180_000);
  afterAll(() => bench?.stop());

  it("answers another patient's id or MRN exactly like a missing one (404), and records whom the probe named", async () => {
    const before = bench.auditHead();
    const probes: [string, string, string][] = [
      [`patient=${other}`, `patient=0f6c1d2e-1111-4000-8000-00000000dead`, other],
      [byMrn(otherMrn), byMrn('IBD-NO-SUCH-MRN'), other],
    ];
    for (const [existing, missing, id] of probes) {
      const a = await bench.get(`/api/context?${existing}`, attacker);
      const b = await bench.get(`/api/context?${missing}`, attacker);
      expect([a.status, b.status]).toEqual([404, 404]);
      expect(a.headers.get('content-type')).toBe(b.headers.get('content-type'));
      expect(a.body.resourceType).toBe('OperationOutcome');
      // The same OperationOutcome, but for the value asked for.
      const asked = (q: string) => decodeURIComponent(q.split('=')[1]!);
      expect(a.text.replace(asked(existing), 'X')).toBe(b.text.replace(asked(missing), 'X'));
      // Asked by MRN, the answer does not give the Patient's id away either.
      if (existing.startsWith('identifier')) expect(a.text).not.toContain(id);
    }
    const records = bench.auditSince(before);
    expect(records).toHaveLength(4);
    expect(records.every((e) => e.outcome === '4')).toBe(true);
    // Both probes of the existing patient are on record with that patient; the missing id with its id.
    const naming = records.filter((e) => JSON.stringify(e.entity).includes(`Patient/${other}`));
    expect(naming).toHaveLength(2);
    // The caller's own patient still answers, by id and by MRN.
    expect((await bench.get(`/api/context?patient=${own}`, attacker)).status).toBe(200);
    expect((await bench.get(`/api/context?${byMrn(ownMrn)}&include=conditions`, attacker)).status).toBe(200);
  });

  it('needs the search permission for every section filled by a search, and for a patient asked by MRN', async () => {
    const readOnly = await bench.token({ scope: 'user/Patient.r user/Condition.r user/Observation.rs' });
    const r = await bench.get(`/api/context?patient=${other}&include=conditions,observations`, readOnly);
    expect(r.status).toBe(200);
    expect(r.body.conditions).toBeNull();
    expect(r.body.sources).toContainEqual(
      expect.objectContaining({
        section: 'conditions',
        status: 'denied',
        error: expect.stringContaining('may not search Condition'),
      }),
    );
    expect(Array.isArray(r.body.observations)).toBe(true);
    expect(r.body.complete).toBe(false);
    // An MRN is looked up by a search: Patient.r alone does not do.
    const byIdentifier = await bench.get(`/api/context?${byMrn(otherMrn)}&include=observations`, readOnly);
    expect(byIdentifier.status).toBe(403);
    expect(byIdentifier.body.issue[0].code).toBe('forbidden');
    const withSearch = await bench.token({ scope: 'user/Patient.rs user/Observation.rs' });
    expect((await bench.get(`/api/context?${byMrn(otherMrn)}&include=observations`, withSearch)).status).toBe(200);
  });
});
