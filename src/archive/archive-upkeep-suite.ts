/**
 * The behaviour every ArchiveUpkeep must show, run against each implementation beside its index
 * (sqlite/sqlite-upkeep.test.ts, postgres/pg-upkeep.test.ts). Instances are committed through the
 * index itself (hand-made records, no blobs).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveIndex } from './archive-index.js';
import { indexRecord } from './archive-index-suite.js';
import type { ArchiveUpkeep } from './archive-upkeep.js';
import type { InstanceRecord } from './types.js';

export interface UpkeepFixture {
  index: ArchiveIndex;
  upkeep: ArchiveUpkeep;
  /** The bridge outbox's change counter of a study (undefined: not queued), read from the database. */
  outboxSeq(studyUid: string): Promise<number | undefined>;
  close(): Promise<void>;
}

const ROOT = '1.2.826.0.1.3680043.10.1089.22.7';
const STUDY = `${ROOT}.1`;
const OTHER_STUDY = `${ROOT}.2`;
const PRIORITY = '00401003';
const REQUEST_ATTRIBUTES = '00400275';

const record = (n: number, o: { blobKey?: string; study?: string } = {}): InstanceRecord => {
  const study = o.study ?? STUDY;
  return indexRecord({ sop: `${ROOT}.9.${n}`, instanceNumber: n, study, series: `${study}.1`, ...o });
};

export function archiveUpkeepSuite(name: string, open: () => Promise<UpkeepFixture>, options: { skip?: string } = {}) {
  const title = `ArchiveUpkeep (${name})${options.skip === undefined ? '' : ` (skipped: ${options.skip})`}`;
  describe.skipIf(options.skip !== undefined)(title, () => {
    let f: UpkeepFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.close();
    });

    it('answers since when the previous run was running only when it did not stop cleanly', async () => {
      expect(await f.upkeep.markRunning(1000)).toBeUndefined();
      // No markStopped: the process died.
      expect(await f.upkeep.markRunning(2000)).toBe(1000);
      await f.upkeep.markStopped();
      expect(await f.upkeep.markRunning(3000)).toBeUndefined();
    });

    it('lists the rows naming keys with a prefix (current and replaced versions) and repoints them in one go', async () => {
      const v1 = record(1, { blobKey: 'p/3/100/10' });
      await f.index.commit([
        { record: v1, replaces: null },
        { record: record(2, { blobKey: 'ab/x/2.dcm' }), replaces: null },
      ]);
      const v2 = { ...v1, blobKey: 'p/4/200/10' };
      expect((await f.index.commit([{ record: v2, replaces: v1.blobKey }])).results[0]?.decision).toBe('new-version');
      const refs = await f.upkeep.blobReferences('p/');
      expect(refs.map((r) => `${r.key} ${r.sop}`).sort()).toEqual([
        `p/3/100/10 ${v1.sopUid}`,
        `p/4/200/10 ${v1.sopUid}`,
      ]);
      expect(await f.upkeep.blobReferences('p/3/')).toEqual([{ key: 'p/3/100/10', sop: v1.sopUid }]);

      const sops = new Set([v1.sopUid]);
      const gone = { from: 'p/5/1/10', to: 'p/9/1/10', sops: new Set([`${ROOT}.9.77`]) };
      const orphaned = await f.upkeep.repointBlobKeys([
        { from: 'p/3/100/10', to: 'p/9/0/10', sops },
        { from: 'p/4/200/10', to: 'p/9/64/10', sops },
        gone,
      ]);
      expect(orphaned).toEqual([gone]);
      expect((await f.upkeep.blobReferences('p/')).map((r) => r.key).sort()).toEqual(['p/9/0/10', 'p/9/64/10']);
      expect(await f.index.holdsBlob(v1.sopUid, 'p/9/64/10')).toBe(true);
      expect(await f.index.holdsBlob(v1.sopUid, 'p/4/200/10')).toBe(false);
      expect((await f.index.findInstance(v1.sopUid))?.blobKey).toBe('p/9/64/10');
      expect(await f.upkeep.repointBlobKeys([])).toEqual([]);
    });

    it("gives a study's first arrival and its Requested Procedure Priority, top level or in the Request Attributes", async () => {
      expect(await f.upkeep.studyFacts(STUDY)).toBeUndefined();
      const before = Date.now();
      await f.index.commit([{ record: record(1), replaces: null }]);
      const plain = await f.upkeep.studyFacts(STUDY);
      expect(plain?.priority).toBeUndefined();
      expect(plain?.received).toBeGreaterThanOrEqual(before);
      expect(plain?.received).toBeLessThanOrEqual(Date.now());

      const nested = record(2);
      nested.json[REQUEST_ATTRIBUTES] = { vr: 'SQ', Value: [{ [PRIORITY]: { vr: 'CS', Value: ['STAT'] } }] };
      await f.index.commit([{ record: nested, replaces: null }]);
      expect(await f.upkeep.studyFacts(STUDY)).toEqual({ received: plain?.received, priority: 'STAT' });

      const top = record(3, { study: OTHER_STUDY });
      top.json[PRIORITY] = { vr: 'CS', Value: ['HIGH'] };
      await f.index.commit([{ record: top, replaces: null }]);
      expect((await f.upkeep.studyFacts(OTHER_STUDY))?.priority).toBe('HIGH');
    });

    it('gives the facts of many studies in one read, the same as study by study, none for a study not stored', async () => {
      expect(await f.upkeep.studiesFacts([])).toEqual(new Map());
      expect(await f.upkeep.studiesFacts([STUDY])).toEqual(new Map());
      await f.index.commit([{ record: record(1), replaces: null }]);
      const nested = record(2);
      nested.json[REQUEST_ATTRIBUTES] = { vr: 'SQ', Value: [{ [PRIORITY]: { vr: 'CS', Value: ['STAT'] } }] };
      await f.index.commit([{ record: nested, replaces: null }]);
      const top = record(3, { study: OTHER_STUDY });
      top.json[PRIORITY] = { vr: 'CS', Value: ['HIGH'] };
      await f.index.commit([{ record: top, replaces: null }]);
      const missing = `${ROOT}.404`;
      const many = await f.upkeep.studiesFacts([STUDY, missing, OTHER_STUDY, STUDY]);
      expect([...many.keys()].sort()).toEqual([OTHER_STUDY, STUDY].sort());
      expect(many.get(STUDY)).toEqual(await f.upkeep.studyFacts(STUDY));
      expect(many.get(STUDY)?.priority).toBe('STAT');
      expect(many.get(OTHER_STUDY)).toEqual(await f.upkeep.studyFacts(OTHER_STUDY));
      expect(many.get(OTHER_STUDY)?.priority).toBe('HIGH');
    });

    it('queues several studies for the bridge at once: a queued one counts a new change, an unknown one is added', async () => {
      await f.index.commit([{ record: record(1), replaces: null }]);
      const seq = await f.outboxSeq(STUDY);
      expect(seq).toBeGreaterThanOrEqual(1);
      await f.upkeep.queueForSync([STUDY, OTHER_STUDY, STUDY], 'source endpoint choice changed');
      expect(await f.outboxSeq(STUDY)).toBe(seq! + 1);
      expect(await f.outboxSeq(OTHER_STUDY)).toBe(1);
      await f.upkeep.queueForSync([], 'nothing');
      expect(await f.outboxSeq(OTHER_STUDY)).toBe(1);
    });
  });
}
