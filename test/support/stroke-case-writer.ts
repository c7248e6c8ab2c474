/** Writes a stroke case of the table (src/clinical/stroke/cases) to a FHIR server, for the tests that read it back. */
import type { Resource } from '@medplum/fhirtypes';
import { buildCase, type Case } from '../../src/clinical/stroke/test-support.js';
import type { FhirClient } from '../../src/fhir/client/index.js';
import type { Bundle } from '../../src/fhir/types.js';

const ROOT = '1.2.826.0.1.3680043.10.9999';

/** Writes one case's record with ids of its own; returns what to ask for. */
export async function writeCase(client: FhirClient, c: Case, n: number) {
  const p = `case${n}`;
  const study = { id: `${p}-s`, uid: `${ROOT}.${n}.1` };
  const other = { id: `${p}-o`, uid: `${ROOT}.${n}.2` };
  const built = buildCase(c, {
    patientId: `${p}-p`,
    study: `ImagingStudy/${study.id}`,
    otherStudy: `ImagingStudy/${other.id}`,
    idPrefix: `${p}-`,
  });
  const r = built.record;
  const imaging = [study, other].map((s) => ({
    resourceType: 'ImagingStudy',
    id: s.id,
    status: 'available',
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${s.uid}` }],
    subject: { reference: `Patient/${p}-p` },
    modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }],
    description: 'CT Head without contrast',
  }));
  const resources: Resource[] = [
    r.patient,
    ...(imaging as Resource[]),
    ...(r.observations ?? []),
    ...(r.conditions ?? []),
    ...(r.procedures ?? []),
    ...(r.medications
      ? [...r.medications.requests, ...r.medications.statements, ...r.medications.administrations]
      : []),
    ...(r.results ? [...r.results.observations, ...r.results.reports] : []),
  ];
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((x) => ({ resource: x, request: { method: 'PUT', url: `${x.resourceType}/${x.id}` } })),
  };
  const answer = (await client.transaction(bundle as unknown as Bundle).catch((e) => {
    throw new Error(`case ${n} (${c.name}): ${JSON.stringify(e.outcome ?? String(e)).slice(0, 500)}`);
  })) as unknown as { entry?: { response?: { status?: string } }[] };
  const bad = (answer.entry ?? []).filter((e) => !/^2/.test(e.response?.status ?? ''));
  if (bad.length || !answer.entry?.length)
    throw new Error(`writing case ${n} failed: ${JSON.stringify(answer).slice(0, 600)}`);
  return { patientId: `${p}-p`, studyUid: study.uid, ref: built.ref, assessedAt: built.assessedAt };
}
