/**
 * The behaviour every StudyLinkStore must show, run against each backend beside its archive
 * index (study-links.test.ts: SQLite; study-links-pg.test.ts: PostgreSQL). Studies are archived
 * through the index itself (hand-made records).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from '../../archive/archive-index.js';
import { indexRecord } from '../../archive/archive-index-suite.js';
import type { StudyLinkStore } from './study-links.js';

export interface StudyLinksFixture {
  index: ArchiveIndex;
  links: StudyLinkStore;
  close(): Promise<void>;
}

const ROOT = '1.2.826.0.1.3680043.10.1089.22.8';

/** Archives one instance of `study` for PatientID `patientId`; returns the archive's patient row. */
async function archive(f: StudyLinksFixture, study: string, patientId: string, n = 1): Promise<number> {
  const record = indexRecord({ sop: `${study}.9.${n}`, instanceNumber: n, study, series: `${study}.1` });
  record.json['00100020'] = { vr: 'LO', Value: [patientId] };
  expect((await f.index.commit([{ record, replaces: null }])).results[0]?.decision).toBe('stored');
  const pk = await f.links.patientRowOf(study);
  expect(pk).toBeTypeOf('number');
  return pk!;
}

export function studyLinksSuite(name: string, open: () => Promise<StudyLinksFixture>, options: { skip?: string } = {}) {
  const title = `StudyLinkStore (${name})${options.skip === undefined ? '' : ` (skipped: ${options.skip})`}`;
  describe.skipIf(options.skip !== undefined)(title, () => {
    let f: StudyLinksFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.close();
    });

    it('lists the studies linked to a Patient and the owner of each; a link is replaced and forgotten', async () => {
      const a = `${ROOT}.1`;
      const b = `${ROOT}.2`;
      const c = `${ROOT}.3`;
      const pkA = await archive(f, a, 'MRN1');
      await f.links.record(a, pkA, 'pat-a');
      await f.links.record(b, await archive(f, b, 'MRN2'), 'pat-b');
      await f.links.record(c, await archive(f, c, 'MRN1'), 'pat-a');
      expect((await f.links.studiesOf('pat-a')).sort()).toEqual([a, c]);
      expect(await f.links.ownerOf(b)).toBe('pat-b');
      expect(await f.links.ownerOf(`${ROOT}.99`)).toBeUndefined();
      expect(await f.links.patientRowOf(`${ROOT}.99`)).toBeUndefined();
      expect(await f.links.patientRowOf(c)).toBe(pkA); // same PatientID: same patient row
      await f.links.record(a, pkA, 'pat-b');
      expect(await f.links.studiesOf('pat-a')).toEqual([c]);
      await f.links.forget(c);
      expect(await f.links.studiesOf('pat-a')).toEqual([]);
      expect(await f.links.ownerOf(c)).toBeUndefined();
      await f.links.forget(c); // forgetting twice is harmless
    });

    it('holds only while the archive files the study under the patient row it was linked from', async () => {
      const study = `${ROOT}.4`;
      const first = await archive(f, study, 'MRN1');
      await f.links.record(study, first, 'pat-a');
      expect(await f.links.ownerOf(study)).toBe('pat-a');
      // Deleted, and back under another PatientID (same UID): nobody's until the bridge links it again.
      await f.index.delete({ studyUid: study }, 'suite', undefined);
      expect(await f.links.ownerOf(study)).toBeUndefined();
      const second = await archive(f, study, 'MRN2', 2);
      expect(second).not.toBe(first);
      expect(await f.links.studiesOf('pat-a')).toEqual([]);
      expect(await f.links.ownerOf(study)).toBeUndefined();
      await f.links.record(study, second, 'pat-c');
      expect(await f.links.ownerOf(study)).toBe('pat-c');
      // A link to a study the archive does not hold gives nothing.
      await f.links.record(`${ROOT}.5`, second, 'pat-c');
      expect(await f.links.studiesOf('pat-c')).toEqual([study]);
    });
  });
}
