import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/types.js';
import { bodySiteOf } from './body-site.js';
import annexL from './data/annex-l-body-parts.json' with { type: 'json' };
import { SNOMED_SYSTEM } from './systems.js';

const bpe = (term: string): DicomJson => ({ '00180015': { vr: 'CS', Value: [term] } });
const region = (value: string, scheme: string, meaning?: string): DicomJson => ({
  '00082218': {
    vr: 'SQ',
    Value: [
      {
        '00080100': { vr: 'SH', Value: [value] },
        '00080102': { vr: 'SH', Value: [scheme] },
        ...(meaning ? { '00080104': { vr: 'LO', Value: [meaning] } } : {}),
      },
    ],
  },
});

describe('bodySiteOf (PS3.16 Annex L table)', () => {
  // Rows of Table L-1 as checked (see "checked" in the data file): term, SNOMED CT code, Code Meaning.
  it.each([
    ['BLADDER', '89837001', 'Bladder'],
    ['ORBIT', '363654007', 'Orbital structure'],
    ['HIP', '24136001', 'Hip joint'],
    ['ABDOMENPELVIS', '818982008', 'Abdomen and Pelvis'],
    ['WHOLEBODY', '38266002', 'Entire body'],
    ['SSPINE', '54735007', 'Sacrum'],
    ['CAROTID', '69105007', 'Carotid Artery'],
  ])('maps %s to SNOMED CT %s with the DICOM Code Meaning "%s"', (term, code, display) => {
    expect(bodySiteOf(bpe(term))).toEqual({ bodySite: { system: SNOMED_SYSTEM, code, display } });
  });

  it('reads the term case-insensitively', () => {
    expect(bodySiteOf(bpe('chest')).bodySite?.code).toBe('816094009');
  });

  it('replaces a legacy code of AnatomicRegionSequence by the current one and its meaning', () => {
    expect(bodySiteOf(region('12921003', 'SCT', 'Pelvis (old)'))).toEqual({
      bodySite: { system: SNOMED_SYSTEM, code: '816092008', display: 'Pelvis' },
    });
  });

  it('keeps an unknown term as text, without inventing a code', () => {
    expect(bodySiteOf(bpe('LEFTTHING'))).toEqual({ bodySite: { display: 'LEFTTHING' }, unknownText: 'LEFTTHING' });
  });

  it('holds Body Part Examined terms (CS, ≤ 16 characters) with SNOMED CT ids and one code per term', () => {
    const codes = new Map<string, string>();
    for (const [term, entry] of Object.entries(annexL.terms)) {
      expect(term).toMatch(/^[A-Z0-9_ ]{1,16}$/);
      expect(entry.code).toMatch(/^[1-9]\d{5,17}$/);
      expect(entry.display.trim()).toBe(entry.display);
      expect(codes.get(entry.code), `${term} shares its code with ${codes.get(entry.code)}`).toBeUndefined();
      codes.set(entry.code, term);
    }
    expect(annexL.checked.against.length).toBeGreaterThan(0);
  });
});
