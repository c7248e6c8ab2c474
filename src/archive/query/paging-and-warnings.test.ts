import { describe, expect, it } from 'vitest';
import { studyUids, forEachQidoBackend, UID } from './test-support.js';

forEachQidoBackend(
  'QIDO paging',
  (search) => {
    const TRUNCATED = '299 imaging-bridge "The number of results exceeded the maximum supported; use limit/offset"';

    describe('limit, offset and Warning headers', () => {
      it('stops at the server maximum and says so when the client gave no limit', async () => {
        const res = await search('study');
        expect(studyUids(res)).toEqual([UID.studyA, UID.studyB, UID.studyC]);
        expect(res.warnings).toEqual([TRUNCATED]);
      });

      it('caps a limit above the maximum and says so', async () => {
        const res = await search('study', 'limit=10');
        expect(res.body).toHaveLength(3);
        expect(res.warnings).toEqual([TRUNCATED]);
      });

      it('gives no warning when the client limit cut the results', async () => {
        const res = await search('study', 'limit=2');
        expect(studyUids(res)).toEqual([UID.studyA, UID.studyB]);
        expect(res.warnings).toEqual([]);
      });

      it('gives no warning when everything fitted', async () => {
        expect((await search('study', 'offset=1')).warnings).toEqual([]);
        expect((await search('study', 'PatientName=smith*')).warnings).toEqual([]);
      });

      it('pages with offset in a stable order', async () => {
        expect(studyUids(await search('study', 'limit=2&offset=0'))).toEqual([UID.studyA, UID.studyB]);
        expect(studyUids(await search('study', 'limit=2&offset=2'))).toEqual([UID.studyC, UID.studyD]);
        expect(studyUids(await search('study', 'limit=2&offset=4'))).toEqual([]);
        expect((await search('instance', 'limit=2&offset=5')).body).toHaveLength(2);
      });

      it('warns that fuzzymatching is not supported and matches literally', async () => {
        const res = await search('study', 'PatientName=smyth*&fuzzymatching=true');
        expect(res.body).toEqual([]);
        expect(res.warnings).toEqual([
          '299 imaging-bridge "The fuzzymatching parameter is not supported. Only literal matching has been performed."',
        ]);
        expect((await search('study', 'fuzzymatching=false&limit=1')).warnings).toEqual([]);
      });

      it('warns that emptyvaluematching is not supported', async () => {
        expect((await search('study', 'emptyvaluematching=true&limit=1')).warnings[0]).toMatch(
          /^299 imaging-bridge "The emptyvaluematching/,
        );
      });
    });
  },
  { maxResults: 3 },
);
