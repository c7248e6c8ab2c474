import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AiResultsService } from '../ai-results/service.js';
import { inProcessFhirClient } from '../fhir/client/index.js';
import type { OperationOutcomeError } from '../core/errors.js';
import { TEST_BASE } from '../fhir/repository/test-support.js';
import { openTestRouter } from '../fhir/rest/test-support.js';
import type { FhirResource } from '../fhir/types.js';
import { allowAll, type AccessPolicy } from '../fhir/access/access-policy.js';
import { parseContextQuery } from './params.js';
import { ContextService } from './service.js';

/** A policy as the security issue will build one: scopes (types) and a patient compartment. */
const policy = (o: { types?: string[]; searches?: string[]; writes?: string[]; patient?: string }): AccessPolicy => ({
  description: 'test token',
  canRead: (t) => !o.types || o.types.includes(t),
  canSearch: (t) => {
    const searches = o.searches ?? o.types;
    return !searches || searches.includes(t);
  },
  canWrite: (t) => !o.writes || o.writes.includes(t),
  canSeePatient: (id) => !o.patient || o.patient === id,
  canSee: () => true,
});

describe('ContextService and AI results through an AccessPolicy', () => {
  let t: ReturnType<typeof openTestRouter>;
  let service: ContextService;
  let patient: FhirResource;
  const statusOf = async (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: OperationOutcomeError) => e.status,
    );

  beforeEach(async () => {
    t = openTestRouter();
    const client = inProcessFhirClient(t.router, TEST_BASE);
    const server = { name: 'embedded', client };
    service = new ContextService({
      clinical: server,
      imaging: server,
      dicomWebBase: 'http://ib.test/dicomweb',
      timeoutMs: 5000,
      maxPerSection: 2,
    });
    patient = (
      await t.call('POST', 'Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: '1' }] })
    ).body;
    const subject = { reference: `Patient/${patient.id}` };
    for (const v of [1, 2, 3])
      await t.call('POST', 'Observation', {
        resourceType: 'Observation',
        status: 'final',
        code: { text: `o${v}` },
        subject,
        valueInteger: v,
      });
    await t.call('POST', 'Condition', { resourceType: 'Condition', code: { text: 'x' }, subject });
    await t.call('POST', 'ImagingStudy', {
      resourceType: 'ImagingStudy',
      status: 'available',
      subject,
      identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' }],
    });
  });
  afterEach(() => t.close());

  it('does not query a section whose types the caller may not read, and lists it as denied', async () => {
    const { context } = await service.assemble(
      parseContextQuery(new URLSearchParams(`patient=${patient.id}`)),
      policy({ types: ['Patient', 'Condition'] }),
    );
    expect(context.conditions).toHaveLength(1);
    expect(context.observations).toBeNull();
    expect(context.sources.find((s) => s.section === 'observations')).toMatchObject({
      status: 'denied',
      durationMs: 0,
      error: 'test token: may not search Observation',
    });
    expect(context.complete).toBe(false);
  });

  it("answers the same 404 for a patient outside the caller's compartment as for an unknown one (by id and by identifier)", async () => {
    const outside = policy({ patient: 'someone-else' });
    const answer = async (q: string, p: AccessPolicy) =>
      service.assemble(parseContextQuery(new URLSearchParams(q)), p).then(
        () => undefined,
        (e: OperationOutcomeError) => [e.status, e.outcome.issue[0]!.diagnostics],
      );
    expect(await answer(`patient=${patient.id}`, outside)).toEqual([404, `no Patient with id ${patient.id}`]);
    expect(await answer(`patient=${patient.id}x`, outside)).toEqual([404, `no Patient with id ${patient.id}x`]);
    expect(await answer('identifier=urn:mrn|1', outside)).toEqual([404, 'no Patient with identifier urn:mrn|1']);
    expect(await answer('identifier=urn:mrn|2', outside)).toEqual([404, 'no Patient with identifier urn:mrn|2']);
    expect(await answer('identifier=urn:mrn|2', allowAll)).toEqual([404, 'no Patient with identifier urn:mrn|2']);
  });

  it('needs the search permission for every section filled by a search, and for a patient asked by identifier', async () => {
    const readOnly = policy({ searches: [] });
    const { context } = await service.assemble(
      parseContextQuery(new URLSearchParams(`patient=${patient.id}&include=conditions,observations`)),
      readOnly,
    );
    expect(context.conditions).toBeNull();
    expect(context.sources.find((s) => s.section === 'observations')).toMatchObject({
      status: 'denied',
      error: 'test token: may not search Observation',
    });
    expect(
      await statusOf(service.assemble(parseContextQuery(new URLSearchParams('identifier=urn:mrn|1')), readOnly)),
    ).toBe(403);
    const { context: searched } = await service.assemble(
      parseContextQuery(new URLSearchParams(`patient=${patient.id}&include=conditions`)),
      policy({ searches: ['Condition'] }),
    );
    expect(searched.conditions).toHaveLength(1);
  });

  it('reports a section with more matches than one page as truncated, not complete', async () => {
    const { context } = await service.assemble(
      parseContextQuery(new URLSearchParams(`patient=${patient.id}&include=observations`)),
      allowAll,
    );
    expect(context.sources.find((s) => s.section === 'observations')).toMatchObject({ status: 'truncated', count: 2 });
    expect(context.complete).toBe(false);
  });

  it('refuses AI results the caller may not write, or for a patient outside its compartment, writing nothing', async () => {
    const ai = new AiResultsService({ fhir: inProcessFhirClient(t.router, TEST_BASE) });
    const body = { studyInstanceUid: '1.2.3', model: { name: 'm', version: '1' }, findings: [{ code: 'x' }] };
    expect(await statusOf(ai.submit(body, policy({ writes: ['Observation'] })))).toBe(403);
    expect(await statusOf(ai.submit(body, policy({ patient: 'someone-else' })))).toBe(403);
    expect((await t.call('GET', 'DiagnosticReport?_summary=count')).body.total).toBe(0);
    expect((await ai.submit(body, allowAll)).diagnosticReportId).toBeTruthy();
  });
});
