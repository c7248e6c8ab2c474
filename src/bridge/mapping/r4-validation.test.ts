import { describe, expect, it } from 'vitest';
import { r4Problems } from './test-support.js';

const study = { resourceType: 'ImagingStudy', status: 'available', subject: { reference: 'Patient/1' } };

describe('the R4 check used by the mapping tests', () => {
  it('accepts a minimal valid ImagingStudy', () => {
    expect(r4Problems(study)).toEqual([]);
  });

  it('catches a time without offset, an empty string, a code outside its required value set and a missing element', () => {
    expect(r4Problems({ ...study, started: '2024-01-02T10:00:00' }).join()).toMatch(/not a valid dateTime/);
    expect(r4Problems({ ...study, description: '' }).join()).toMatch(/empty string/);
    expect(r4Problems({ ...study, status: 'done' }).join()).toMatch(/imagingstudy-status/);
    expect(r4Problems({ resourceType: 'Patient', gender: 'w' }).join()).toMatch(/administrative-gender/);
    expect(r4Problems({ ...study, series: [{ uid: '1.2' }] }).join()).toMatch(/modality/);
  });
});
