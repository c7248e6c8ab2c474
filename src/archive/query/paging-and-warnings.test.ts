import { afterAll, describe, expect, it } from 'vitest';
import { searcher, studyUids, testArchive, UID } from './test-support.js';

const { index, qido } = testArchive(3);
const search = searcher(qido);
afterAll(() => index.close());

const TRUNCATED = '299 imaging-bridge "The number of results exceeded the maximum supported; use limit/offset"';

describe('limit, offset and Warning headers', () => {
  it('stops at the server maximum and says so when the client gave no limit', () => {
    const res = search('study');
    expect(studyUids(res)).toEqual([UID.studyA, UID.studyB, UID.studyC]);
    expect(res.warnings).toEqual([TRUNCATED]);
  });

  it('caps a limit above the maximum and says so', () => {
    const res = search('study', 'limit=10');
    expect(res.body).toHaveLength(3);
    expect(res.warnings).toEqual([TRUNCATED]);
  });

  it('gives no warning when the client limit cut the results', () => {
    const res = search('study', 'limit=2');
    expect(studyUids(res)).toEqual([UID.studyA, UID.studyB]);
    expect(res.warnings).toEqual([]);
  });

  it('gives no warning when everything fitted', () => {
    expect(search('study', 'offset=1').warnings).toEqual([]);
    expect(search('study', 'PatientName=smith*').warnings).toEqual([]);
  });

  it('pages with offset in a stable order', () => {
    expect(studyUids(search('study', 'limit=2&offset=0'))).toEqual([UID.studyA, UID.studyB]);
    expect(studyUids(search('study', 'limit=2&offset=2'))).toEqual([UID.studyC, UID.studyD]);
    expect(studyUids(search('study', 'limit=2&offset=4'))).toEqual([]);
    expect(search('instance', 'limit=2&offset=5').body).toHaveLength(2);
  });

  it('warns that fuzzymatching is not supported and matches literally', () => {
    const res = search('study', 'PatientName=smyth*&fuzzymatching=true');
    expect(res.body).toEqual([]);
    expect(res.warnings).toEqual([
      '299 imaging-bridge "The fuzzymatching parameter is not supported. Only literal matching has been performed."',
    ]);
    expect(search('study', 'fuzzymatching=false&limit=1').warnings).toEqual([]);
  });

  it('warns that emptyvaluematching is not supported', () => {
    expect(search('study', 'emptyvaluematching=true&limit=1').warnings[0]).toMatch(
      /^299 imaging-bridge "The emptyvaluematching/,
    );
  });
});
