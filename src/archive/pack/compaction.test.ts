import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, ctInstance } from '../../dicom/test-support.js';
import { Archive } from '../archive.js';
import { ArchiveBlobStore } from '../archive-blob-store.js';
import { SqliteIndex } from '../sqlite/sqlite-index.js';
import { SqliteUpkeep } from '../sqlite/sqlite-upkeep.js';
import { DEFAULT_COMPACTION, compactPacks, newProgress } from './compaction.js';

async function* chunks(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

const STUDY_A = `${ROOT}.71`;
const STUDY_B = `${ROOT}.72`;

describe('pack compaction', () => {
  let dir: string;
  let archive: Archive;
  let index: SqliteIndex;
  const open = () =>
    new Archive((index = new SqliteIndex(join(dir, 'index.sqlite'))), new ArchiveBlobStore(dir, { packWriter: true }), {
      duplicatePolicy: 'keep-newest',
      bulkDataThreshold: 1024,
      minFreeBytes: 0,
    });
  const blobs = () => archive.blobs as ArchiveBlobStore;
  const packBytes = () =>
    readdirSync(join(dir, 'packs'))
      .filter((n) => n.endsWith('.pack'))
      .reduce((n, f) => n + statSync(join(dir, 'packs', f)).size, 0);
  const packsHold = (marker: string) =>
    readdirSync(join(dir, 'packs'))
      .filter((n) => n.endsWith('.pack'))
      .some((f) => readFileSync(join(dir, 'packs', f)).includes(marker));
  /** Every key the index names (current, replaced, rejected) with the bytes it must read back. */
  const named = () =>
    index.db
      .prepare(
        'SELECT blob_key AS key, sop_uid AS sop FROM instances UNION ALL SELECT blob_key, sop_uid FROM instance_versions',
      )
      .all() as { key: string; sop: string }[];

  const originals = new Map<string, Buffer>();
  const store = async (study: string, n: number, description: string) => {
    const bytes = ctInstance({
      study,
      series: `${study}.1`,
      sop: `${study}.1.${n}`,
      rows: 32 + n,
      columns: 32,
      description,
    });
    expect((await archive.store(chunks(bytes), { source: 'test' })).kind).not.toBe('duplicate');
    return bytes;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ib-compact-'));
    archive = open();
    for (let n = 1; n <= 10; n++) originals.set(`${STUDY_A}.1.${n}`, await store(STUDY_A, n, 'KEEP'));
    for (let n = 1; n <= 10; n++) await store(STUDY_B, n, 'GONE-STUDY-B');
    // A new version of one: the replaced bytes stay named by instance_versions and must survive too.
    originals.set(`${STUDY_A}.1.3@new`, await store(STUDY_A, 3, 'KEEP-NEWER'));
    // The writer's segment is never compacted: a restart seals it.
    await archive.close();
    archive = open();
  });
  afterEach(async () => {
    await archive.close();
    originals.clear();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every object the index names byte-identical (old keys lead to the copies), drops deleted ones and reclaims their space', async () => {
    expect(await archive.delete({ studyUid: STUDY_B }, 'test')).toBe(10);
    const before = await Promise.all(named().map(async (r) => ({ ...r, bytes: await blobs().read(r.key) })));
    const bytesBefore = packBytes();
    const report = await compactPacks(blobs().packs, new SqliteUpkeep(index.db), { ...DEFAULT_COMPACTION, graceMs: 0 });
    expect(report).toMatchObject({ phase: 'done', segmentsWritten: 1, recordsMoved: before.length });
    expect(report.segmentsUnreadable).toEqual([]);
    const after = named();
    expect(after).toHaveLength(before.length);
    for (const r of after) {
      expect(r.key.startsWith('p/1/')).toBe(false);
      const was = before.find((b) => b.sop === r.sop && !after.some((a) => a !== r && a.key === b.key));
      expect(was).toBeDefined();
    }
    const readBack = await Promise.all(after.map((r) => blobs().read(r.key)));
    expect(readBack.map((b) => b.toString('base64')).sort()).toEqual(
      before.map((b) => b.bytes.toString('base64')).sort(),
    );
    expect(readBack.some((b) => b.equals(originals.get(`${STUDY_A}.1.3@new`)!))).toBe(true);
    expect(readBack.some((b) => b.equals(originals.get(`${STUDY_A}.1.3`)!))).toBe(true);
    expect(packBytes()).toBeLessThan(bytesBefore * 0.7);
    expect(readdirSync(join(dir, 'packs'))).not.toContain('00000001.pack');
    expect(packsHold('GONE-STUDY-B')).toBe(false);
    // A reader that looked a key up before the switch still finds the object, its segment gone.
    for (const b of before) expect((await blobs().read(b.key)).equals(b.bytes)).toBe(true);
    // Still a working archive: stores go on, and a second run finds nothing worth doing.
    await store(STUDY_A, 11, 'KEEP');
    const again = await compactPacks(blobs().packs, new SqliteUpkeep(index.db), { ...DEFAULT_COMPACTION, graceMs: 0 });
    expect(again.segmentsWritten).toBe(0);
  });

  it('serves reads throughout, old keys included during the grace, and a delete during the copy leaves no copy behind', async () => {
    await archive.delete({ studyUid: STUDY_B, sopUid: `${STUDY_B}.1.1` }, 'test');
    const oldKeys = named();
    const progress = newProgress();
    const run = compactPacks(
      blobs().packs,
      new SqliteUpkeep(index.db),
      { ...DEFAULT_COMPACTION, minReclaimRatio: 0, graceMs: 400, maxBytesPerSecond: 20_000 },
      progress,
    );
    let failed: unknown;
    run.catch((e: unknown) => {
      failed = e;
    });
    while (progress.bytesCopied === 0) await new Promise((r) => setTimeout(r, 5));
    expect(progress.phase).toBe('copying');
    // Study B's remaining instances are being copied (some already are): delete them now.
    expect(await archive.delete({ studyUid: STUDY_B }, 'test')).toBe(9);
    for (const r of named()) expect((await blobs().read(r.key)).length).toBeGreaterThan(0);
    while (progress.phase !== 'grace' && !failed) await new Promise((r) => setTimeout(r, 5));
    expect(failed).toBeUndefined();
    for (const r of oldKeys.filter((k) => k.sop.startsWith(STUDY_A)))
      expect((await blobs().read(r.key)).length).toBeGreaterThan(0);
    await run;
    expect(packsHold('GONE-STUDY-B')).toBe(false);
    const current = index.db.prepare('SELECT blob_key AS key, sop_uid AS sop FROM instances').all() as {
      key: string;
      sop: string;
    }[];
    expect(current).toHaveLength(10);
    for (const r of current) {
      const want = originals.get(r.sop === `${STUDY_A}.1.3` ? `${r.sop}@new` : r.sop)!;
      expect((await blobs().read(r.key)).equals(want)).toBe(true);
    }
  });
});
