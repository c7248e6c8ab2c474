/**
 * The behaviour every ArchiveIndex must show, run against each implementation
 * (sqlite/sqlite-index.test.ts; PostgreSQL next). Records are hand-made DICOM JSON: the
 * index is tested on its own, without blobs or parsing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DicomJson } from '../dicom/types.js';
import type { ArchiveIndex, IndexedWrite } from './archive-index.js';
import { KEY_OBJECT_SELECTION } from './rejection-note.js';
import type { InstanceRecord } from './types.js';

export interface ArchiveIndexSuiteOptions {
  /** Why the suite cannot run here (no server): reported as skipped with the reason. */
  skip?: string;
}

const ROOT = '1.2.826.0.1.3680043.10.1089.22';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY = `${ROOT}.1`;
const SERIES_1 = `${ROOT}.1.1`;
const SERIES_2 = `${ROOT}.1.2`;

const v = (vr: string, value: string | number) => ({ vr, Value: [value] });

export function indexRecord(o: {
  series?: string;
  seriesNumber?: number;
  sop: string;
  instanceNumber: number;
  blobKey?: string;
  study?: string;
  description?: string;
}): InstanceRecord {
  const study = o.study ?? STUDY;
  const series = o.series ?? SERIES_1;
  const json: DicomJson = {
    '00080016': v('UI', CT),
    '00080018': v('UI', o.sop),
    '00080020': v('DA', '20240101'),
    '00080060': v('CS', series === SERIES_2 ? 'MR' : 'CT'),
    '00081030': v('LO', o.description ?? 'Suite study'),
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
    '00100020': v('LO', 'P-SUITE'),
    '0020000D': v('UI', study),
    '0020000E': v('UI', series),
    '00200011': v('IS', o.seriesNumber ?? (series === SERIES_2 ? 2 : 1)),
    '00200013': v('IS', o.instanceNumber),
  };
  return {
    studyUid: study,
    seriesUid: series,
    sopUid: o.sop,
    sopClassUid: CT,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    blobKey: o.blobKey ?? `ab/${study}/${o.sop}-00000001.dcm`,
    size: 1000 + o.instanceNumber,
    datasetOffset: 132,
    json,
    source: 'SUITE',
  };
}

const fresh = (record: InstanceRecord): IndexedWrite => ({ record, replaces: null });

