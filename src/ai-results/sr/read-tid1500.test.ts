import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../../dicom/types.js';
import { loadR4 } from '../../fhir/definitions/load-r4.js';
import { validateFhirResource } from '../../fhir/validate.js';
import { buildAiTransaction } from '../build.js';
import { readTid1500, type SrReading } from './read-tid1500.js';
import { GOLDEN_FIXTURE, tid1500Report } from './test-support.js';

const DIR = join(import.meta.dirname, 'golden');
const study = { id: 'is-1', subject: { reference: 'Patient/p-1' } };
const update = process.env.UPDATE_GOLDEN === '1';

/** Compares with the golden file (written instead under UPDATE_GOLDEN=1). */
function golden(name: string, actual: unknown): void {
  const path = join(DIR, name);
  if (update) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
  }
  expect(actual).toEqual(JSON.parse(readFileSync(path, 'utf8')));
}

const report = (r: SrReading) => {
  if (r.kind !== 'report') throw new Error(`expected a report, got ${JSON.stringify(r)}`);
  return r;
};

const sr = (): DicomJson => JSON.parse(readFileSync(join(DIR, 'lung-nodules.sr.json'), 'utf8')) as DicomJson;

describe('DICOM SR TID 1500 → AI results input → FHIR transaction (golden)', () => {
  it('the SR fixture is the one test-support.ts builds', () => {
    golden('lung-nodules.sr.json', tid1500Report(GOLDEN_FIXTURE));
  });

  it('reads study, model, findings per measurement group (with tracking ids, site, laterality, UCUM units, images) and the impression', () => {
    const r = report(readTid1500(sr()));
    golden('lung-nodules.input.json', r.input);
    expect(r.sopInstanceUid).toBe(GOLDEN_FIXTURE.srInstance);
    expect(r.content).toEqual({ date: '20250310', time: '081500' });
    expect(r.notes).toEqual([]);
  });

  it('turns into the same FHIR shape as POST /api/ai-results, with the SR as identifier and one BodyStructure per tracked lesion', () => {
    let n = 0;
    const r = report(readTid1500(sr()));
    const built = buildAiTransaction(r.input, study, {
      now: Date.parse('2025-03-10T09:00:00Z'),
      uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
      source: { sopInstanceUid: r.sopInstanceUid, effective: '2025-03-10T08:15:00+01:00' },
    });
    golden('lung-nodules.expected.json', built.bundle);
    const types = built.bundle.entry!.map((e) => e.resource!.resourceType);
    expect(types).toEqual([
      'Device',
      'BodyStructure',
      'BodyStructure',
      ...Array(6).fill('Observation'),
      'DiagnosticReport',
      'Provenance',
    ]);
    expect(built.bodyStructureIndexes).toEqual([1, 2]);
    expect(built.reportIndex).toBe(9);
    loadR4();
    for (const e of built.bundle.entry!) expect(() => validateFhirResource(e.resource!)).not.toThrow();
  });
});

describe('SRs that are not (usable) TID 1500 reports', () => {
  const base = () => tid1500Report(GOLDEN_FIXTURE);

  it('ignores instances that are not SR, and Key Object Selections', () => {
    expect(
      readTid1500({
        '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
        '00080060': { vr: 'CS', Value: ['CT'] },
      }),
    ).toEqual({ kind: 'not-sr' });
    expect(readTid1500({ ...base(), '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.88.59'] } })).toEqual({
      kind: 'not-sr',
    });
  });

  it('says why another SR template is not turned into results', () => {
    const dose = {
      ...base(),
      '0040A043': {
        vr: 'SQ',
        Value: [
          {
            '00080100': { vr: 'SH', Value: ['113701'] },
            '00080102': { vr: 'SH', Value: ['DCM'] },
            '00080104': { vr: 'LO', Value: ['X-Ray Radiation Dose Report'] },
          },
        ],
      },
    } as DicomJson;
    dose['0040A504'] = {
      vr: 'SQ',
      Value: [{ '00080105': { vr: 'CS', Value: ['DCMR'] }, '0040DB00': { vr: 'CS', Value: ['10011'] } }],
    };
    const r = readTid1500(dose);
    expect(r.kind).toBe('other');
    expect(r.kind === 'other' && r.reason).toContain('TID 10011');
  });

  it('refuses a TID 1500 without measurement groups, naming the reason', () => {
    const json = base();
    const content = json['0040A730']!.Value as DicomJson[];
    json['0040A730'] = {
      vr: 'SQ',
      Value: content.filter(
        (c) =>
          JSON.stringify(c['0040A043']).indexOf('126010') < 0 && JSON.stringify(c['0040A043']).indexOf('C0034375') < 0,
      ),
    };
    const r = readTid1500(json);
    expect(r).toMatchObject({ kind: 'invalid', sopInstanceUid: GOLDEN_FIXTURE.srInstance });
    expect(r.kind === 'invalid' && r.reason).toContain('no Measurement Group');
  });

  it('refuses a report declaring TID 1500 whose root concept is not 126000', () => {
    const json = base();
    json['0040A043'] = {
      vr: 'SQ',
      Value: [
        {
          '00080100': { vr: 'SH', Value: ['18748-4'] },
          '00080102': { vr: 'SH', Value: ['LN'] },
          '00080104': { vr: 'LO', Value: ['Diagnostic imaging report'] },
        },
      ],
    };
    expect(readTid1500(json)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('root concept') });
  });

  it('refuses a report with no algorithm or device identification', () => {
    const json = base();
    delete json['00081090'];
    const content = json['0040A730']!.Value as DicomJson[];
    json['0040A730'] = { vr: 'SQ', Value: content.filter((c) => !/12101[2-5]/.test(JSON.stringify(c['0040A043']))) };
    // The groups still name the algorithm (TID 4019): that is enough.
    expect(readTid1500(json).kind).toBe('report');
    const groups = JSON.parse(JSON.stringify(json).replaceAll('"111001"', '"999999"')) as DicomJson;
    expect(readTid1500(groups)).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('names the algorithm'),
    });
  });

  it('refuses a report with no study at all', () => {
    const json = base();
    delete json['0020000D'];
    delete json['0040A375'];
    expect(readTid1500(json)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('names a study') });
  });

  it('keeps reading past small problems and notes them', () => {
    const json = JSON.parse(JSON.stringify(base()).replaceAll('"UCUM"', '"99UNITS"')) as DicomJson;
    const r = report(readTid1500(json));
    expect(r.notes.some((n) => n.includes('not UCUM'))).toBe(true);
  });
});
