/** Shared by the encryption-at-rest suites: instances and a patient with unmistakable identifiers, and a scan of the data directory for them. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT, ctInstance, encapsulatedInstance } from '../../src/dicom/test-support.js';
import { splitMultipart, multipartBody } from '../support/multipart.js';

export const NAME = 'Qwertyuiopzx^Unmistakable';
export const MRN = 'MRN-ZXQV-987654321';
export const STUDY = `${ROOT}.4242.1`;
export const SERIES = `${STUDY}.2`;
export const SMALL_SOP = `${SERIES}.1`;
export const LARGE_SOP = `${SERIES}.2`;
/** Frames of 1.5 MB each: the instance goes to a file of its own (over the 4 MiB pack limit) and frames cross chunk boundaries. */
export const frames = [1, 2, 3].map((i) =>
  Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(1_500_000 + i * 1000, 0x40 + i), Buffer.from([0xff, 0xd9])]),
);
export const small = ctInstance({ study: STUDY, series: SERIES, sop: SMALL_SOP, patientName: NAME, patientId: MRN });
export const large = encapsulatedInstance({ study: STUDY, series: SERIES, sop: LARGE_SOP, patientId: MRN, frames });
export const NEEDLES = [NAME, 'Qwertyuiopzx', MRN, STUDY, SMALL_SOP].map((s) => Buffer.from(s, 'latin1'));
export const PATIENT = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.3.4', value: MRN }],
  name: [{ family: 'Qwertyuiopzx', given: ['Unmistakable'] }],
  birthDate: '1961-02-03',
};

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Files under `dir` whose content holds one of the needles. */
export function leaks(dir: string): string[] {
  const found: string[] = [];
  for (const f of filesUnder(dir)) {
    const bytes = readFileSync(f);
    for (const n of NEEDLES) if (bytes.includes(n)) found.push(`${f}: ${n.toString('latin1')}`);
  }
  return found;
}

/** Stores both instances and the patient. */
export async function storeAll(url: string, headers: Record<string, string>): Promise<void> {
  const { body, contentType } = multipartBody([small, large]);
  const stow = await fetch(`${url}/dicomweb/studies`, {
    method: 'POST',
    headers: { ...headers, 'content-type': contentType, accept: 'application/dicom+json' },
    body,
  });
  expect(stow.status).toBe(200);
  const patient = await fetch(`${url}/fhir/Patient`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(PATIENT),
  });
  expect(patient.status).toBe(201);
}

/** WADO-RS returns the exact bytes (whole instances, frames 3 and 1) and FHIR the patient. */
export async function expectServed(url: string, headers: Record<string, string>): Promise<void> {
  const wado = (path: string, accept: string) =>
    fetch(`${url}/dicomweb/studies/${STUDY}/series/${SERIES}/instances/${path}`, { headers: { ...headers, accept } });
  const whole = 'multipart/related; type="application/dicom"; transfer-syntax=*';
  for (const [sop, bytes] of [
    [LARGE_SOP, large],
    [SMALL_SOP, small],
  ] as const) {
    const res = await wado(sop, whole);
    expect(res.status).toBe(200);
    const [part] = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(part!.data.equals(bytes)).toBe(true);
  }
  const res = await wado(`${LARGE_SOP}/frames/3,1`, 'multipart/related; type="image/jpeg"');
  expect(res.status).toBe(200);
  const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
  expect(parts.map((p) => p.data.length)).toEqual([frames[2]!.length, frames[0]!.length]);
  expect(parts[0]!.data.equals(frames[2]!)).toBe(true);
  expect(parts[1]!.data.equals(frames[0]!)).toBe(true);
  const patients = await fetch(`${url}/fhir/Patient?identifier=${MRN}`, { headers });
  expect(patients.status).toBe(200);
  expect(await patients.text()).toContain('Qwertyuiopzx');
}
