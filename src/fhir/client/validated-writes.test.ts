import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedFhir } from '../embedded.js';
import type { Bundle, FhirResource } from '../types.js';
import { FhirServerError, inProcessFhirClient, type FhirClient } from './index.js';

// Not valid R4: `gender` has a required binding, `colour` is no element of Patient.
const invalidPatient = { resourceType: 'Patient', gender: 'blue', colour: 'red' } as unknown as FhirResource;

const transaction = (resource: FhirResource): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    { fullUrl: 'urn:uuid:6a1f0e5c-1d2b-4c3d-9e8f-0a1b2c3d4e5f', resource, request: { method: 'POST', url: 'Patient' } },
  ],
});

/**
 * The bridge validates what it writes (validate-before-write.ts) and the embedded server then
 * trusts its client instead of validating a second time; every other caller is validated.
 */
describe('in-process writes of a caller that validates them itself', () => {
  let dataDir: string;
  let close: () => void;
  let checked: FhirClient;
  let trusting: FhirClient;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ib-validated-writes-'));
    const fhir = openEmbeddedFhir({ dataDir, publicUrl: 'http://ib.test', section: undefined });
    close = () => fhir.close();
    checked = inProcessFhirClient(fhir.router, 'http://ib.test/fhir');
    trusting = inProcessFhirClient(fhir.router, 'http://ib.test/fhir', { validatedWrites: true });
  });
  afterEach(() => {
    close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses an invalid resource from an ordinary in-process client with 400, create and transaction alike', async () => {
    const create = await checked.create(invalidPatient).catch((e: unknown) => e);
    expect(create).toBeInstanceOf(FhirServerError);
    expect((create as FhirServerError).status).toBe(400);
    const tx = await checked.transaction(transaction(invalidPatient)).catch((e: unknown) => e);
    expect((tx as FhirServerError).status).toBe(400);
    expect(await checked.searchAll('Patient')).toHaveLength(0);
  });

  it('stores the writes of a validating client without checking them again, inside transactions too', async () => {
    const created = await trusting.create(invalidPatient);
    expect(created.gender).toBe('blue');
    const updated = await trusting.update({ ...created, gender: 'green' } as FhirResource);
    expect(updated.meta?.versionId).toBe('2');
    const tx = await trusting.transaction(transaction(invalidPatient));
    expect(tx.entry?.[0]?.response?.status).toMatch(/^201/);
    expect(await checked.searchAll('Patient')).toHaveLength(2);
  });
});
