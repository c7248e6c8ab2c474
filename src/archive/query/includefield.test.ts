import { describe, expect, it, vi } from 'vitest';
import { forEachQidoBackend, UID } from './test-support.js';

forEachQidoBackend('QIDO includefield', (search) => {
  const first = async (level: Parameters<typeof search>[0], query: string, scope = {}) =>
    (await search(level, query, scope)).body[0]!;

  describe('includefield', () => {
    it('reads no stored JSON in JavaScript unless includefield or a key asks for a non-indexed attribute', async () => {
      const parse = vi.spyOn(JSON, 'parse');
      try {
        expect((await search('instance', 'includefield=StudyDescription,Rows,00081190')).body).toHaveLength(7);
        expect((await search('study', 'PatientName=smith*&StudyDate=20240101-')).body).toHaveLength(1);
        expect(parse).not.toHaveBeenCalled();
        await search('study', 'includefield=PatientAge');
        expect(parse).toHaveBeenCalledTimes(4);
      } finally {
        parse.mockRestore();
      }
    });

    it('adds stored study attributes by keyword or tag, in comma lists or repeated', async () => {
      const a = await first(
        'study',
        `StudyInstanceUID=${UID.studyA}&includefield=PatientAge,00102160&includefield=OtherPatientIDs`,
      );
      expect(a['00101010']).toEqual({ vr: 'AS', Value: ['054Y'] });
      expect(a['00102160']).toEqual({ vr: 'SH', Value: ['JAPANESE'] });
      // Requested but not in the data: returned empty.
      expect(a['00101000']).toEqual({ vr: 'LO' });
    });

    it('all returns every stored study attribute, with our character set and aggregates winning', async () => {
      const a = await first('study', `StudyInstanceUID=${UID.studyA}&includefield=all`);
      expect(a['00101010']).toEqual({ vr: 'AS', Value: ['054Y'] });
      expect(a['00080005']).toEqual({ vr: 'CS', Value: ['ISO_IR 192'] });
      expect(a['00201208']).toEqual({ vr: 'IS', Value: [3] });
      expect(a['00080061']).toEqual({ vr: 'CS', Value: ['CT', 'SR'] });
      expect(Object.keys(a)).toEqual(Object.keys(a).sort());
    });

    it('leaves out an attribute the level does not have', async () => {
      const a = await first('study', `StudyInstanceUID=${UID.studyA}&includefield=Modality,ImageType`);
      expect(a['00080060']).toBeUndefined();
      expect(a['00080008']).toBeUndefined();
    });

    it('reads instance attributes from the stored metadata at instance level', async () => {
      const b = await first('instance', 'includefield=ImageType,SliceThickness', { studyUid: UID.studyB });
      expect(b['00080008']).toEqual({ vr: 'CS', Value: ['ORIGINAL', 'PRIMARY'] });
      expect(b['00180050']).toEqual({ vr: 'DS', Value: [3.5] });
    });

    it('all at instance level returns the metadata without bulk data, also inside sequences', async () => {
      const b = await first('instance', 'includefield=all', { studyUid: UID.studyB });
      expect(b['00080008']).toEqual({ vr: 'CS', Value: ['ORIGINAL', 'PRIMARY'] });
      expect(b['7FE00010']).toBeUndefined();
      expect(b['00282000']).toEqual({ vr: 'SQ', Value: [{ '00280010': { vr: 'US', Value: [64] } }] });
      expect(JSON.stringify(b)).not.toContain('\u0001');
      expect(b['00080005']).toEqual({ vr: 'CS', Value: ['ISO_IR 192'] });
    });

    it('all at series level adds the stored series and study attributes', async () => {
      const c2 = await first('series', `SeriesInstanceUID=${UID.seriesC2}&includefield=all`);
      expect(c2['0008103E']).toEqual({ vr: 'LO', Value: ['T2 AX'] });
      expect(c2['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'SMITH^JOHN' }] });
    });
  });
});
