/** The sync validates before it writes: a mapping bug (simulated by a mock) parks the study instead of writing. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ImagingStudy } from '../src/bridge/mapping/index.js';
import { R4_VALIDATION_RULE } from '../src/bridge/sync/validate-before-write.js';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { getJson, imagingStudies, stow, type Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

/** Studies whose description is BROKEN get a mapped ImagingStudy that is not valid R4 (a mapping bug, simulated). */
const BROKEN = 'BROKEN MAPPING';
vi.mock('../src/bridge/mapping/index.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/bridge/mapping/index.js')>();
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
      { timeoutMs: 15_000, what: 'the dead letter' },
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
    await waitFor(async () => ((await imagingStudies(fhir, good))[0]?.numberOfInstances === 1 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the valid study',
    });
  });
});
