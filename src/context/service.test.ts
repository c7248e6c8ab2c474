import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AiResultsService } from '../ai-results/service.js';
import { inProcessFhirClient } from '../fhir/client/index.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';
import { TEST_BASE } from '../fhir/repository/test-support.js';
import { openTestRouter } from '../fhir/rest/test-support.js';
import type { FhirResource } from '../fhir/types.js';
import { allowAll, type AccessPolicy } from './access-policy.js';
import { parseContextQuery } from './params.js';
import { ContextService } from './service.js';

/** A policy as the security issue will build one: scopes (types) and a patient compartment. */
const policy = (o: { types?: string[]; writes?: string[]; patient?: string }): AccessPolicy => ({
  description: 'test token',
  canRead: (t) => !o.types || o.types.includes(t),
  canWrite: (t) => !o.writes || o.writes.includes(t),
  canSeePatient: (id) => !o.patient || o.patient === id,
  canSee: () => true,
});

describe('ContextService and AI results through an AccessPolicy', () => {
  let t: ReturnType<typeof openTestRouter>;
  let service: ContextService;
  let patient: FhirResource;
  const statusOf = async (p: Promise<unknown>) => p.then(() => 200, (e: OperationOutcomeError) => e.status);

  beforeEach(async () => {
    t = openTestRouter();
    const client = inProcessFhirClient(t.router, TEST_BASE);
    const server = { name: 'embedded', client };
    service = new ContextService({ clinical: server, imaging: server, dicomWebBase: 'http://ib.test/dicomweb', timeoutMs: 5000, maxPerSection: 2 });
    patient = (await t.call('POST', 'Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: '1' }] })).body;
    const subject = { reference: `Patient/${patient.id}` };
    for (const v of [1, 2, 3]) await t.call('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: `o${v}` }, subject, valueInteger: v });
    await t.call('POST', 'Condition', { resourceType: 'Condition', code: { text: 'x' }, subject });
    await t.call('POST', 'ImagingStudy', { resourceType: 'ImagingStudy', status: 'available', subject, identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3' }] });
  });
  afterEach(() => t.close());

  it('does not query a section whose types the caller may not read, and lists it as denied', async () => {
    const { context } = await service.assemble(parseContextQuery(new URLSearchParams(`patient=${patient.id}`)), policy({ types: ['Patient', 'Condition'] }));
    expect(context.conditions).toHaveLength(1);
    expect(context.observations).toBeNull();
    expect(context.sources.find((s) => s.section === 'observations')).toMatchObject({ status: 'denied', durationMs: 0, error: 'test token: may not read Observation' });
    expect(context.complete).toBe(false);
  });

  it('answers 403 for a patient outside the caller\'s compartment, 404 for an unknown one', async () => {
    expect(await statusOf(service.assemble(parseContextQuery(new URLSearchParams(`patient=${patient.id}`)), policy({ patient: 'someone-else' })))).toBe(403);
    expect(await statusOf(service.assemble(parseContextQuery(new URLSearchParams('identifier=urn:mrn|2')), allowAll))).toBe(404);
  });

  it('reports a section with more matches than one page as truncated, not complete', async () => {
    const { context } = await service.assemble(parseContextQuery(new URLSearchParams(`patient=${patient.id}&include=observations`)), allowAll);
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
