import type { ImagingStudy } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAD_STUDY_RULE, isHeadStudy } from './head-study.js';

const study = (modality: string, o: Partial<ImagingStudy> = {}): ImagingStudy => ({
  resourceType: 'ImagingStudy',
  status: 'available',
  subject: { reference: 'Patient/p' },
  modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: modality }],
  ...o,
});

describe('isHeadStudy (the automatic trigger)', () => {
  it.each([
    ['CT', { description: 'CT Head without contrast' }],
    ['CT', { description: 'CT Angiography Head and Neck' }],
    ['CT', { description: 'CT perfusion brain' }],
    ['MR', { series: [{ uid: '1.2', modality: { code: 'MR' }, bodySite: { code: 'BRAIN', display: 'Brain' } }] }],
    ['CT', { series: [{ uid: '1.2', modality: { code: 'CT' }, bodySite: { code: 'HEADNECK' } }] }],
  ] as [string, Partial<ImagingStudy>][])('a %s study %j is a head study', (m, o) => {
    expect(isHeadStudy(study(m, o), DEFAULT_HEAD_STUDY_RULE)).toBe(true);
  });

  it.each([
    ['CT', { description: 'CT Chest with contrast' }],
    ['CR', { description: 'Skull X-ray' }],
    ['MR', { description: 'MR Knee' }],
    ['CT', { description: 'CT Head', status: 'entered-in-error' }],
  ] as [string, Partial<ImagingStudy>][])('a %s study %j is not', (m, o) => {
    expect(isHeadStudy(study(m, o), DEFAULT_HEAD_STUDY_RULE)).toBe(false);
  });

  it('follows the configured patterns', () => {
    const rule = { modalities: ['CT'], headPattern: '\\bKOPF\\b' };
    expect(isHeadStudy(study('CT', { description: 'CT Kopf nativ' }), rule)).toBe(true);
    expect(isHeadStudy(study('CT', { description: 'CT Head' }), rule)).toBe(false);
  });
});
