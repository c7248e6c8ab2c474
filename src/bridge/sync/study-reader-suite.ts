/** The behaviour every StudyReader must show, run against each backend (bridge-stores-*.test.ts). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexRecord } from '../../archive/archive-index-suite.js';
import type { IngestNote, InstanceRecord } from '../../archive/types.js';
import {
  suiteTitle,
  type BridgeStoresUnderTest,
  type BridgeSuiteOptions,
  type OpenBridgeStores,
} from '../bridge-stores-harness.js';
import { ingestFindingsOf } from './ingest-findings.js';

const STUDY = '1.2.826.0.1.3680043.10.1089.22.10.1';
const OTHER = '1.2.826.0.1.3680043.10.1089.22.10.2';
const sop = (n: number, study = STUDY) => `${study}.1.${n}`;
const note: IngestNote = {
  rule: 'file-meta',
  tag: '00020003',
  original: `${STUDY}.9`,
  corrected: sop(2),
  message: 'MediaStorageSOPInstanceUID differs',
};

export interface StudyReaderSuiteOptions extends BridgeSuiteOptions {
  /**
   * The reader reads a pass's studies together (StudyReader.studies: PostgreSQL). False: it has
   * no such read, so the sync reads each study on its own, as it always did (SQLite).
   */
  readsTogether: boolean;
}

export function studyReaderSuite(backend: string, open: OpenBridgeStores, options: StudyReaderSuiteOptions): void {
  describe.skipIf(options.skip !== undefined)(suiteTitle('StudyReader', backend, options), () => {
    let stores: BridgeStoresUnderTest;
    const store = async (record: InstanceRecord, replaces: string | null = null) =>
      stores.index.commit([{ record, replaces }]);
    beforeEach(async () => {
      stores = await open();
    });
    afterEach(async () => {
      await stores.close();
    });

    it('reads a study’s instances in the order they were indexed, with their DICOM JSON and source', async () => {
      await store(indexRecord({ sop: sop(2), instanceNumber: 2, study: STUDY }));
      await store(indexRecord({ sop: sop(1), instanceNumber: 1, study: STUDY, series: `${STUDY}.2` }));
      await store(indexRecord({ sop: sop(1, OTHER), instanceNumber: 1, study: OTHER, series: `${OTHER}.1` }));
      const instances = await stores.reader.instances(STUDY);
      expect(instances.map((i) => i.json['00080018']?.Value)).toEqual([[sop(2)], [sop(1)]]);
      expect(instances.map((i) => i.source)).toEqual(['SUITE', 'SUITE']);
      expect(instances[0]!.json['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] });
      expect(await stores.reader.instances('1.2.3.4')).toEqual([]);
    });

    it('reads the notes of the visible instances only: a version stored without notes drops the old ones', async () => {
      const noted = indexRecord({ sop: sop(2), instanceNumber: 2, study: STUDY, blobKey: 'k/v1' });
      await store({ ...noted, notes: [note], source: 'CT_SCANNER' });
      await store({
        ...indexRecord({ sop: sop(3), instanceNumber: 3, study: STUDY }),
        notes: [{ ...note, tag: '00020002' }],
      });
      const notes = await stores.reader.ingestNotes(STUDY);
      expect(notes).toEqual([
        { sop_uid: sop(2), ...note, source: 'CT_SCANNER' },
        { sop_uid: sop(3), ...note, tag: '00020002', source: 'SUITE' },
      ]);
      expect(ingestFindingsOf(notes, { severity: { 'file-meta': 'error' } })[0]).toMatchObject({
        severity: 'error',
        sopInstanceUid: sop(2),
        source: { aeTitle: 'CT_SCANNER' },
      });
      await store({ ...noted, blobKey: 'k/v2' }, 'k/v1');
      expect((await stores.reader.ingestNotes(STUDY)).map((n) => n.sop_uid)).toEqual([sop(3)]);
      expect(await stores.reader.ingestNotes(OTHER)).toEqual([]);
    });

    it(
      options.readsTogether
        ? 'reads a pass’s studies together, each as its own reads give it (instances, notes, patient row, quarantine)'
        : 'has no read of several studies: the sync reads each study on its own',
      async () => {
        if (!options.readsTogether) {
          expect(stores.reader.studies).toBeUndefined();
          return;
        }
        const third = '1.2.826.0.1.3680043.10.1089.22.10.3';
        const unknown = '1.2.826.0.1.3680043.10.1089.22.10.4';
        await store({ ...indexRecord({ sop: sop(2), instanceNumber: 2, study: STUDY }), notes: [note] });
        await store(indexRecord({ sop: sop(1), instanceNumber: 1, study: STUDY, series: `${STUDY}.2` }));
        await store({
          ...indexRecord({ sop: sop(1, OTHER), instanceNumber: 1, study: OTHER, series: `${OTHER}.1` }),
          notes: [{ ...note, tag: '00020002' }],
        });
        await store(indexRecord({ sop: sop(1, third), instanceNumber: 1, study: third, series: `${third}.1` }));
        const reason = {
          rule: 'r',
          severity: 'error' as const,
          tag: '00100020',
          original: '',
          message: 'no PatientID',
        };
        await stores.quarantine.hold(OTHER, [reason], 5);
        await stores.quarantine.hold(third, [reason], 6);
        await stores.quarantine.release(third, 'reviewer', 'checked', 7);
        const read = await stores.reader.studies!([STUDY, OTHER, unknown, third, STUDY]);
        expect([...read.keys()]).toEqual([STUDY, OTHER, unknown, third]);
        for (const uid of [STUDY, OTHER, unknown, third]) {
          const got = read.get(uid)!;
          expect(got.instances).toEqual(await stores.reader.instances(uid));
          expect(got.notes).toEqual(await stores.reader.ingestNotes(uid));
          expect(got.quarantine).toEqual(await stores.quarantine.get(uid));
        }
        expect(read.get(STUDY)!.instances).toHaveLength(2);
        expect(read.get(OTHER)!.notes.map((n) => n.tag)).toEqual(['00020002']);
        expect(read.get(OTHER)!.quarantine?.state).toBe('held');
        expect(read.get(third)!.quarantine?.state).toBe('released');
        expect(read.get(STUDY)!.quarantine).toBeUndefined();
        // One archive patient (same PatientID) for the three archived studies; none for the unknown one.
        expect(typeof read.get(STUDY)!.patientPk).toBe('number');
        expect(read.get(OTHER)!.patientPk).toBe(read.get(STUDY)!.patientPk);
        expect(read.get(third)!.patientPk).toBe(read.get(STUDY)!.patientPk);
        expect(read.get(unknown)).toEqual({ instances: [], notes: [], patientPk: undefined, quarantine: undefined });
      },
    );
  });
}
