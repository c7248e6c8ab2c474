import { describe, expect, it } from 'vitest';
import type { ImagingStudy } from './fhir-types.js';
import { mergeImagingStudy } from './merge-imaging-study.js';
import { expectValidR4 } from './test-support.js';

const ACSN = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] };
const accession = { use: 'usual' as const, type: ACSN, system: 'http://ris', value: 'A1' };

function mapped(): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    identifier: [{ use: 'official', system: 'urn:dicom:uid', value: 'urn:oid:1.2' }, accession],
    status: 'available',
    subject: { reference: 'Patient/p1' },
    basedOn: [{ type: 'ServiceRequest', identifier: accession }],
    referrer: { display: 'Anna Smith' },
    endpoint: [{ reference: 'Endpoint/e1' }],
    numberOfSeries: 1,
    numberOfInstances: 1,
    description: 'CT Chest',
    series: [
      {
        uid: '1.2.1',
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
        numberOfInstances: 1,
        instance: [
          { uid: '1.2.1.1', sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
        ],
      },
    ],
  };
}

/** A stored version: what the server returned, plus what people and other services added. */
function stored(): ImagingStudy {
  return {
    ...mapped(),
    id: 'is1',
    meta: { versionId: '3' },
    note: [{ text: 'Patient moved during scan' }],
    identifier: [...mapped().identifier!, { system: 'http://pacs/local', value: 'X9' }],
    basedOn: [{ type: 'ServiceRequest', reference: 'ServiceRequest/sr1', identifier: accession }],
    referrer: { reference: 'Practitioner/pr1', display: 'Anna Smith' },
    endpoint: [{ reference: 'Endpoint/e1' }, { reference: 'Endpoint/viewer' }],
  };
}

describe('mergeImagingStudy', () => {
  it('creates the mapped resource when nothing is stored', () => {
    expect(mergeImagingStudy(undefined, mapped())).toEqual({ resource: mapped(), changed: true });
  });

  it('reports no change when the stored resource already says what the mapping says', () => {
    expect(mergeImagingStudy(stored(), mapped()).changed).toBe(false);
  });

  it('ignores key order in the stored resource', () => {
    const reordered = Object.fromEntries(Object.entries(stored()).reverse()) as ImagingStudy;
    expect(mergeImagingStudy(reordered, mapped()).changed).toBe(false);
  });

  it('keeps a note, foreign identifiers, resolved references and other endpoints when the study changes', () => {
    const next = { ...mapped(), description: 'CT Chest w/ contrast' };
    const { resource, changed } = mergeImagingStudy(stored(), next);
    expect(changed).toBe(true);
    expect(resource).toMatchObject({
      id: 'is1',
      meta: { versionId: '3' },
      note: [{ text: 'Patient moved during scan' }],
      description: 'CT Chest w/ contrast',
    });
    expect(resource.identifier).toContainEqual({ system: 'http://pacs/local', value: 'X9' });
    expect(resource.basedOn).toEqual([
      { type: 'ServiceRequest', reference: 'ServiceRequest/sr1', identifier: accession },
    ]);
    expect(resource.referrer).toEqual({ reference: 'Practitioner/pr1', display: 'Anna Smith' });
    expect(resource.endpoint).toEqual([{ reference: 'Endpoint/e1' }, { reference: 'Endpoint/viewer' }]);
    expectValidR4(resource);
  });

  it('removes an owned element the DICOM data no longer has, instead of leaving it stale', () => {
    const next = mapped();
    delete next.description;
    expect(mergeImagingStudy(stored(), next).resource.description).toBeUndefined();
  });

  it('keeps extensions inside series and instances it does not own, and adds new series', () => {
    const existing = stored();
    existing.series![0]!.extension = [{ url: 'http://x/ai-triage', valueString: 'done' }];
    existing.series![0]!.instance![0]!.extension = [{ url: 'http://x/key', valueBoolean: true }];
    const next = mapped();
    next.series!.push({
      uid: '1.2.2',
      modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'SR' },
      numberOfInstances: 0,
    });
    const { resource } = mergeImagingStudy(existing, next);
    expect(resource.series![0]!.extension).toEqual([{ url: 'http://x/ai-triage', valueString: 'done' }]);
    expect(resource.series![0]!.instance![0]!.extension).toEqual([{ url: 'http://x/key', valueBoolean: true }]);
    expect(resource.series!.map((s) => s.uid)).toEqual(['1.2.1', '1.2.2']);
  });

  it('replaces a reference to another Endpoint the bridge made (the Endpoint choice changed), keeping others', () => {
    const next = { ...mapped(), endpoint: [{ reference: 'Endpoint/pacs' }] };
    const { resource, changed } = mergeImagingStudy(stored(), next, ['Endpoint/e1']);
    expect(changed).toBe(true);
    expect(resource.endpoint).toEqual([{ reference: 'Endpoint/pacs' }, { reference: 'Endpoint/viewer' }]);
    // Without knowing e1 is the bridge's, it is kept as someone's addition.
    expect(mergeImagingStudy(stored(), next).resource.endpoint).toHaveLength(3);
  });

  it('does not bring back a study someone marked entered-in-error', () => {
    const existing = { ...stored(), status: 'entered-in-error' as const };
    expect(mergeImagingStudy(existing, mapped()).resource.status).toBe('entered-in-error');
  });
});
