import { MedplumClient, OperationOutcomeError as MedplumError } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type FhirJson = any;

/**
 * Our /fhir through a real socket with a FHIR client we did not write: Medplum's
 * MedplumClient (already a dependency through @medplum/core), with no authentication.
 */
describe('embedded FHIR server with MedplumClient over HTTP', () => {
  let server: TestServer;
  let client: MedplumClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new MedplumClient({
      baseUrl: `${server.url}/`,
      fhirUrlPath: 'fhir/',
      cacheTime: 0,
      fetch: (url: string, init: RequestInit) => fetch(url, init),
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reads the CapabilityStatement', async () => {
    const cs = await client.get(client.fhirUrl('metadata'));
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
  });

  it('creates, reads, updates, patches, searches and deletes a Patient', async () => {
    // @medplum/fhirtypes is not installed, so the client's resource types are loose: read them as FHIR JSON.
    const created: FhirJson = await client.createResource({
      resourceType: 'Patient',
      identifier: [{ system: 'urn:ib:mrn', value: 'E2E-1' }],
      name: [{ family: 'Client', given: ['Library'] }],
      birthDate: '1970-01-01',
    });
    expect(created.meta?.versionId).toBe('1');
    const read = await client.readResource('Patient', created.id!);
    expect(read.name?.[0].family).toBe('Client');
    const updated = await client.updateResource({ ...read, gender: 'female' });
    expect(updated.meta?.versionId).toBe('2');
    const patched = await client.patchResource('Patient', created.id!, [{ op: 'add', path: '/active', value: true }]);
    expect(patched.active).toBe(true);
    const found = await client.searchResources('Patient', { identifier: 'urn:ib:mrn|E2E-1', birthdate: 'lt1971' });
    expect(found.map((p) => p.id)).toEqual([created.id]);
    const history = await client.readHistory('Patient', created.id!);
    expect(history.entry?.length).toBe(3);
    const v1 = await client.readVersion('Patient', created.id!, '1');
    expect(v1.gender).toBeUndefined();
    await client.deleteResource('Patient', created.id!);
    await expect(client.readResource('Patient', created.id!)).rejects.toBeInstanceOf(MedplumError);
  });

  it('runs a transaction whose urn:uuid references resolve, then finds it by a chained search', async () => {
    const response = await client.executeBatch({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111',
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:ib:mrn', value: 'E2E-2' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '6301-6', display: 'INR' }] },
            subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' },
            valueQuantity: { value: 3.1, unit: '{INR}' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expect(response.type).toBe('transaction-response');
    const bundle = await client.search(
      'Observation',
      'subject:Patient.identifier=urn:ib:mrn|E2E-2&value-quantity=gt3&_include=Observation:subject',
    );
    expect(bundle.total).toBe(1);
    expect(bundle.entry?.map((e: { resource?: FhirJson }) => e.resource?.resourceType)).toEqual([
      'Observation',
      'Patient',
    ]);
  });

  it('surfaces a validation failure as an OperationOutcome naming the element', async () => {
    const error = await client
      .createResource({ resourceType: 'Observation', status: 'final' } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MedplumError);
    const issue = (error as MedplumError).outcome.issue?.[0];
    expect(issue?.expression).toEqual(['Observation.code']);
  });
});
