import { describe, expect, it } from 'vitest';
import { BASIC_TEXT_SR, CT_IMAGE, MR_IMAGE, studyUids, forEachQidoBackend, UID, values } from './test-support.js';
import type { QidoResponse } from './types.js';

forEachQidoBackend('QIDO series and instance search', (search) => {
  const seriesUids = (res: QidoResponse) => values(res, '0020000E');
  const sopUids = (res: QidoResponse) => values(res, '00080018');

  describe('series search', () => {
    it('/series returns every series with its study attributes', async () => {
      const res = await search('series');
      expect(seriesUids(res)).toEqual([
        UID.seriesA1,
        UID.seriesA2,
        UID.seriesB1,
        UID.seriesC1,
        UID.seriesC2,
        UID.seriesD1,
      ]);
      expect(studyUids(res)).toEqual([UID.studyA, UID.studyA, UID.studyB, UID.studyC, UID.studyC, UID.studyD]);
    });

    it('/studies/{s}/series is limited to that study', async () => {
      expect(seriesUids(await search('series', '', { studyUid: UID.studyC }))).toEqual([UID.seriesC1, UID.seriesC2]);
      expect((await search('series', '', { studyUid: '9.9.9' })).body).toEqual([]);
    });

    it('matches Modality, SeriesNumber, SeriesInstanceUID and SeriesDescription', async () => {
      expect(seriesUids(await search('series', 'Modality=MR'))).toEqual([UID.seriesB1, UID.seriesC2]);
      expect(seriesUids(await search('series', 'SeriesNumber=2'))).toEqual([UID.seriesA2, UID.seriesC2]);
      expect(seriesUids(await search('series', `SeriesInstanceUID=${UID.seriesD1},${UID.seriesA2}`))).toEqual([
        UID.seriesA2,
        UID.seriesD1,
      ]);
      expect(seriesUids(await search('series', 'SeriesDescription=*AX*'))).toEqual([UID.seriesA1, UID.seriesC2]);
    });

    it('matches PerformedProcedureStepStartDate/Time, combined when both are ranges', async () => {
      expect(seriesUids(await search('series', 'PerformedProcedureStepStartDate=20240106-'))).toEqual([
        UID.seriesB1,
        UID.seriesC1,
      ]);
      expect(seriesUids(await search('series', 'PerformedProcedureStepStartTime=1000-1100'))).toEqual([UID.seriesB1]);
      expect(
        seriesUids(
          await search(
            'series',
            'PerformedProcedureStepStartDate=20240105-20240107&PerformedProcedureStepStartTime=0940-2300',
          ),
        ),
      ).toEqual([UID.seriesB1]);
    });

    it('filters by study-level keys too', async () => {
      expect(seriesUids(await search('series', 'PatientName=smith*&Modality=CT'))).toEqual([UID.seriesC1]);
      expect(seriesUids(await search('series', 'ModalitiesInStudy=SR'))).toEqual([UID.seriesA1, UID.seriesA2]);
      expect(seriesUids(await search('series', 'StudyDate=20240105'))).toEqual([UID.seriesA1, UID.seriesA2]);
    });

    it('returns the series attributes, the study ones and a series RetrieveURL', async () => {
      const [b1] = (await search('series', `SeriesInstanceUID=${UID.seriesB1}`)).body;
      expect(b1).toMatchObject({
        '00080060': { vr: 'CS', Value: ['MR'] },
        '0008103E': { vr: 'LO', Value: ['SAG PD'] },
        '0020000E': { vr: 'UI', Value: [UID.seriesB1] },
        '00200011': { vr: 'IS', Value: [1] },
        '00201209': { vr: 'IS', Value: [1] },
        '00400244': { vr: 'DA', Value: ['20240106'] },
        '00400245': { vr: 'TM', Value: ['1005'] },
        '0020000D': { vr: 'UI', Value: [UID.studyB] },
        '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Müller^Jürgen' }] },
        '00081190': {
          vr: 'UR',
          Value: [`https://pacs.example.org/dicomweb/studies/${UID.studyB}/series/${UID.seriesB1}`],
        },
      });
      const [a2] = (await search('series', `SeriesInstanceUID=${UID.seriesA2}`)).body;
      expect(a2!['00400244']).toEqual({ vr: 'DA' });
    });
  });

  describe('instance search', () => {
    it('/instances returns every instance', async () => {
      expect((await search('instance')).body).toHaveLength(7);
    });

    it('/studies/{s}/instances and /studies/{s}/series/{se}/instances are scoped', async () => {
      expect(sopUids(await search('instance', '', { studyUid: UID.studyA }))).toEqual([
        `${UID.seriesA1}.1`,
        `${UID.seriesA1}.2`,
        `${UID.seriesA2}.1`,
      ]);
      expect(sopUids(await search('instance', '', { studyUid: UID.studyA, seriesUid: UID.seriesA2 }))).toEqual([
        `${UID.seriesA2}.1`,
      ]);
      expect((await search('instance', '', { studyUid: UID.studyB, seriesUid: UID.seriesA2 })).body).toEqual([]);
    });

    it('matches SOPClassUID lists, SOPInstanceUID and InstanceNumber', async () => {
      expect(sopUids(await search('instance', `SOPClassUID=${MR_IMAGE},${BASIC_TEXT_SR}`))).toEqual([
        `${UID.seriesA2}.1`,
        `${UID.seriesB1}.1`,
        `${UID.seriesC2}.1`,
      ]);
      expect(sopUids(await search('instance', `SOPInstanceUID=${UID.seriesA1}.2`))).toEqual([`${UID.seriesA1}.2`]);
      expect(sopUids(await search('instance', 'InstanceNumber=2'))).toEqual([`${UID.seriesA1}.2`]);
    });

    it('filters by series- and study-level keys too', async () => {
      expect(sopUids(await search('instance', 'Modality=CT&PatientID=PID-US'))).toEqual([`${UID.seriesC1}.1`]);
      expect(sopUids(await search('instance', `SOPClassUID=${CT_IMAGE}&StudyDate=20240105`))).toEqual([
        `${UID.seriesA1}.1`,
        `${UID.seriesA1}.2`,
      ]);
    });

    it('matches instance attributes in the stored metadata, any of their values', async () => {
      expect(sopUids(await search('instance', 'ImageType=PRIMARY'))).toEqual([`${UID.seriesB1}.1`]);
      expect(sopUids(await search('instance', 'SliceThickness=3.5'))).toEqual([`${UID.seriesB1}.1`]);
    });

    it('returns instance, series and study attributes and an instance RetrieveURL', async () => {
      const [mr] = (await search('instance', `SOPInstanceUID=${UID.seriesC2}.1`)).body;
      expect(mr).toMatchObject({
        '00080016': { vr: 'UI', Value: [MR_IMAGE] },
        '00080018': { vr: 'UI', Value: [`${UID.seriesC2}.1`] },
        '00200013': { vr: 'IS', Value: [1] },
        '00280008': { vr: 'IS', Value: [20] },
        '00280010': { vr: 'US', Value: [256] },
        '00280011': { vr: 'US', Value: [256] },
        '00280100': { vr: 'US', Value: [16] },
        '00080060': { vr: 'CS', Value: ['MR'] },
        '0020000E': { vr: 'UI', Value: [UID.seriesC2] },
        '0020000D': { vr: 'UI', Value: [UID.studyC] },
        '00100020': { vr: 'LO', Value: ['PID-US'] },
        '00081190': {
          vr: 'UR',
          Value: [
            `https://pacs.example.org/dicomweb/studies/${UID.studyC}/series/${UID.seriesC2}/instances/${UID.seriesC2}.1`,
          ],
        },
      });
      const [sr] = (await search('instance', `SOPInstanceUID=${UID.seriesA2}.1`)).body;
      expect(sr!['00280010']).toEqual({ vr: 'US' });
      expect(sr!['00280008']).toEqual({ vr: 'IS' });
    });
  });
});
