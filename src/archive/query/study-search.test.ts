import { describe, expect, it } from 'vitest';
import { studyUids, forEachQidoBackend, UID, values } from './test-support.js';

forEachQidoBackend('QIDO study search', (search) => {
  describe('study search: matching (PS3.4 C.2.2.2)', () => {
    it('returns every study, in index order, when there are no keys', async () => {
      expect(studyUids(await search('study'))).toEqual([UID.studyA, UID.studyB, UID.studyC, UID.studyD]);
    });

    it('matches a single value by keyword or by tag', async () => {
      expect(studyUids(await search('study', 'PatientID=PID-DE'))).toEqual([UID.studyB]);
      expect(studyUids(await search('study', '00100020=PID-DE'))).toEqual([UID.studyB]);
      expect(studyUids(await search('study', 'AccessionNumber=ACC-3'))).toEqual([UID.studyC]);
      expect(studyUids(await search('study', 'StudyID=S4'))).toEqual([UID.studyD]);
      expect(studyUids(await search('study', 'PatientSex=F'))).toEqual([UID.studyC]);
    });

    it('is case-sensitive for text that is not a person name', async () => {
      expect((await search('study', 'PatientID=pid-de')).body).toEqual([]);
    });

    it('answers an empty array when nothing matches', async () => {
      expect(await search('study', 'PatientID=nobody')).toEqual({ body: [], warnings: [] });
    });

    it('treats an empty value as universal matching: no filter, attribute returned', async () => {
      const res = await search('study', 'PatientID=&StudyDescription=');
      expect(res.body).toHaveLength(4);
      expect(res.body[3]!['00081030']).toEqual({ vr: 'LO' });
    });

    it('matches wildcards * and ?, and a lone * is universal', async () => {
      expect(studyUids(await search('study', 'PatientID=PID-US*'))).toEqual([UID.studyC, UID.studyD]);
      expect(studyUids(await search('study', 'AccessionNumber=ACC-?'))).toHaveLength(4);
      expect(studyUids(await search('study', 'StudyDescription=*CHEST'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', 'StudyDescription=*'))).toHaveLength(4);
    });

    it('takes [ in a wildcard value literally', async () => {
      expect(studyUids(await search('study', 'StudyDescription=MR KNEE [LEFT]'))).toEqual([UID.studyB]);
      expect(studyUids(await search('study', 'StudyDescription=*[LEFT]'))).toEqual([UID.studyB]);
      expect(studyUids(await search('study', 'StudyDescription=*[L]*'))).toEqual([]);
    });

    it('matches UID lists separated by comma or backslash, and repeated UID keys', async () => {
      expect(studyUids(await search('study', `StudyInstanceUID=${UID.studyC},${UID.studyA}`))).toEqual([
        UID.studyA,
        UID.studyC,
      ]);
      expect(studyUids(await search('study', `StudyInstanceUID=${UID.studyB}\\${UID.studyD}`))).toEqual([
        UID.studyB,
        UID.studyD,
      ]);
      expect(studyUids(await search('study', `StudyInstanceUID=${UID.studyB}&0020000D=${UID.studyD}`))).toEqual([
        UID.studyB,
        UID.studyD,
      ]);
    });

    it('matches date ranges a-b, a- and -b and a single date', async () => {
      expect(studyUids(await search('study', 'StudyDate=20240105-20240106'))).toEqual([UID.studyA, UID.studyB]);
      expect(studyUids(await search('study', 'StudyDate=20240106-'))).toEqual([UID.studyB, UID.studyC]);
      expect(studyUids(await search('study', 'StudyDate=-20240105'))).toEqual([UID.studyA, UID.studyD]);
      expect(studyUids(await search('study', 'StudyDate=20231231'))).toEqual([UID.studyD]);
      expect(studyUids(await search('study', 'PatientBirthDate=-19800101'))).toEqual([UID.studyA, UID.studyC]);
    });

    it('matches time ranges against normalised times; studies without a time never match a range', async () => {
      // B's StudyTime is stored as "1000" and still compares as 10:00:00.
      expect(studyUids(await search('study', 'StudyTime=0930-1000'))).toEqual([UID.studyA, UID.studyB]);
      expect(studyUids(await search('study', 'StudyTime=2300-'))).toEqual([UID.studyC]);
      expect(studyUids(await search('study', 'StudyTime=-093000'))).toEqual([UID.studyA]);
    });

    it('reads a single time as the span of its precision', async () => {
      expect(studyUids(await search('study', 'StudyTime=09'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', 'StudyTime=2359'))).toEqual([UID.studyC]);
    });

    it('combines StudyDate and StudyTime ranges into one date-time range', async () => {
      // From 5 Jan 09:45 to 7 Jan 12:00: A (5 Jan 09:30) is too early, C (7 Jan 23:59) too late.
      expect(studyUids(await search('study', 'StudyDate=20240105-20240107&StudyTime=0945-1200'))).toEqual([UID.studyB]);
      // Separately the same keys would mean "between those days AND between those hours each day".
      expect(studyUids(await search('study', 'StudyDate=20240105-20240107&StudyTime=0900-'))).toEqual([
        UID.studyA,
        UID.studyB,
        UID.studyC,
      ]);
      expect(studyUids(await search('study', 'StudyDate=20240106-&StudyTime=1000-'))).toEqual([UID.studyB, UID.studyC]);
      expect(studyUids(await search('study', 'StudyDate=-20240107&StudyTime=-1200'))).toEqual([
        UID.studyA,
        UID.studyB,
        UID.studyD,
      ]);
    });

    it('matches person names case-insensitively, on both sides', async () => {
      expect(studyUids(await search('study', 'PatientName=smith^john'))).toEqual([UID.studyC]);
      expect(studyUids(await search('study', 'PatientName=SMITH*'))).toEqual([UID.studyC, UID.studyD]);
      expect(studyUids(await search('study', 'PatientName=yamada^tarou'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', '00100010=YAMADA*'))).toEqual([UID.studyA]);
    });

    it('folds the case of non-ASCII letters in Latin-1 names', async () => {
      expect(studyUids(await search('study', 'PatientName=MÜLLER^JÜRGEN'))).toEqual([UID.studyB]);
      expect(studyUids(await search('study', 'PatientName=mü*'))).toEqual([UID.studyB]);
    });

    it('matches the ideographic and phonetic groups of a Japanese name', async () => {
      expect(studyUids(await search('study', 'PatientName=山田^太郎'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', 'PatientName=山田*'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', 'PatientName=やまだ^たろう'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', 'PatientName=山田'))).toEqual([]);
    });

    it('matches a name given group by group with =', async () => {
      expect(studyUids(await search('study', 'PatientName=Yamada^Tarou=山田^太郎'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', 'PatientName==山田^太郎'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', 'PatientName=Yamada^Tarou=山本^太郎'))).toEqual([]);
    });

    it('matches ReferringPhysicianName case-insensitively on the alphabetic group', async () => {
      expect(studyUids(await search('study', 'ReferringPhysicianName=smith^anna'))).toEqual([UID.studyA, UID.studyC]);
      expect(studyUids(await search('study', 'ReferringPhysicianName=DOE*'))).toEqual([UID.studyB]);
    });

    it('matches ModalitiesInStudy against any series of the study, with lists', async () => {
      expect(studyUids(await search('study', 'ModalitiesInStudy=MR'))).toEqual([UID.studyB, UID.studyC]);
      expect(studyUids(await search('study', 'ModalitiesInStudy=SR,US'))).toEqual([UID.studyA, UID.studyD]);
      expect(studyUids(await search('study', 'ModalitiesInStudy=SR\\US'))).toEqual([UID.studyA, UID.studyD]);
      expect(studyUids(await search('study', 'ModalitiesInStudy=S*'))).toEqual([UID.studyA]);
      expect(studyUids(await search('study', 'ModalitiesInStudy=US&ModalitiesInStudy=SR'))).toEqual([
        UID.studyA,
        UID.studyD,
      ]);
    });

    it('matches other study attributes in the stored study JSON', async () => {
      expect(studyUids(await search('study', 'PatientAge=039Y'))).toEqual([UID.studyB]);
      expect(studyUids(await search('study', 'EthnicGroup=JAP*'))).toEqual([UID.studyA]);
      // AS is not a wildcard VR (C.2.2.2.4): the * is literal.
      expect(studyUids(await search('study', 'PatientAge=05*'))).toEqual([]);
      expect((await search('study', 'PatientAge=039Y')).body[0]!['00101010']).toEqual({ vr: 'AS', Value: ['039Y'] });
    });

    it('ANDs all keys', async () => {
      expect(studyUids(await search('study', 'PatientName=smith*&ModalitiesInStudy=MR'))).toEqual([UID.studyC]);
      expect(studyUids(await search('study', 'PatientName=smith*&StudyDate=20231231'))).toEqual([UID.studyD]);
    });

    it('ORs backslash-separated values when multiplevaluematching=true', async () => {
      expect(studyUids(await search('study', 'multiplevaluematching=true&PatientID=PID-DE\\PID-US2'))).toEqual([
        UID.studyB,
        UID.studyD,
      ]);
    });
  });

  describe('study search: returned attributes', () => {
    it('returns the required study attributes as DICOM JSON, keys in tag order', async () => {
      const [a] = (await search('study', `StudyInstanceUID=${UID.studyA}`)).body;
      expect(a).toEqual({
        '00080005': { vr: 'CS', Value: ['ISO_IR 192'] },
        '00080020': { vr: 'DA', Value: ['20240105'] },
        '00080030': { vr: 'TM', Value: ['093000'] },
        '00080050': { vr: 'SH', Value: ['ACC-1'] },
        '00080056': { vr: 'CS', Value: ['ONLINE'] },
        '00080061': { vr: 'CS', Value: ['CT', 'SR'] },
        '00080090': { vr: 'PN', Value: [{ Alphabetic: 'Smith^Anna' }] },
        '00080201': { vr: 'SH', Value: ['+0900'] },
        '00081030': { vr: 'LO', Value: ['CT CHEST'] },
        '00081190': { vr: 'UR', Value: [`https://pacs.example.org/dicomweb/studies/${UID.studyA}`] },
        '00100010': {
          vr: 'PN',
          Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }],
        },
        '00100020': { vr: 'LO', Value: ['PID-JP'] },
        '00100030': { vr: 'DA', Value: ['19700101'] },
        '00100040': { vr: 'CS', Value: ['M'] },
        '0020000D': { vr: 'UI', Value: [UID.studyA] },
        '00200010': { vr: 'SH', Value: ['S1'] },
        '00201206': { vr: 'IS', Value: [2] },
        '00201208': { vr: 'IS', Value: [3] },
      });
      expect(Object.keys(a!)).toEqual(Object.keys(a!).sort());
    });

    it('returns StudyTime as stored, not in its normalised matching form', async () => {
      expect(values(await search('study', `StudyInstanceUID=${UID.studyB}`), '00080030')).toEqual(['1000']);
    });

    it('returns empty attributes with only vr, and leaves out an absent TimezoneOffsetFromUTC', async () => {
      const [d] = (await search('study', `StudyInstanceUID=${UID.studyD}`)).body;
      expect(d!['00080030']).toEqual({ vr: 'TM' });
      expect(d!['00080090']).toEqual({ vr: 'PN' });
      expect(d!['00100030']).toEqual({ vr: 'DA' });
      expect(d!['00080201']).toBeUndefined();
    });
  });
});
