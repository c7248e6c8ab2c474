/** Shared tests of the FhirClient interface: every implementation must pass them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, FhirResource } from '../types.js';
import { FhirServerError, type FhirClient } from './index.js';

export interface OpenedClient {
  client: FhirClient;
  close(): Promise<void> | void;
}

const LOINC = 'http://loinc.org';

/** The behaviour every FhirClient implementation must have, whatever carries the requests. */
export function fhirClientSuite(name: string, open: () => Promise<OpenedClient>): void {
  describe(`FhirClient contract: ${name}`, () => {
    let opened: OpenedClient;
    let client: FhirClient;
    // Each run writes under its own family name / identifier system, so a shared server stays usable.
    const tag = `t${process.pid}x${Date.now().toString(36)}`;
    const system = `urn:test:${tag}`;
    beforeAll(async () => {
      opened = await open();
      client = opened.client;
    });
    afterAll(async () => {
      await opened?.close();
    });

    it('reads the CapabilityStatement of an R4 server', async () => {
      const cs = await client.capabilities();
      expect(cs.resourceType).toBe('CapabilityStatement');
      expect(cs.fhirVersion).toBe('4.0.1');
    });

    it('creates a resource and reads it back with its id and version', async () => {
      const created = await client.create({
        resourceType: 'Patient',
        name: [{ family: `${tag}read`, given: ['Ada'] }],
        gender: 'female',
      });
      expect(created.id).toBeTruthy();
      expect(created.meta?.versionId).toBe('1');
      const read = await client.read('Patient', created.id!);
      expect(read).toMatchObject({
        resourceType: 'Patient',
        id: created.id,
        gender: 'female',
        name: [{ family: `${tag}read` }],
      });
    });

    it('surfaces an unknown id as a FhirServerError 404 carrying the server OperationOutcome', async () => {
      const error = await client.read('Patient', 'does-not-exist-42').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FhirServerError);
      expect((error as FhirServerError).status).toBe(404);
      expect((error as FhirServerError).outcome.resourceType).toBe('OperationOutcome');
      expect((error as FhirServerError).message).not.toContain('does-not-exist-42');
    });

    it('rejects an invalid resource with a 400 naming the element', async () => {
      const error = await client.create({ resourceType: 'Observation', status: 'final' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FhirServerError);
      expect((error as FhirServerError).status).toBe(400);
      expect(JSON.stringify((error as FhirServerError).outcome)).toContain('Observation.code');
    });

    it('follows next links across several pages and collects every match once', async () => {
      const family = `${tag}page`;
      const made = await Promise.all(
        Array.from({ length: 7 }, (_, i) =>
          client.create({ resourceType: 'Patient', name: [{ family, given: [`G${i}`] }] }),
        ),
      );
      const pages: Bundle[] = [];
      for await (const page of client.pages('Patient', { family, _count: 3, _sort: '_id' })) pages.push(page);
      expect(pages.map((p) => p.entry?.length ?? 0)).toEqual([3, 3, 1]);
      const all = await client.searchAll('Patient', { family, _count: 3 });
      expect(all.map((p) => p.id).sort()).toEqual(made.map((p) => p.id).sort());
      expect((await client.searchAll('Patient', { family, _count: 2 }, { maxPages: 2 })).length).toBe(4);
    });

    it('keeps a literal + in search values (a time zone offset)', async () => {
      const patient = await client.create({ resourceType: 'Patient' });
      await client.create({
        ...observation(patient.id!, '2024-05-01T10:00:00+02:00'),
        identifier: [{ system, value: 'tz' }],
      });
      const hits = await client.searchAll('Observation', {
        subject: `Patient/${patient.id}`,
        date: 'ge2024-05-01T09:30:00+02:00',
      });
      expect(hits.length).toBe(1);
      const none = await client.searchAll('Observation', {
        subject: `Patient/${patient.id}`,
        date: 'ge2024-05-01T10:30:00+02:00',
      });
      expect(none.length).toBe(0);
    });

    it('creates conditionally: the first call creates, the second returns the same resource', async () => {
      const patient: FhirResource = { resourceType: 'Patient', identifier: [{ system, value: 'cond-1' }] };
      const first = await client.createIfNoneExist(patient, { identifier: `${system}|cond-1` });
      const second = await client.createIfNoneExist(patient, { identifier: `${system}|cond-1` });
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.resource.id).toBe(first.resource.id);
    });

    it('updates with If-Match and answers a stale version with 412', async () => {
      const created = await client.create({ resourceType: 'Patient', active: false });
      const updated = await client.update({ ...created, active: true }, { ifMatch: created.meta!.versionId });
      expect(updated.meta?.versionId).toBe('2');
      const stale = await client
        .update({ ...created, gender: 'other' }, { ifMatch: created.meta!.versionId })
        .catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(FhirServerError);
      expect((stale as FhirServerError).status).toBe(412);
      expect((await client.read('Patient', created.id!)).gender).toBeUndefined();
    });

    it('runs a transaction, resolving urn:uuid references, all or nothing', async () => {
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:6f9b1f0e-0000-4000-8000-000000000001',
            resource: { resourceType: 'Patient', identifier: [{ system, value: 'tx-1' }] },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            resource: { ...observation('x'), subject: { reference: 'urn:uuid:6f9b1f0e-0000-4000-8000-000000000001' } },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      };
      const response = await client.transaction(bundle);
      expect(response.type).toBe('transaction-response');
      expect(response.entry?.map((e) => e.response?.status.slice(0, 3))).toEqual(['201', '201']);
      const [patient] = await client.searchAll('Patient', { identifier: `${system}|tx-1` });
      expect(await client.searchAll('Observation', { subject: `Patient/${patient.id}` })).toHaveLength(1);

      const failing: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: { resourceType: 'Patient', identifier: [{ system, value: 'tx-2' }] },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            resource: { resourceType: 'Observation', status: 'final' },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      };
      expect(await client.transaction(failing).catch((e: unknown) => (e as FhirServerError).status)).toBe(400);
      expect(await client.searchAll('Patient', { identifier: `${system}|tx-2` })).toHaveLength(0);
    });
  });
}

function observation(patientId: string, when = '2024-05-01T10:00:00Z'): FhirResource {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '2339-0' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: when,
    valueQuantity: { value: 98, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
  };
}
