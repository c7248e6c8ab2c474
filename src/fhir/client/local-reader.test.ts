import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedFhir, type EmbeddedFhir } from '../embedded.js';
import { FhirClientError, FhirServerError, inProcessFhirClient, LocalFhirReader, type FhirClient } from './index.js';

/** The local reader must be indistinguishable from the in-process client for reads and searches. */
describe('LocalFhirReader', () => {
  let dataDir: string;
  let fhir: EmbeddedFhir;
  let client: FhirClient;
  let reader: LocalFhirReader;
  let patientId: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ib-local-reader-'));
    fhir = openEmbeddedFhir({
      dataDir,
      publicUrl: 'http://ib.test',
      section: { server: { defaultCount: 3, maxCount: 5 } },
    });
    client = inProcessFhirClient(fhir.router, 'http://ib.test/fhir');
    reader = new LocalFhirReader(fhir.router, 'http://ib.test/fhir/');
    patientId = (await client.create({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: '1' }] })).id!;
    const enc = await client.create({
      resourceType: 'Encounter',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: `Patient/${patientId}` },
    });
    for (let i = 0; i < 7; i++) {
      await client.create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patientId}` },
        encounter: { reference: `Encounter/${enc.id}` },
        effectiveDateTime: `2024-01-0${i + 1}T00:00:00Z`,
        valueQuantity: { value: 60 + i, unit: '/min' },
      });
    }
  });

  afterAll(() => {
    fhir.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const searches: [string, [string, string][]][] = [
    [
      'Observation',
      [
        ['patient', 'PID'],
        ['_sort', '-date'],
        ['_count', '4'],
        ['_total', 'none'],
      ],
    ],
    [
      'Observation',
      [
        ['patient', 'PID'],
        ['_include', 'Observation:encounter'],
        ['_total', 'accurate'],
      ],
    ],
    [
      'Observation',
      [
        ['patient', 'PID'],
        ['_count', '50'],
      ],
    ],
    [
      'Observation',
      [
        ['patient', 'PID'],
        ['_summary', 'count'],
      ],
    ],
    [
      'Patient',
      [
        ['identifier', 'urn:mrn|1'],
        ['_elements', 'id'],
      ],
    ],
    ['Condition', [['patient', 'PID']]],
  ];

  it('answers searches with the Bundles the in-process client gets (entries, modes, totals, paging links)', async () => {
    for (const [type, params] of searches) {
      const p = params.map(([k, v]) => [k, v.replace('PID', patientId)] as [string, string]);
      expect(await reader.search(type, p), `${type}?${new URLSearchParams(p)}`).toEqual(await client.search(type, p));
    }
    expect(reader.baseUrl).toBe(client.baseUrl);
  });

  it('reads a resource as the client does', async () => {
    expect(await reader.read('Patient', patientId)).toEqual(await client.read('Patient', patientId));
  });

  it('fails with the same FhirServerError status and OperationOutcome as the client', async () => {
    const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      ['unknown id', () => reader.read('Patient', 'nope'), () => client.read('Patient', 'nope')],
      [
        'unknown parameter',
        () => reader.search('Observation', [['no-such-param', 'x']]),
        () => client.search('Observation', [['no-such-param', 'x']]),
      ],
      [
        'bad _count',
        () => reader.search('Observation', [['_count', '-1']]),
        () => client.search('Observation', [['_count', '-1']]),
      ],
      [
        'unknown type',
        () => reader.search('Nonsense', {}),
        () => client.search('Nonsense', {}).catch((e: unknown) => Promise.reject(e)),
      ],
    ];
    for (const [label, ours, theirs] of cases) {
      const a = await ours().then(
        () => undefined,
        (e: unknown) => e,
      );
      const b = await theirs().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(a, label).toBeInstanceOf(FhirServerError);
      if (b instanceof FhirServerError) {
        expect((a as FhirServerError).status, label).toBe(b.status);
        expect((a as FhirServerError).outcome, label).toEqual(b.outcome);
      }
    }
    await expect(reader.read('Patient', 'bad id!')).rejects.toBeInstanceOf(FhirClientError);
  });
});
