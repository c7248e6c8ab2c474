/**
 * "No PHI in application logs": a patient with unmistakable name, identifier and birth date
 * goes through every data path (STOW, QIDO by name and ID, metadata, FHIR create/search, the
 * context API, malformed requests that fail with errors) while the server logs at debug level;
 * none of those values may appear in the log lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctInstance } from '../../src/dicom/test-support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { multipartBody } from '../support/multipart.js';

const NAME = 'Zyxwvutsrq^Qwertyuiop';
const FAMILY = 'Zyxwvutsrq';
const GIVEN = 'Qwertyuiop';
const PATIENT_ID = 'PHIMRN-98765-4321';
const STUDY = '1.2.826.0.1.3680043.10.1456.88.771';

describe('application logs hold no PHI', () => {
  const lines: string[] = [];
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({}, { logTo: { write: (l: string) => lines.push(l) } });
  });
  afterAll(() => server?.stop());

  it('keeps names, identifiers and birth dates out of debug logs on success and failure paths', async () => {
    const file = ctInstance({
      patientName: NAME,
      patientId: PATIENT_ID,
      study: STUDY,
      series: `${STUDY}.1`,
      sop: `${STUDY}.1.1`,
    });
    const { body, contentType } = multipartBody([file]);
    expect(
      (await fetch(`${server.dicomweb}/studies`, { method: 'POST', headers: { 'content-type': contentType }, body }))
        .status,
    ).toBe(200);
    // A conflicting duplicate (same SOP UID, other content) fails with a reason.
    const clash = multipartBody([
      ctInstance({
        patientName: `${FAMILY}^Other`,
        patientId: PATIENT_ID,
        study: STUDY,
        series: `${STUDY}.1`,
        sop: `${STUDY}.1.1`,
        description: 'changed',
      }),
    ]);
    await (
      await fetch(`${server.dicomweb}/studies`, {
        method: 'POST',
        headers: { 'content-type': clash.contentType },
        body: clash.body,
      })
    ).arrayBuffer();
    for (const q of [
      `PatientName=${FAMILY}*`,
      `PatientID=${PATIENT_ID}`,
      `PatientName=${FAMILY}&PatientBirthDate=19700101-19800101`,
      `PatientName=${FAMILY}&badkeyword=${GIVEN}`,
    ]) {
      await (await fetch(`${server.dicomweb}/studies?${q}`)).arrayBuffer();
    }
    await (await fetch(`${server.dicomweb}/studies/${STUDY}/metadata`)).arrayBuffer();
    const patient = {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:mrn', value: PATIENT_ID }],
      name: [{ family: FAMILY, given: [GIVEN] }],
      birthDate: '1971-03-04',
    };
    const created = await fetch(`${server.url}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(patient),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    await (await fetch(`${server.url}/fhir/Patient?name=${FAMILY}&identifier=urn:mrn|${PATIENT_ID}`)).arrayBuffer();
    // Invalid resources that echo the values back to the client (not to the log).
    await (
      await fetch(`${server.url}/fhir/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ ...patient, birthDate: `${GIVEN}-not-a-date` }),
      })
    ).arrayBuffer();
    await (
      await fetch(`${server.url}/fhir/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: `{"resourceType":"Patient","name":[{"family":"${FAMILY}"`,
      })
    ).arrayBuffer();
    await (await fetch(`${server.url}/api/context?patient=${id}`)).arrayBuffer();
    await (await fetch(`${server.url}/api/context?identifier=urn:mrn|${PATIENT_ID}`)).arrayBuffer();
    await (await fetch(`${server.url}/api/context?identifier=urn:mrn|${GIVEN}-unknown`)).arrayBuffer();
    // Let the bridge sync the study (it logs its own progress).
    await new Promise((r) => setTimeout(r, 1500));

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(10); // the logger really was at debug level
    for (const phi of [FAMILY, GIVEN, PATIENT_ID, '19710304', '1971-03-04']) {
      const hit = lines.find((l) => l.includes(phi));
      expect(hit, `log line holds "${phi}": ${hit?.slice(0, 300)}`).toBeUndefined();
    }
    expect(log).toContain('"path":"/dicomweb/studies"');
  });
});
