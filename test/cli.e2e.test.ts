import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteIndex } from '../src/archive/sqlite/sqlite-index.js';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { dcmtkAvailable } from './support/dcmtk.js';

const REPO = resolve(import.meta.dirname, '..');

/** Runs the real CLI (from source, through tsx) and returns its exit code and output. */
function cli(args: string[], timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), ...args],
      { cwd: REPO, timeout },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

function countInstances(dataDir: string): number {
  const index = new SqliteIndex(join(dataDir, 'index.sqlite'));
  try {
    return (index.db.prepare('SELECT count(*) AS n FROM instances').get() as { n: number }).n;
  } finally {
    void index.close();
  }
}

describe('imaging-bridge import and delete', () => {
  const work = mkdtempSync(join(tmpdir(), 'ib-cli-'));
  const dataDir = join(work, 'data');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('imports a folder tree, reports refused files with reasons, and is safe to re-run', async () => {
    const src = join(work, 'in');
    mkdirSync(join(src, 'a', 'b'), { recursive: true });
    writeFileSync(
      join(src, 'one.dcm'),
      ctInstance({ study: `${ROOT}.70`, series: `${ROOT}.70.1`, sop: `${ROOT}.70.1.1` }),
    );
    writeFileSync(
      join(src, 'a', 'b', 'two'),
      ctInstance({ study: `${ROOT}.70`, series: `${ROOT}.70.1`, sop: `${ROOT}.70.1.2` }),
    );
    writeFileSync(join(src, 'a', 'notes.txt'), 'not a DICOM file');

    const first = await cli(['import', '--data-dir', dataDir, '--jobs', '2', src]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('3 files: 2 stored, 0 duplicate, 1 refused');
    expect(first.stdout).toMatch(/refused .*notes\.txt: 0xC000 /);
    expect(countInstances(dataDir)).toBe(2);

    const again = await cli(['import', '--data-dir', dataDir, join(src, 'one.dcm'), join(src, 'a', 'b')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('2 files: 0 stored, 2 duplicate, 0 refused');
    expect(countInstances(dataDir)).toBe(2);
  });

  it('imports a file whose File Meta names another instance, and says so', async () => {
    const file = Buffer.from(ctInstance({ study: `${ROOT}.72`, series: `${ROOT}.72.1`, sop: `${ROOT}.72.1.1` }));
    file.set(Buffer.from(`${ROOT}.72.1.9`), file.indexOf(Buffer.from(`${ROOT}.72.1.1`))); // (0002,0003)
    const path = join(work, 'stale-meta.dcm');
    writeFileSync(path, file);
    const res = await cli(['import', '--data-dir', dataDir, path]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('1 files: 1 stored, 0 duplicate, 0 refused');
    expect(res.stdout).toMatch(/stored with a warning .*stale-meta\.dcm: 0xB000 MediaStorageSOPInstanceUID/);
  });

  it.skipIf(!dcmtkAvailable(['dcmdump']) || !hasDcmmkdir())(
    'follows a DICOMDIR to the files it references',
    async () => {
      const media = join(work, 'media');
      mkdirSync(join(media, 'IMAGES'), { recursive: true });
      writeFileSync(
        join(media, 'IMAGES', 'IM1'),
        ctInstance({ study: `${ROOT}.71`, series: `${ROOT}.71.1`, sop: `${ROOT}.71.1.1` }),
      );
      writeFileSync(
        join(media, 'IMAGES', 'IM2'),
        ctInstance({ study: `${ROOT}.71`, series: `${ROOT}.71.1`, sop: `${ROOT}.71.1.2` }),
      );
      execFileSync('dcmmkdir', ['--general-purpose', '+r', 'IMAGES'], { cwd: media });
      const res = await cli(['import', '--data-dir', dataDir, join(media, 'DICOMDIR')]);
      expect(res.stdout).toContain('2 files: 2 stored');
      expect(res.code).toBe(0);
    },
  );

  it('deletes a study administratively and says so', async () => {
    const res = await cli(['delete', '--data-dir', dataDir, '--study', `${ROOT}.70`, '--reason', 'test']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('deleted 2 instances');
    const none = await cli(['delete', '--data-dir', dataDir, '--study', `${ROOT}.70`]);
    expect(none.code).toBe(1);
  });

  it('stops with a clear message on bad configuration instead of starting', async () => {
    const bad = await cli(['serve', '--http-port', 'eighty']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--http-port');
    const open = await cli(['serve', '--auth', 'none', '--host', '0.0.0.0']);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('loopback');
  });
});

function hasDcmmkdir(): boolean {
  try {
    execFileSync('dcmmkdir', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
