import { spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditEvents, openAuditLog } from '../src/audit/index.js';
import { GOLDEN_CASES } from '../src/audit/balp/test-support.js';

const N = Object.values(GOLDEN_CASES).flatMap((r) => buildAuditEvents(r)).length;

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'audit', ...args], {
    encoding: 'utf8',
    cwd: new URL('..', import.meta.url).pathname,
  });

describe('imaging-bridge audit verify / export', () => {
  let root: string;
  let dataDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ib-audit-cli-'));
    dataDir = join(root, 'data');
    const log = openAuditLog({ dataDir, logger: silent });
    for (const r of Object.values(GOLDEN_CASES)) for (const e of buildAuditEvents(r)) await log.sink.record(e);
    await log.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('prints the records checked and exits 0 on an intact chain', () => {
    const r = cli('verify', '--data-dir', dataDir);
    expect(r.stdout, r.stderr).toMatch(new RegExp(`^audit chain OK: ${N} records checked`));
    expect(r.status).toBe(0);
  });

  it('exports every record as one RFC 5424 line with the AuditEvent as message', () => {
    const r = cli('export', '--data-dir', dataDir, '--format', 'syslog');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(N);
    expect(lines[0]).toMatch(
      /^<85>1 2024-05-01T10:00:00\.000Z \S+ imaging-bridge \d+ IHE\+FHIR \[imaging-bridge-audit@32473 seq="1" hash="[0-9a-f]{64}" prev="0{64}"\] \{"action":"R"/,
    );
    expect(JSON.parse(lines[0]!.slice(lines[0]!.indexOf('] ') + 2))).toMatchObject({ resourceType: 'AuditEvent' });
  });

  it('exits 1 with a clear message when the key file is missing', () => {
    const r = cli('verify', '--data-dir', dataDir, '--audit-key-file', join(root, 'nowhere.key'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/audit key file .*nowhere\.key does not exist/);
  });

  it('names the first broken seq and exits 1 after a record was edited', () => {
    const db = new Database(join(dataDir, 'audit.sqlite'));
    db.exec('DROP TRIGGER audit_record_no_update');
    db.prepare("UPDATE audit_record SET json = replace(json, 'req-1', 'req-9') WHERE seq = 5").run();
    db.close();
    const r = cli('verify', '--data-dir', dataDir);
    expect(r.stdout).toMatch(/^audit chain BROKEN at seq 5: hash does not match/);
    expect(r.status).toBe(1);
  });
});

describe('imaging-bridge audit verify: truncation', () => {
  let root: string;
  let dataDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ib-audit-cli-trunc-'));
    dataDir = join(root, 'data');
    const log = openAuditLog({ dataDir, logger: silent });
    for (const r of Object.values(GOLDEN_CASES)) for (const e of buildAuditEvents(r)) await log.sink.record(e);
    await log.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('says the checkpoint was reached on an intact chain', () => {
    const r = cli('verify', '--data-dir', dataDir);
    expect(r.stdout, r.stderr).toMatch(
      new RegExp(`^audit chain OK: ${N} records checked, head seq ${N} hash [0-9a-f]{64}, checkpoint seq ${N} reached`),
    );
    expect(r.status).toBe(0);
  });

  it('exits 1 when the checkpoint file is missing: nothing shows the last records are all there', () => {
    const checkpoint = `${dataDir}.audit-key.checkpoint`;
    renameSync(checkpoint, `${checkpoint}.away`);
    try {
      const r = cli('verify', '--data-dir', dataDir);
      expect(r.stdout).toMatch(
        /^audit chain BROKEN at seq \d+: there is no checkpoint file .*data\.audit-key\.checkpoint, yet the chain holds \d+ records: nothing shows that its last records were not removed/,
      );
      expect(r.status).toBe(1);
    } finally {
      renameSync(`${checkpoint}.away`, checkpoint);
    }
  });

  it('exits 1 when the last records were removed (triggers dropped first, as with file access)', () => {
    const db = new Database(join(dataDir, 'audit.sqlite'));
    db.exec('DROP TRIGGER audit_record_no_delete');
    db.prepare('DELETE FROM audit_record WHERE seq > 20').run();
    db.close();
    const r = cli('verify', '--data-dir', dataDir);
    expect(r.stdout).toMatch(
      new RegExp(
        `^audit chain BROKEN at seq 21: the chain ends at seq 20 but the checkpoint .* records seq ${N}: the last ${N - 20} records were removed \\(truncation\\) \\(20 records before it verified\\)`,
      ),
    );
    expect(r.status).toBe(1);
  });
});
