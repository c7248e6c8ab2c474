import type { ImagingStudy, Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { bodyParts, studyStart } from '../../clinical/worklist/read.js';
import { compactPatient, compactStudy, StringTable } from './compact.js';
import { accessionOf } from './source.js';
import { patientView, studyFields } from './view.js';

const CT = { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' };
const CHEST = { system: 'http://snomed.info/sct', code: '51185008', display: 'Chest' };

function study(id: string, instances: number): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    id,
    meta: { versionId: '3', lastUpdated: '2026-12-07T10:00:00Z', security: [{ system: 'urn:s', code: 'R' }] },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">narrative</div>' },
    identifier: [
      { system: 'urn:dicom:uid', value: `urn:oid:1.2.${id}` },
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
        value: `A${id}`,
      },
    ],
    status: 'available',
    subject: { reference: 'Patient/p1' },
    started: '2026-12-07T09:00:00Z',
    modality: [{ ...CT }],
    basedOn: [{ identifier: { value: `A${id}` } }],
    endpoint: [{ reference: 'Endpoint/dicomweb' }],
    description: 'CT CHEST W/O CONTRAST',
    series: [
      {
        uid: `1.2.${id}.1`,
        number: 1,
        modality: { ...CT },
        bodySite: { ...CHEST },
        instance: Array.from({ length: instances }, (_, i) => ({
          uid: `1.2.${id}.1.${i}`,
          sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
          number: i + 1,
        })),
      },
    ],
  };
}

describe('what the worklist keeps of a study and a patient', () => {
  it('drops the instance lists, the narrative and the version, and keeps what is read', () => {
    const table = new StringTable();
    const full = study('s1', 400);
    const kept = compactStudy(full, table);
    expect(kept.series?.[0]).not.toHaveProperty('instance');
    expect(kept).not.toHaveProperty('text');
    expect(kept.meta).toEqual({ security: [{ system: 'urn:s', code: 'R' }] });
    // The item, the rules and the order lookup read the same from both.
    expect(studyFields(kept)).toEqual(studyFields(full));
    expect(accessionOf(kept)).toEqual(accessionOf(full));
    expect(bodyParts(kept)).toEqual(bodyParts(full));
    expect(studyStart(kept)).toBe(studyStart(full));
    const { meta: _m, text: _t, series, ...rest } = full;
    const { meta: _km, series: keptSeries, ...keptRest } = kept;
    expect(keptRest).toEqual(rest);
    expect(keptSeries).toEqual(series?.map(({ instance: _i, ...s }) => s));
    // A copy: the resource read is not kept through it.
    expect(kept.subject).not.toBe(full.subject);
    expect(JSON.stringify(kept).length).toBeLessThan(JSON.stringify(full).length / 20);
  });

  it('keeps one copy of the strings the studies repeat, up to its bound', () => {
    const table = new StringTable(5);
    compactStudy(study('s1', 2), table);
    const afterOne = table.size;
    compactStudy(study('s2', 2), table);
    expect(afterOne).toBeGreaterThan(0);
    expect(afterOne).toBeLessThanOrEqual(5);
    expect(table.size).toBe(afterOne);
    const large = new StringTable();
    compactStudy(study('s1', 2), large);
    const one = large.size;
    compactStudy(study('s2', 2), large);
    // Only the per-study values (the accession is under `value`, not shared) would add entries: none do.
    expect(large.size).toBe(one);
  });

  it('shares the parts two studies have in common, frozen, and copies the rest', () => {
    const table = new StringTable();
    const a = compactStudy(study('s1', 2), table);
    const b = compactStudy(study('s2', 2), table);
    expect(b.subject).toBe(a.subject);
    expect(b.modality).toBe(a.modality);
    expect(b.series?.[0]?.bodySite).toBe(a.series?.[0]?.bodySite);
    expect(b.identifier?.[1]?.type).toBe(a.identifier?.[1]?.type);
    expect(Object.isFrozen(a.subject)).toBe(true);
    // Parts with a value of their own (UIDs, accession numbers) are each study's.
    expect(b.identifier?.[0]).not.toBe(a.identifier?.[0]);
    expect(b.series?.[0]).not.toBe(a.series?.[0]);
    expect(Object.isFrozen(a.series?.[0])).toBe(false);
  });

  it('keeps of a patient its id, identifiers and the name the item shows', () => {
    const table = new StringTable();
    const patient: Patient = {
      resourceType: 'Patient',
      id: 'p1',
      identifier: [{ type: { coding: [{ code: 'MR' }] }, system: 'urn:mrn', value: '123' }],
      name: [
        { use: 'usual', given: ['Al'] },
        { use: 'official', given: ['Alan'], family: 'Smith' },
      ],
      telecom: [{ system: 'phone', value: '555' }],
      address: [{ city: 'Springfield' }],
    };
    const kept = compactPatient(patient, table);
    expect(kept).toEqual({
      resourceType: 'Patient',
      id: 'p1',
      identifier: patient.identifier,
      name: [{ use: 'official', given: ['Alan'], family: 'Smith' }],
    });
    expect(patientView('p1', kept)).toEqual(patientView('p1', patient));
    const unnamed = { ...patient, name: [{ given: ['Bo'] }, { given: ['Bob'] }] };
    expect(patientView('p1', compactPatient(unnamed, table))).toEqual(patientView('p1', unnamed));
  });
});
