import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/types.js';
import { ds } from '../normalize/test-support.js';
import { mapImagingStudy, type ImagingStudyContext } from './imaging-study.js';
import { mergeImagingStudy } from './merge-imaging-study.js';
import { expectValidR4 } from './test-support.js';

const ctx: ImagingStudyContext = {
  patientRef: { reference: 'Patient/p1' },
  issuerSystems: {},
  defaultPatientSystem: 'http://x/mrn',
  timezone: 'Europe/Berlin',
  status: 'available',
};

function instance(extra: Record<string, [string, ...unknown[]]> = {}, sop = '1.2.1.1', series = '1.2.1'): DicomJson {
  return ds({
    '0020000D': ['UI', '1.2'],
    '0020000E': ['UI', series],
    '00080018': ['UI', sop],
    '00080016': ['UI', '1.2.840.10008.5.1.4.1.1.2'],
    '00080060': ['CS', 'CT'],
    ...extra,
  });
}

describe('mapImagingStudy', () => {
  it('falls back to AcquisitionDateTime when StudyDate is missing and records it', () => {
    const { imagingStudy, findings } = mapImagingStudy([instance({ '0008002A': ['DT', '20240102083000'] })], ctx);
    expect(imagingStudy.started).toBe('2024-01-02T08:30:00+01:00');
    expect(findings).toMatchObject([{ rule: 'map-started', severity: 'warning', tag: '00080020' }]);
    expectValidR4(imagingStudy);
  });

  it('falls back to ContentDate/ContentTime last', () => {
    const { imagingStudy } = mapImagingStudy(
      [instance({ '00080023': ['DA', '20240103'], '00080033': ['TM', '0900'] })],
      ctx,
    );
    expect(imagingStudy.started).toBe('2024-01-03T09:00:00+01:00');
  });

  it('leaves started absent when no date exists, and says so', () => {
    const { imagingStudy, findings } = mapImagingStudy([instance()], ctx);
    expect(imagingStudy.started).toBeUndefined();
    expect(findings[0]!.message).toMatch(/started is absent/);
  });

  it('keeps date precision when StudyTime is missing and nothing else has a time that day', () => {
    const { imagingStudy, findings } = mapImagingStudy([instance({ '00080020': ['DA', '20240105'] })], ctx);
    expect(imagingStudy.started).toBe('2024-01-05');
    expect(findings).toMatchObject([{ severity: 'info', tag: '00080030' }]);
  });

  it('reports an unusable TimezoneOffsetFromUTC and uses the configured zone', () => {
    const { imagingStudy, findings } = mapImagingStudy(
      [instance({ '00080020': ['DA', '20240105'], '00080030': ['TM', '1200'], '00080201': ['SH', 'CET'] })],
      ctx,
    );
    expect(imagingStudy.started).toBe('2024-01-05T12:00:00+01:00');
    expect(findings).toMatchObject([{ tag: '00080201', severity: 'warning' }]);
  });

  it('takes bodySite from AnatomicRegionSequence, replacing a legacy SNOMED code by the current one', () => {
    const region = ds({ '00080100': ['SH', '113345001'], '00080102': ['SH', 'SCT'], '00080104': ['LO', 'Abdomen'] });
    const { imagingStudy } = mapImagingStudy([instance({ '00082218': ['SQ', region], '00200062': ['CS', 'R'] })], ctx);
    expect(imagingStudy.series![0]!.bodySite).toEqual({
      system: 'http://snomed.info/sct',
      code: '818981001',
      display: 'Abdomen',
    });
    expect(imagingStudy.series![0]!.laterality).toMatchObject({ code: '419465000' });
  });

  it('omits laterality U and states an absent modality instead of inventing one', () => {
    const noModality = instance({ '00200060': ['CS', 'U'] });
    delete noModality['00080060'];
    const { imagingStudy } = mapImagingStudy([noModality], ctx);
    expect(imagingStudy.series![0]!.laterality).toBeUndefined();
    expect(imagingStudy.series![0]!.modality).toEqual({
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }],
    });
    expect(imagingStudy.modality).toBeUndefined();
    expectValidR4(imagingStudy);
  });

  it('lists a procedure code once even when every instance carries it, and keeps unknown schemes as text', () => {
    const code = (v: string, s: string) =>
      ds({ '00080100': ['SH', v], '00080102': ['SH', s], '00080104': ['LO', `m${v}`] });
    const seq: [string, ...unknown[]] = ['SQ', code('1', 'LN'), code('2', '99ZZ')];
    const { imagingStudy, findings } = mapImagingStudy(
      [instance({ '00081032': seq }), instance({ '00081032': seq }, '1.2.1.2')],
      ctx,
    );
    expect(imagingStudy.procedureCode).toEqual([
      { coding: [{ system: 'http://loinc.org', code: '1', display: 'm1' }], text: 'm1' },
      { text: 'm2' },
    ]);
    expect(findings.filter((f) => f.rule === 'map-coding')).toMatchObject([{ original: '99ZZ' }]);
  });

  it('uses a configured system for a local coding scheme', () => {
    const seq: [string, ...unknown[]] = [
      'SQ',
      ds({ '00080100': ['SH', 'K1'], '00080102': ['SH', '99ZZ'], '00080104': ['LO', 'Knee'] }),
    ];
    const { imagingStudy } = mapImagingStudy([instance({ '00081032': seq })], {
      ...ctx,
      codingSchemes: { '99ZZ': 'http://hospital/codes' },
    });
    expect(imagingStudy.procedureCode![0]!.coding![0]!.system).toBe('http://hospital/codes');
  });

  it('passes the status, endpoint and subject through and counts series and instances', () => {
    const { imagingStudy } = mapImagingStudy([instance(), instance({}, '1.2.2.1', '1.2.2')], {
      ...ctx,
      status: 'entered-in-error',
      endpointRef: { reference: 'Endpoint/e' },
    });
    expect(imagingStudy).toMatchObject({
      status: 'entered-in-error',
      endpoint: [{ reference: 'Endpoint/e' }],
      subject: { reference: 'Patient/p1' },
      numberOfSeries: 2,
      numberOfInstances: 2,
    });
  });

  it('maps the same instances in any order to the same resource, which then merges without a change', () => {
    const instances = [
      instance({ '00200013': ['IS', 2] }, '1.2.1.9'),
      instance({ '00200013': ['IS', 1] }, '1.2.1.10'),
      instance({}, '1.2.1.3'),
    ];
    const a = mapImagingStudy(instances, ctx).imagingStudy;
    const b = mapImagingStudy([...instances].reverse(), ctx).imagingStudy;
    expect(b).toEqual(a);
    expect(a.series![0]!.instance!.map((i) => i.uid)).toEqual(['1.2.1.10', '1.2.1.9', '1.2.1.3']);
    expect(mergeImagingStudy({ ...a, id: 'x' }, b).changed).toBe(false);
  });

  it('throws when no instance has a StudyInstanceUID (the normalizer holds such studies)', () => {
    const orphan = instance();
    delete orphan['0020000D'];
    expect(() => mapImagingStudy([orphan], ctx)).toThrow(/StudyInstanceUID/);
  });
});