export function archiveIndexSuite(
  name: string,
  open: () => Promise<ArchiveIndex>,
  options: ArchiveIndexSuiteOptions = {},
): void {
  const title = `ArchiveIndex (${name})${options.skip === undefined ? '' : ` (skipped: ${options.skip})`}`;
  describe.skipIf(options.skip !== undefined)(title, () => {
    let index: ArchiveIndex;
    beforeEach(async () => {
      index = await open();
    });
    afterEach(async () => {
      await index.close();
    });

    it('stores a batch in one commit, lists it in series then instance order, and keeps the aggregates', async () => {
      const receipt = await index.commit([
        fresh(indexRecord({ series: SERIES_2, sop: `${SERIES_2}.1`, instanceNumber: 1 })),
        fresh(indexRecord({ sop: `${SERIES_1}.2`, instanceNumber: 2 })),
        fresh(indexRecord({ sop: `${SERIES_1}.1`, instanceNumber: 1 })),
      ]);
      await receipt.durable;
      expect(receipt.results).toEqual([
        { decision: 'stored', version: 1 },
        { decision: 'stored', version: 1 },
        { decision: 'stored', version: 1 },
      ]);
      expect((await index.instances({ studyUid: STUDY })).map((i) => i.sopUid)).toEqual([
        `${SERIES_1}.1`,
        `${SERIES_1}.2`,
        `${SERIES_2}.1`,
      ]);
      expect(await index.instances({ studyUid: STUDY, seriesUid: SERIES_2 })).toEqual([
        {
          studyUid: STUDY,
          seriesUid: SERIES_2,
          sopUid: `${SERIES_2}.1`,
          sopClassUid: CT,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          blobKey: `ab/${STUDY}/${SERIES_2}.1-00000001.dcm`,
          size: 1001,
          numberOfFrames: 1,
        },
      ]);
      expect(await index.studyInstanceCount(STUDY)).toBe(3);
      expect(await index.studyInstanceCount(`${ROOT}.404`)).toBe(0);
      expect(await index.check()).toEqual({ instances: 3 });
      expect(await index.findInstance(`${SERIES_1}.2`)).toMatchObject({ version: 1, studyUid: STUDY, size: 1002 });
      expect(await index.findInstance(`${SERIES_1}.404`)).toBeUndefined();
    });

    it('keeps a replaced version on record, and answers retry to a writer that saw an older state', async () => {
      const sop = `${SERIES_1}.1`;
      const v1 = indexRecord({ sop, instanceNumber: 1, blobKey: `ab/${STUDY}/v1.dcm` });
      await index.commit([fresh(v1)]);
      const v2 = indexRecord({ sop, instanceNumber: 1, blobKey: `ab/${STUDY}/v2.dcm`, description: 'v2' });
      const second = await index.commit([{ record: v2, replaces: v1.blobKey }]);
      expect(second.results).toEqual([{ decision: 'new-version', version: 2 }]);
      // A writer that looked before v2 was committed decides again.
      const stale = indexRecord({ sop, instanceNumber: 1, blobKey: `ab/${STUDY}/v3.dcm` });
      expect((await index.commit([{ record: stale, replaces: v1.blobKey }])).results[0]?.decision).toBe('retry');
      expect((await index.commit([fresh(stale)])).results[0]?.decision).toBe('retry');
      expect(await index.findInstance(sop)).toMatchObject({ version: 2, blobKey: v2.blobKey });
      expect(await index.holdsBlob(sop, v1.blobKey)).toBe(true);
      expect(await index.holdsBlob(sop, v2.blobKey)).toBe(true);
      expect(await index.holdsBlob(sop, stale.blobKey)).toBe(false);
      expect(await index.blobKeysOfStudy(STUDY)).toEqual(new Set([v1.blobKey, v2.blobKey]));
      expect(await index.instances({ studyUid: STUDY })).toHaveLength(1);
    });

    it('serves the stored metadata and a scope version that changes with every added instance', async () => {
      await index.commit([fresh(indexRecord({ sop: `${SERIES_1}.1`, instanceNumber: 1 }))]);
      const before = await index.scopeVersion({ studyUid: STUDY });
      expect(before.count).toBe(1);
      await index.commit([fresh(indexRecord({ sop: `${SERIES_1}.2`, instanceNumber: 2 }))]);
      const after = await index.scopeVersion({ studyUid: STUDY });
      expect(after.count).toBe(2);
      expect(after).not.toEqual(before);
      expect(await index.scopeVersion({ studyUid: STUDY, sopUid: `${SERIES_1}.1` })).toMatchObject({ count: 1 });
      expect(await index.scopeVersion({ studyUid: `${ROOT}.404` })).toMatchObject({ count: 0 });
      const rows = await index.metadata({ studyUid: STUDY });
      expect(rows.map((r) => [r.seriesUid, r.sopUid])).toEqual([
        [SERIES_1, `${SERIES_1}.1`],
        [SERIES_1, `${SERIES_1}.2`],
      ]);
      expect(JSON.parse(rows[0]!.metadata)['00081030']).toEqual({ vr: 'LO', Value: ['Suite study'] });
    });

    it('deletes a series, returns its blob keys, and drops the emptied study', async () => {
      await index.commit([
        fresh(indexRecord({ sop: `${SERIES_1}.1`, instanceNumber: 1 })),
        fresh(indexRecord({ series: SERIES_2, sop: `${SERIES_2}.1`, instanceNumber: 1 })),
      ]);
      const keys = await index.delete({ studyUid: STUDY, seriesUid: SERIES_2 }, 'suite', 'test');
      expect(keys).toEqual([`ab/${STUDY}/${SERIES_2}.1-00000001.dcm`]);
      expect(await index.studyInstanceCount(STUDY)).toBe(1);
      expect(await index.delete({ studyUid: STUDY, seriesUid: SERIES_2 }, 'suite', undefined)).toEqual([]);
      await index.delete({ studyUid: STUDY }, 'suite', undefined);
      expect(await index.instances({ studyUid: STUDY })).toEqual([]);
      expect(await index.studyInstanceCount(STUDY)).toBe(0);
    });

    it('commits at every durability: grouped and journaled receipts settle, and all are visible at once', async () => {
      const grouped = await index.commit([fresh(indexRecord({ sop: `${SERIES_1}.1`, instanceNumber: 1 }))], {
        durability: 'grouped',
      });
      const journaled = await index.commit(
        [{ ...fresh(indexRecord({ sop: `${SERIES_1}.2`, instanceNumber: 2 })), journaled: true }],
        { durability: 'journaled' },
      );
      expect(await index.instances({ studyUid: STUDY })).toHaveLength(2);
      await expect(grouped.durable).resolves.toBeUndefined();
      await expect(journaled.durable).resolves.toBeUndefined();
      const empty = await index.commit([], { durability: 'grouped' });
      expect(empty.results).toEqual([]);
      await empty.durable;
      expect(index.durabilityLost).toBeUndefined();
    });

    it('hides the instances a rejection note names, the note too, and one named before it arrives', async () => {
      const sq = (...items: DicomJson[]) => ({ vr: 'SQ', Value: items });
      const ref = (sop: string) => ({ '00081155': v('UI', sop) });
      const noteSop = `${ROOT}.9.1`;
      const later = `${SERIES_1}.3`;
      const note = indexRecord({
        series: `${ROOT}.9`,
        sop: noteSop,
        instanceNumber: 1,
        blobKey: `ab/${STUDY}/note.dcm`,
      });
      note.sopClassUid = KEY_OBJECT_SELECTION;
      note.json['0040A043'] = sq({ '00080100': v('SH', '113001'), '00080102': v('SH', 'DCM') });
      note.json['0040A375'] = sq({
        '0020000D': v('UI', STUDY),
        '00081115': sq({ '0020000E': v('UI', SERIES_1), '00081199': sq(ref(`${SERIES_1}.1`), ref(later)) }),
      });
      await index.commit([
        fresh(indexRecord({ sop: `${SERIES_1}.1`, instanceNumber: 1 })),
        fresh(indexRecord({ sop: `${SERIES_1}.2`, instanceNumber: 2 })),
      ]);
      expect((await index.commit([fresh(note)])).results).toEqual([{ decision: 'stored', version: 1 }]);
      expect((await index.instances({ studyUid: STUDY })).map((i) => i.sopUid)).toEqual([`${SERIES_1}.2`]);
      await index.commit([fresh(indexRecord({ sop: later, instanceNumber: 3, blobKey: `ab/${STUDY}/later.dcm` }))]);
      expect((await index.instances({ studyUid: STUDY })).map((i) => i.sopUid)).toEqual([`${SERIES_1}.2`]);
      expect(await index.studyInstanceCount(STUDY)).toBe(1);
      // Hidden, not forgotten: the bytes stay referenced (the orphan sweep keeps them).
      expect(await index.holdsBlob(later, `ab/${STUDY}/later.dcm`)).toBe(true);
      expect(await index.blobKeysOfStudy(STUDY)).toContain(note.blobKey);
    });

    it('keeps the journal mark a checkpoint recorded', async () => {
      expect(await index.journalMark()).toEqual({ segment: 0, offset: 0 });
      await index.checkpoint({ segment: 3, offset: 4096 });
      expect(await index.journalMark()).toEqual({ segment: 3, offset: 4096 });
    });

    it('closes once however often it is asked', async () => {
      await index.close();
      await index.close();
      index = await open(); // afterEach closes this one
    });
  });
}
