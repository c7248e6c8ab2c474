import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ctInstance, ROOT } from '../../../test/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/in-process.js';
import { openResource, type FhirResource } from '../../fhir/types.js';
import { mapEndpoint, type ImagingStudy } from '../mapping/index.js';
import { getJson, imagingStudies, stow, waitFor, type Json } from './test-support.js';
import {
  findingsOf,
  InvalidResourceError,
  r4ResourceProblems,
  R4_VALIDATION_RULE,
  validateBeforeWrite,
} from './validate-before-write.js';

/** Studies whose description is BROKEN get a mapped ImagingStudy that is not valid R4 (a mapping bug, simulated). */
const BROKEN = 'BROKEN MAPPING';
vi.mock('../mapping/index.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../mapping/index.js')>();
  return {
    ...original,
    mapImagingStudy: (...args: Parameters<typeof original.mapImagingStudy>) => {
      const mapped = original.mapImagingStudy(...args);
      if (mapped.imagingStudy.description !== BROKEN) return mapped;
      const broken = structuredClone(mapped.imagingStudy) as ImagingStudy & Record<string, unknown>;
      Reflect.deleteProperty(broken.series![0]!, 'modality'); // 1..1 in R4
      broken.started = '2024-01-01T12:00:00'; // a time without offset: not an R4 dateTime (the embedded server would accept it)
      return { ...mapped, imagingStudy: broken };
    },
  };
});

const study: FhirResource = {
  resourceType: 'ImagingStudy',
  status: 'available',
  subject: { reference: 'urn:uuid:7f3b4a6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' },
  started: '2024-01-01T12:00:00+01:00',
  numberOfInstances: 1,
  series: [
    {
      uid: '1.2.3.4',
      modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
      instance: [
        { uid: '1.2.3.4.5', sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
      ],
    },
  ],
};

describe('validateBeforeWrite', () => {
  it('passes valid resources: an ImagingStudy, a Patient and the mapped Endpoint', () => {
    const patient: FhirResource = {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:imaging-bridge:patient-id', value: 'P1' }],
      gender: 'female',
      birthDate: '1970-01-01',
    };
    expect(() =>
      validateBeforeWrite([study, patient, openResource(mapEndpoint('http://ib.test/dicomweb'))]),
    ).not.toThrow();
  });

  it('names every problem of every resource: structure, unknown elements, required bindings, primitive formats, empty strings', () => {
    const broken = structuredClone(study) as Json;
    delete broken.series[0].modality;
    broken.status = 'done';
    broken.started = '2024-01-01T12:00:00';
    broken.description = '';
    broken.bogus = 1;
    const patient = { resourceType: 'Patient', gender: 'w', birthDate: '1970-13-40' } as FhirResource;
    let error: unknown;
    try {
      validateBeforeWrite([broken, patient]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidResourceError);
    const problems = (error as InvalidResourceError).problems.map((p) => p.expression);
    expect(problems).toEqual(
      expect.arrayContaining([
        'ImagingStudy.series[0].modality',
        'ImagingStudy.status',
        'ImagingStudy.started',
        'ImagingStudy.description',
        'ImagingStudy.bogus',
        'Patient.gender',
        'Patient.birthDate',
      ]),
    );
    expect((error as Error).message).toMatch(
      /^not written: invalid R4 ImagingStudy, Patient \(ImagingStudy\.series\[0\]\.modality: Missing required property/,
    );
    // The message names elements, not values (it goes to the log and the dead-letter list).
    expect((error as Error).message).not.toContain('1970-13-40');
    const findings = findingsOf(error as InvalidResourceError);
    expect(findings).toContainEqual(
      expect.objectContaining({
        rule: R4_VALIDATION_RULE,
        severity: 'error',
        tag: 'ImagingStudy.started',
        message: 'ImagingStudy not written: not a valid dateTime',
      }),
    );
  });

  it('reports one problem per element even when both checks catch it', () => {
    const problems = r4ResourceProblems({ ...study, started: 'yesterday' } as FhirResource);
    expect(problems.filter((p) => p.expression === 'ImagingStudy.started')).toHaveLength(1);
  });
});

describe('the sync writes no invalid resource (a broken mapped ImagingStudy)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      {},
      { configFile: { bridge: { debounceMs: 20, minIntervalMs: 50, maxDelayMs: 200, pollMs: 20 } } },
    );
  });
  afterAll(async () => server?.stop());

  it('parks the study as a dead letter with the validator message, records the findings, writes neither ImagingStudy nor Patient', async () => {
    let n = 0;
    const uid = (k: number) => `${ROOT}.81.${process.pid}.${k}.${++n}`;
    const broken = uid(1);
    const good = uid(1);
    const series = uid(2);
    expect(
      await stow(server.url, [
        ctInstance({ study: broken, series, sop: uid(3), patientId: 'VBW-1', description: BROKEN }),
      ]),
    ).toBe(200);
    expect(await stow(server.url, [ctInstance({ study: good, series: uid(2), sop: uid(3), patientId: 'VBW-2' })])).toBe(
      200,
    );

    const dead = await waitFor(
      async () => {
        const status = (await getJson(`${server.url}/api/sync/status`)).body;
        return (status.deadLetters as Json[]).find((d) => d.studyUid === broken);
      },
      15_000,
      'the dead letter',
    );
    expect(dead.lastError).toMatch(/^not written: invalid R4 ImagingStudy \(/);
    expect(dead.lastError).toContain('ImagingStudy.series[0].modality: Missing required property');
    expect(dead.lastError).toContain('ImagingStudy.started: not a valid dateTime');

    const dq = (await getJson(`${server.url}/api/data-quality?study=${broken}&severity=error`)).body;
    const tags = (dq.findings as Json[]).filter((f) => f.rule === R4_VALIDATION_RULE).map((f) => f.tag);
    expect(tags).toEqual(expect.arrayContaining(['ImagingStudy.series[0].modality', 'ImagingStudy.started']));

    const fhir = `${server.url}/fhir`;
    expect(await imagingStudies(fhir, broken)).toEqual([]);
    const patients = (
      await getJson(`${fhir}/Patient?identifier=${encodeURIComponent('urn:imaging-bridge:patient-id|VBW-1')}`)
    ).body;
    expect(patients.entry ?? []).toEqual([]);
    // The valid study next to it goes through.
    await waitFor(
      async () => ((await imagingStudies(fhir, good))[0]?.numberOfInstances === 1 ? true : undefined),
      15_000,
      'the valid study',
    );
  });
});
