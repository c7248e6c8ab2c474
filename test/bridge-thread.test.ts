/**
 * bridge.thread: the DICOM → FHIR sync on its own thread (src/bridge/sync/bridge-thread.ts).
 * What it writes into the embedded store must reach the server's write listeners as before: the
 * worklist, which learns of ImagingStudies only through them (EmbeddedFhir.onWrite), lists the
 * study; a release from quarantine syncs at once through the thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { getJson, imagingStudies, stow, type Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const CONFIG = { bridge: { thread: true, debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };
let n = 0;
const uid = (tag: number) => `${ROOT}.78.${process.pid}.${tag}.${++n}`;

describe('the bridge on its own thread (bridge.thread)', () => {
  let server: TestServer;
  let fhir: string;
  beforeAll(async () => {
    server = await startTestServer({}, { configFile: CONFIG });
    fhir = `${server.url}/fhir`;
  });
  afterAll(async () => server?.stop());

  it('writes the ImagingStudy, and the worklist (a write listener of the server) lists it', async () => {
    const study = uid(1);
    const series = uid(2);
    const files = [1, 2].map(() => ctInstance({ study, series, sop: uid(3), patientId: 'MRN-T1' }));
    expect(await stow(server.url, files)).toBe(200);
    const is = await waitFor(
      async () => (await imagingStudies(fhir, study)).find((s: Json) => s.numberOfInstances === 2),
      { timeoutMs: 30_000, what: 'the ImagingStudy' },
    );
    expect(is).toMatchObject({ status: 'available', numberOfSeries: 1, numberOfInstances: 2 });
    const listed = await waitFor(
      async () => {
        const body = (await getJson(`${server.url}/api/worklist`)).body;
        return body.items?.find((i: Json) => i.studyInstanceUid === study);
      },
      { timeoutMs: 5000, what: 'the study in the worklist' },
    );
    expect(listed.studyInstanceUid).toBe(study);
    const status = (await getJson(`${server.url}/api/sync/status`)).body;
    expect(status).toMatchObject({ enabled: true, capabilities: { reachable: true } });
  });

  it('syncs a study released from quarantine through the thread', async () => {
    const study = uid(4);
    const series = uid(5);
    // Two patients in one study: held.
    const files = [
      ctInstance({ study, series, sop: uid(6), patientId: 'MRN-T2' }),
      ctInstance({ study, series, sop: uid(6), patientId: 'MRN-T3' }),
    ];
    expect(await stow(server.url, files)).toBe(200);
    await waitFor(
      async () => {
        const body = (await getJson(`${server.url}/api/quarantine`)).body;
        return body.studies?.some((s: Json) => s.studyUid === study) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'the study held' },
    );
    expect(await imagingStudies(fhir, study)).toEqual([]);
    const released = await fetch(`${server.url}/api/quarantine/${study}/release?comment=checked`, { method: 'POST' });
    expect(released.status).toBe(200);
    // release() returns once the thread synced it.
    expect(await imagingStudies(fhir, study)).toHaveLength(1);
  });
});
