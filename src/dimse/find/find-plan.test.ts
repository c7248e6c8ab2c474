import { describe, expect, it } from 'vitest';
import { DimseError } from '../status.js';
import { planFind } from './find-plan.js';
import { groupByPatient, responseIdentifier } from './find-response.js';

const level = (l: string) => ({ '00080052': { vr: 'CS', Value: [l] } });

describe('C-FIND identifier → QIDO-RS search', () => {
  it('turns keys with values into matching keys and every key into a return key', () => {
    const plan = planFind(
      {
        ...level('STUDY'),
        '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe*' }] },
        '00080020': { vr: 'DA', Value: ['20240101-20240131'] },
        '0020000D': { vr: 'UI' },
        '00201208': { vr: 'IS' },
      },
      'study',
    );
    expect(plan.level).toBe('STUDY');
    expect(plan.qidoLevel).toBe('study');
    expect(plan.query.get('00100010')).toBe('Doe*');
    expect(plan.query.get('00080020')).toBe('20240101-20240131');
    expect(plan.query.has('0020000D')).toBe(false);
    expect(plan.query.get('includefield')).toBe('00100010,00080020,0020000D,00201208');
    expect(plan.returnKeys.map((k) => k.tag)).toEqual(['00100010', '00080020', '0020000D', '00201208']);
  });

  it('passes a UID list as one backslash-separated value and treats a UID "*" as universal', () => {
    const plan = planFind(
      { ...level('SERIES'), '0020000D': { vr: 'UI', Value: ['1.2', '1.3'] }, '0020000E': { vr: 'UI', Value: ['*'] } },
      'study',
    );
    expect(plan.qidoLevel).toBe('series');
    expect(plan.query.get('0020000D')).toBe('1.2\\1.3');
    expect(plan.query.has('0020000E')).toBe(false);
  });

  it('never asks QIDO for what we compute (character set, RetrieveAETitle, patient counts) nor matches sequences', () => {
    const plan = planFind(
      {
        ...level('PATIENT'),
        '00080054': { vr: 'AE' },
        '00201200': { vr: 'IS' },
        '00081111': { vr: 'SQ', Value: [{ '00081150': { vr: 'UI', Value: ['1.2'] } }] },
      },
      'patient',
    );
    expect(plan.qidoLevel).toBe('study');
    expect(plan.query.get('includefield')).toBe('00081111');
    expect([...plan.query.keys()]).toEqual(['includefield']);
  });

  it('refuses a missing level, and PATIENT level in the Study Root model, with 0xA900', () => {
    expect(() => planFind({}, 'study')).toThrow(DimseError);
    expect(() => planFind(level('PATIENT'), 'study')).toThrow(/PATIENT is not one of STUDY, SERIES, IMAGE/);
  });
});

describe('C-FIND responses', () => {
  const plan = planFind(
    { ...level('STUDY'), '00100010': { vr: 'PN' }, '00080054': { vr: 'AE' }, '00200010': { vr: 'SH' } },
    'study',
  );

  it('answers exactly the requested keys, empty when unknown, with the level and our AE title, in tag order', () => {
    const out = responseIdentifier(
      { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^John' }] }, '00100020': { vr: 'LO', Value: ['P1'] } },
      plan,
      'IMGBRIDGE',
    );
    expect(Object.keys(out)).toEqual(['00080052', '00080054', '00100010', '00200010']);
    expect(out['00200010']).toEqual({ vr: 'SH' });
    expect(out['00080054']!.Value).toEqual(['IMGBRIDGE']);
  });

  it('declares UTF-8 when a value needs it', () => {
    const out = responseIdentifier(
      { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Müller^Jörg' }] } },
      plan,
      'IMGBRIDGE',
    );
    expect(out['00080005']!.Value).toEqual(['ISO_IR 192']);
  });

  it('groups studies by patient and sums their counts', () => {
    const study = (id: string, series: number, instances: number) => ({
      '00100020': { vr: 'LO', Value: [id] },
      '00201206': { vr: 'IS', Value: [series] },
      '00201208': { vr: 'IS', Value: [instances] },
    });
    const [p1, p2] = groupByPatient([study('P1', 2, 5), study('P2', 1, 1), study('P1', 1, 3)]);
    expect(p1!['00201200']!.Value).toEqual([2]);
    expect(p1!['00201202']!.Value).toEqual([3]);
    expect(p1!['00201204']!.Value).toEqual([8]);
    expect(p2!['00201200']!.Value).toEqual([1]);
  });
});
