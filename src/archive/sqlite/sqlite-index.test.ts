import { expect, it } from 'vitest';
import { archiveIndexSuite, indexRecord } from '../archive-index-suite.js';
import type { IndexedWrite } from '../archive-index.js';
import { KEY_OBJECT_SELECTION } from '../rejection-note.js';
import { SqliteIndex } from './sqlite-index.js';

archiveIndexSuite('SQLite', async () => new SqliteIndex(':memory:'));

// What the connection's `synchronous` is while a write of each durability is applied, and after.
it.each([
  ['synced', 2],
  ['grouped', 1],
  ['journaled', 1],
] as const)('a %s commit runs with synchronous=%i and leaves the connection at FULL', async (durability, during) => {
  const index = new SqliteIndex(':memory:');
  try {
    const seen: number[] = [];
    const record = indexRecord({ sop: `1.2.3.${during}.${durability.length}`, instanceNumber: 1 });
    const write: IndexedWrite = {
      replaces: null,
      get record() {
        seen.push(index.db.pragma('synchronous', { simple: true }) as number);
        return record;
      },
    };
    const receipt = await index.commit([write], { durability });
    await receipt.durable.catch(() => {}); // an in-memory database has no WAL file to sync
    expect(receipt.results[0]?.decision).toBe('stored');
    expect(seen[0]).toBe(during);
    expect(index.db.pragma('synchronous', { simple: true })).toBe(2);
  } finally {
    await index.close();
  }
});

// Inserts alone skip the drops of empty series/studies (refreshAggregates): the batches that
// remove rows must still drop what they emptied, and inserts must keep what they filled.
it('drops the series and study a new version or a rejection note emptied, and keeps what inserts filled', async () => {
  const index = new SqliteIndex(':memory:');
  const count = (sql: string, uid: string) => (index.db.prepare(sql).get(uid) as { n: number }).n;
  const series = (uid: string) => count('SELECT count(*) AS n FROM series WHERE series_uid = ?', uid);
  const study = (uid: string) => count('SELECT count(*) AS n FROM studies WHERE study_uid = ?', uid);
  const seriesInstances = (uid: string) => count('SELECT num_instances AS n FROM series WHERE series_uid = ?', uid);
  try {
    const root = '1.2.826.0.1.3680043.10.1089.23';
    const first = indexRecord({ study: `${root}.1`, series: `${root}.1.1`, sop: `${root}.9.1`, instanceNumber: 1 });
    const second = indexRecord({ study: `${root}.1`, series: `${root}.1.1`, sop: `${root}.9.2`, instanceNumber: 2 });
    await index.commit([{ record: first, replaces: null }]);
    await index.commit([{ record: second, replaces: null }]);
    expect([series(`${root}.1.1`), seriesInstances(`${root}.1.1`), study(`${root}.1`)]).toEqual([1, 2, 1]);
    expect(await index.studyInstanceCount(`${root}.1`)).toBe(2);

    // Both instances again, each a new version in another study: the old series and study are emptied.
    for (const [old, n] of [
      [first, 1],
      [second, 2],
    ] as const) {
      const moved = indexRecord({
        study: `${root}.2`,
        series: `${root}.2.1`,
        sop: old.sopUid,
        instanceNumber: n,
        blobKey: `${old.blobKey}.v2`,
      });
      expect((await index.commit([{ record: moved, replaces: old.blobKey }])).results[0]?.decision).toBe('new-version');
    }
    expect([series(`${root}.1.1`), study(`${root}.1`)]).toEqual([0, 0]);
    expect([series(`${root}.2.1`), seriesInstances(`${root}.2.1`), study(`${root}.2`)]).toEqual([1, 2, 1]);

    // A rejection note (in a series of its own) hides both, and itself: everything is emptied.
    const sq = (...items: object[]) => ({ vr: 'SQ', Value: items });
    const uiRef = (sop: string) => ({ '00081155': { vr: 'UI', Value: [sop] } });
    const note = indexRecord({ study: `${root}.2`, series: `${root}.2.9`, sop: `${root}.9.9`, instanceNumber: 9 });
    note.sopClassUid = KEY_OBJECT_SELECTION;
    note.json['0040A043'] = sq({
      '00080100': { vr: 'SH', Value: ['113001'] },
      '00080102': { vr: 'SH', Value: ['DCM'] },
    });
    note.json['0040A375'] = sq({
      '0020000D': { vr: 'UI', Value: [`${root}.2`] },
      '00081115': sq({
        '0020000E': { vr: 'UI', Value: [`${root}.2.1`] },
        '00081199': sq(uiRef(first.sopUid), uiRef(second.sopUid)),
      }),
    });
    await index.commit([{ record: note, replaces: null }]);
    expect([series(`${root}.2.1`), series(`${root}.2.9`), study(`${root}.2`)]).toEqual([0, 0, 0]);
  } finally {
    await index.close();
  }
});
