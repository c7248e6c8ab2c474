import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PackStore, packSegmentFile } from './pack-store.js';
import { claimNewSegment, claimedByOthers, liveClaims } from './segment-claims.js';

const note = (sop: string) => ({ sop, source: 'test' });
/** The pid of a process that has ended. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('segment claims', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ib-claims-'));
    dir = join(root, 'packs');
    new PackStore(root, false).close(); // creates the folder
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('claims the id above every segment and claim, and creates the claim before the segment', () => {
    writeFileSync(join(dir, '00000004.pack'), '');
    writeFileSync(join(dir, '00000007.writer'), JSON.stringify({ pid: process.ppid, role: 'import' }));
    const id = claimNewSegment(dir, 'compaction', (n) => packSegmentFile(dir, n));
    expect(id).toBe(8);
    expect(readdirSync(dir).sort()).toEqual(['00000004.pack', '00000007.writer', '00000008.pack', '00000008.writer']);
    expect(liveClaims(dir).get(8)).toEqual({ pid: process.pid, role: 'compaction' });
  });

  it('counts a claim of a running process, drops one whose process is gone', () => {
    writeFileSync(join(dir, '00000002.writer'), JSON.stringify({ pid: process.ppid, role: 'import' }));
    writeFileSync(join(dir, '00000003.writer'), JSON.stringify({ pid: deadPid(), role: 'server' }));
    expect([...claimedByOthers(dir)]).toEqual([2]);
    expect(readdirSync(dir)).toEqual(['00000002.writer']);
  });

  it('journal recovery skips a segment another running writer still appends to', async () => {
    const other = new PackStore(root, 'import');
    await other.append(Buffer.from('not indexed yet'), note('1.1'));
    other.close();
    // As if that import were still running (another live process holds the claim).
    writeFileSync(join(dir, '00000001.writer'), JSON.stringify({ pid: process.ppid, role: 'import' }));
    const server = new PackStore(root, true);
    try {
      expect([...server.recordsFrom({ segment: 0, offset: 0 })]).toEqual([]);
      rmSync(join(dir, '00000001.writer'));
      expect([...server.recordsFrom({ segment: 0, offset: 0 })].map((r) => r.note.sop)).toEqual(['1.1']);
    } finally {
      server.close();
    }
  });
});
