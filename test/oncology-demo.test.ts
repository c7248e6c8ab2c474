/**
 * The demo's oncology cohort, loaded into the real server: the tumor-board summaries show every
 * RECIST 1.1 category (measurements point at their studies by StudyInstanceUID, so they are
 * placed once the bridge has written the ImagingStudies).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDataset } from '../src/demo/dataset.js';
import { MRN_SYSTEM } from '../src/demo/identifiers.js';
import { getJson, type Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const FAST_BRIDGE = { bridge: { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };
const oncology = demoDataset().records.filter((r) => r.patient.cohort === 'oncology');

describe('the demo oncology cohort', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ demo: 'true' }, { configFile: FAST_BRIDGE });
    const last = oncology.at(-1)!.studies.at(-1)!.uid;
    await waitFor(
      async () =>
        (
          await getJson(
            `${server.url}/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${last}`)}`,
          )
        ).body.entry?.[0],
      { timeoutMs: 60_000, what: 'the demo ImagingStudies' },
    );
  });
  afterAll(async () => server?.stop());

  it('shows CR, PR, SD, PD and NE, with the warnings the records were built to raise', async () => {
    const summaries: Json[] = [];
    for (const r of oncology) {
      const id = encodeURIComponent(`${MRN_SYSTEM}|${r.patient.mrn}`);
      const { status, body } = await waitFor(
        async () => {
          const res = await getJson(`${server.url}/api/oncology/summary?identifier=${id}`);
          // Every study synced: every time point placed.
          return res.body.timepoints?.length === r.studies.length ? res : undefined;
        },
        { timeoutMs: 30_000, what: `the time points of ${r.patient.mrn}` },
      );
      expect(status).toBe(200);
      summaries.push(body);
    }
    const latest = summaries.map((s) => s.timepoints.at(-1).overallResponse);
    expect(new Set(latest)).toEqual(new Set(['CR', 'PR', 'SD', 'PD', 'NE']));
    expect(summaries[0].timepoints.at(-1).overallResponse).toBe('CR');
    expect(summaries[5].timepoints.at(-1).newLesions).toBe(true);
    expect(summaries[4].warnings.join('\n')).toMatch(/gap of 1\d weeks/);
    expect(summaries[8].warnings.join('\n')).toContain('modality changed from CT to MR');
    for (const s of summaries) {
      expect(s.diagnosis.length).toBeGreaterThan(0);
      expect(s.treatment.some((t: Json) => t.line === 1)).toBe(true);
      expect(s.markers.length).toBeGreaterThan(0);
    }
  });
});
