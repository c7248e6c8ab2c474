import { describe, expect, it } from 'vitest';
import { QueryError } from './query-error.js';
import { forEachQidoBackend } from './test-support.js';

forEachQidoBackend('QIDO bad requests', (search) => {
  /** The QueryError message (a 400 on QIDO-RS) a query gets, or a failure when it does not get one. */
  async function rejection(level: Parameters<typeof search>[0], query: string): Promise<string> {
    try {
      await search(level, query);
    } catch (e) {
      expect(e).toBeInstanceOf(QueryError);
      expect((e as QueryError).parameter).toBeTruthy();
      return (e as QueryError).message;
    }
    throw new Error(`"${query}" was accepted`);
  }

  describe('bad requests are 400 with a clear message', () => {
    it('rejects unknown attribute keywords and tags', async () => {
      expect(await rejection('study', 'PatientNme=x')).toMatch(/PatientNme.*unknown attribute keyword/);
      expect(await rejection('study', 'includefield=NoSuchThing')).toMatch(/NoSuchThing.*unknown attribute keyword/);
      expect(await rejection('study', '0009FFFF=x')).toMatch(/private attributes/);
    });

    it('ignores unsupported parameters as PS3.18 asks, saying so in a Warning', async () => {
      const res = await search('study', 'page-size=10&_=123');
      expect(res.warnings.join()).toContain('Unsupported query parameters were ignored: page-size, _');
    });

    it('rejects limit and offset that are not unsigned integers', async () => {
      expect(await rejection('study', 'limit=ten')).toMatch(/limit="ten" is not an unsigned integer/);
      expect(await rejection('study', 'limit=-1')).toMatch(/limit/);
      expect(await rejection('study', 'offset=1.5')).toMatch(/offset/);
      expect(await rejection('study', 'limit=1&limit=2')).toMatch(/only once/);
      expect(await rejection('study', 'fuzzymatching=yes')).toMatch(/true or false/);
    });

    it('rejects malformed dates, times and reversed ranges', async () => {
      expect(await rejection('study', 'StudyDate=2024-01-05')).toMatch(/StudyDate.*not a valid DA/);
      expect(await rejection('study', 'StudyDate=20240107-20240105')).toMatch(/reversed/);
      expect(await rejection('study', 'StudyDate=-')).toMatch(/at least one end/);
      expect(await rejection('study', 'StudyTime=25x')).toMatch(/StudyTime.*not a valid TM/);
      expect(await rejection('study', 'StudyTime=1800-0800')).toMatch(/midnight/);
      expect(await rejection('study', 'StudyDate=2024*')).toMatch(/not a valid DA/);
    });

    it('rejects sequence matching and matching on bulk data', async () => {
      expect(await rejection('study', 'ReferencedStudySequence.ReferencedSOPInstanceUID=1.2')).toMatch(
        /sequence matching/,
      );
      expect(await rejection('study', '00081110=1.2')).toMatch(/sequence matching/);
      expect(await rejection('instance', 'PixelData=x')).toMatch(/cannot be used as a matching key/);
    });

    it('rejects keys of a lower level, and return-only keys', async () => {
      expect(await rejection('study', 'Modality=CT')).toMatch(/series-level attribute/);
      expect(await rejection('series', 'SOPClassUID=1.2')).toMatch(/instance-level attribute/);
      expect(await rejection('study', 'ImageType=ORIGINAL')).toMatch(/not an attribute of the study level/);
      expect(await rejection('study', 'NumberOfStudyRelatedInstances=3')).toMatch(/includefield/);
    });

    it('rejects malformed values of numbers and UIDs', async () => {
      expect(await rejection('series', 'SeriesNumber=one')).toMatch(/SeriesNumber="one" is not an integer/);
      expect(await rejection('study', 'StudyInstanceUID=1.2.*')).toMatch(/wildcards are not allowed in UIDs/);
    });

    it('rejects repeated keys that are not lists, and several values without multiplevaluematching', async () => {
      expect(await rejection('study', 'PatientID=a&PatientID=b')).toMatch(/appears more than once/);
      expect(await rejection('study', 'PatientID=a&00100020=b')).toMatch(/appears more than once/);
      expect(await rejection('study', 'PatientID=a\\b')).toMatch(/multiplevaluematching=true/);
    });

    it('accepts, without matching on them, the content negotiation parameters and SpecificCharacterSet', async () => {
      expect((await search('study', 'accept=application/dicom%2Bjson&limit=1')).body).toHaveLength(1);
      expect((await search('study', 'SpecificCharacterSet=ISO_IR 100')).body).toHaveLength(4);
    });
  });
});
