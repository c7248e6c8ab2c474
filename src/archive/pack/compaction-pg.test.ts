import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { ROOT, ctInstance } from '../../dicom/test-support.js';
import { Archive } from '../archive.js';
import { ArchiveBlobStore } from '../archive-blob-store.js';
import { PgIndex } from '../postgres/pg-index.js';
import { PgUpkeep } from '../postgres/pg-upkeep.js';
import { DEFAULT_COMPACTION, compactPacks } from './compaction.js';

const server = suitePostgres();
const { skip } = server;

async function* chunks(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

const STUDY_A = `${ROOT}.81`;
const STUDY_B = `${ROOT}.82`;

describe.skipIf(skip !== undefined)(server.title('pack compaction on a PostgreSQL index'), () => {
  it('keeps every object the index names byte-identical, repoints the rows, drops the deleted study', async () => {
    const url = await server.url();
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'ib-compact-pg-'));
    let index!: PgIndex;
    const open = async () =>
      new Archive((index = await PgIndex.open(url, schema)), new ArchiveBlobStore(dir, { packWriter: true }), {
        duplicatePolicy: 'keep-newest',
        bulkDataThreshold: 1024,
        minFreeBytes: 0,
      });
    let archive = await open();
    try {
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
      for (let n = 1; n <= 10; n++) originals.set(`${STUDY_A}.1.${n}`, await store(STUDY_A, n, 'KEEP'));
      for (let n = 1; n <= 10; n++) await store(STUDY_B, n, 'GONE-STUDY-B');
      originals.set(`${STUDY_A}.1.3@new`, await store(STUDY_A, 3, 'KEEP-NEWER'));
      // The writer's segment is never compacted: a restart seals it.
      await archive.close();
      archive = await open();
      const blobs = archive.blobs as ArchiveBlobStore;
      expect(await archive.delete({ studyUid: STUDY_B }, 'test')).toBe(10);

      const upkeep = new PgUpkeep(index.pool, index.schema);
      const before = await upkeep.blobReferences('');
      expect(before).toHaveLength(11); // ten current, one replaced version
      const report = await compactPacks(blobs.packs, upkeep, { ...DEFAULT_COMPACTION, graceMs: 0 });
      expect(report).toMatchObject({ phase: 'done', segmentsWritten: 1, recordsMoved: 11 });
      expect(report.segmentsUnreadable).toEqual([]);

      const after = await upkeep.blobReferences('');
      expect(after.map((r) => r.sop).sort()).toEqual(before.map((r) => r.sop).sort());
      expect(after.some((r) => before.some((b) => b.key === r.key))).toBe(false);
      const current = await archive.instances({ studyUid: STUDY_A });
      expect(current).toHaveLength(10);
      for (const i of current) {
        const want = originals.get(i.sopUid === `${STUDY_A}.1.3` ? `${i.sopUid}@new` : i.sopUid)!;
        expect((await blobs.read(i.blobKey)).equals(want)).toBe(true);
      }
      const replaced = after.find((r) => !current.some((i) => i.blobKey === r.key))!;
      expect((await blobs.read(replaced.key)).equals(originals.get(`${STUDY_A}.1.3`)!)).toBe(true);
      const packs = readdirSync(join(dir, 'packs')).filter((n) => n.endsWith('.pack'));
      expect(packs.some((f) => readFileSync(join(dir, 'packs', f)).includes('GONE-STUDY-B'))).toBe(false);
    } finally {
      await archive.close();
      const cleanup = await PgIndex.open(url, schema);
      await cleanup.dropSchema();
      await cleanup.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
