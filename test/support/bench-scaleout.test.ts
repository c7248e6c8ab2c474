import { describe, expect, it } from 'vitest';
import { changedPaths, compareStudies, instancesByStudy, repeatedWrites } from '../../bench/scaleout-checks.js';

describe('SCALEOUT result checks', () => {
  const acked = instancesByStudy([{ studyUid: '1.1' }, { studyUid: '1.1' }, { studyUid: '1.2' }, { studyUid: '1.3' }]);

  it('counts the acknowledged instances of each study', () => {
    expect([...acked]).toEqual([
      ['1.1', 2],
      ['1.2', 1],
      ['1.3', 1],
    ]);
  });

  it('passes a view listing every study once with its count', () => {
    const listed = [
      { study: '1.3', instances: 1 },
      { study: '1.1', instances: 2 },
      { study: '1.2', instances: 1 },
    ];
    expect(compareStudies('FHIR', acked, listed)).toEqual([]);
  });

  it('names the missing, repeated, short and unexpected studies', () => {
    const problems = compareStudies('FHIR', acked, [
      { study: '1.1', instances: 1 },
      { study: '1.2', instances: 1 },
      { study: '1.2', instances: 1 },
      { study: '9.9', instances: 4 },
    ]);
    expect(problems).toEqual([
      'FHIR: 1 acknowledged studies missing (1.3)',
      'FHIR: 1 studies listed more than once (1.2 ×2)',
      'FHIR: 1 studies with other than the acknowledged instance count (listed/acknowledged) (1.1 1/2)',
      'FHIR: 1 studies listed that were not sent (9.9)',
    ]);
  });

  it('cuts long lists of examples', () => {
    const many = instancesByStudy(Array.from({ length: 8 }, (_, i) => ({ studyUid: `2.${i}` })));
    const [problem] = compareStudies('QIDO-RS', many, [], 3);
    expect(problem).toBe('QIDO-RS: 8 acknowledged studies missing (2.0, 2.1, 2.2, …)');
  });

  it('flags an ImagingStudy written again without more instances, in any row order', () => {
    const versions = [
      { id: 'b', version: 2, instances: 2 },
      { id: 'a', version: 2, instances: 2 },
      { id: 'a', version: 1, instances: 1 },
      { id: 'b', version: 1, instances: 2 },
      { id: 'c', version: 1, instances: 3 },
    ];
    expect(repeatedWrites(versions)).toEqual(['b']);
  });

  it('does not count a delete (no content) as a repeat', () => {
    expect(
      repeatedWrites([
        { id: 'a', version: 1, instances: 2 },
        { id: 'a', version: 2, instances: null },
        { id: 'a', version: 3, instances: 2 },
      ]),
    ).toEqual([]);
  });
});

describe('changedPaths', () => {
  const v1 = {
    meta: { versionId: '1' },
    status: 'available',
    numberOfInstances: 2,
    series: [{ uid: 's', started: 'a' }],
  };

  it('is empty for versions that differ in meta only', () => {
    expect(changedPaths(v1, { ...v1, meta: { versionId: '2' } })).toEqual([]);
  });

  it('names the changed, added and removed paths down to the depth', () => {
    const v2 = {
      meta: { versionId: '2' },
      numberOfInstances: 2,
      series: [{ uid: 's', started: 'b' }, { uid: 't' }],
      note: 'x',
    };
    expect(changedPaths(v1, v2)).toEqual(['status', 'series[0].started', 'series[1]', 'note']);
    expect(changedPaths(v1, v2, 1)).toEqual(['status', 'series', 'note']);
  });
});
