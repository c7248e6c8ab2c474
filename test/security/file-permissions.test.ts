/**
 * Finding 9: under umask 022 the data directory was 0755 and fhir.sqlite, index.sqlite, packs/,
 * security.sqlite 0644: every local user could read the PHI and the credential stores. The real
 * CLI (dist/, build first) now makes the data directory 0700 and every file in it 0600, and
 * refuses to start on a data directory others can reach or another user owns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { BRIDGE_ENTRY, REPO_ROOT } from '../support/server.js';

const work = mkdtempSync(join(tmpdir(), 'ib-perms-'));
// The parent is world-readable, as a user's home or /srv usually is.
chmodSync(work, 0o755);

/** Runs the CLI under umask 022 (the usual default); resolves when it exits. */
function cli(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'umask 022; exec "$0" "$@"', process.execPath, BRIDGE_ENTRY, ...args], {
      cwd: REPO_ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `serve` under umask 022 until /health answers; the caller stops it. */
async function serve(dataDir: string): Promise<{ child: ChildProcess; url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      'umask 022; exec "$0" "$@"',
      process.execPath,
      BRIDGE_ENTRY,
      'serve',
      '--data-dir',
      dataDir,
      '--http-port',
      String(port),
      '--dicom-port',
      '0',
      '--demo',
      'true',
      '--log-level',
      'warn',
    ],
    { cwd: REPO_ROOT },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`serve did not answer: ${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { child, url, stop };
}

/** Every path under `dir` with its permission bits. */
function modes(dir: string): Map<string, { mode: number; dir: boolean }> {
  const out = new Map<string, { mode: number; dir: boolean }>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.set(p.slice(dir.length + 1), { mode: st.mode & 0o777, dir: st.isDirectory() });
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  if (!existsSync(BRIDGE_ENTRY)) throw new Error('build first: npx tsc -p tsconfig.build.json');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('data directory permissions under umask 022', () => {
  it('creates the data directory 0700 and every file in it 0600 (serve with demo data, clients add)', async () => {
    const dataDir = join(work, 'data');
    const server = await serve(dataDir);
    let seen: Map<string, { mode: number; dir: boolean }>;
    try {
      // A write: WAL files exist while the server runs, and are checked as they are.
      const secret = join(work, 'etl.secret');
      writeFileSync(secret, 'a-secret-of-the-etl-job-000\n');
      const added = await cli([
        'clients',
        'add',
        '--data-dir',
        dataDir,
        '--client-id',
        'etl',
        '--scope',
        'system/Patient.rs',
        '--secret-file',
        secret,
      ]);
      expect(added.code, added.stderr).toBe(0);
      seen = modes(dataDir);
    } finally {
      await server.stop();
    }
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    const names = [...seen.keys()];
    for (const expected of [
      'index.sqlite',
      'fhir.sqlite',
      'security.sqlite',
      'audit.sqlite',
      'oauth-keys.json',
      'packs',
    ])
      expect(names).toContain(expected);
    expect(names.some((n) => n.endsWith('-wal'))).toBe(true);
    expect(names.some((n) => n.startsWith('packs/'))).toBe(true);
    const wrong = [...seen]
      .filter(([, m]) => m.mode !== (m.dir ? 0o700 : 0o600))
      .map(([p, m]) => `${p} ${m.mode.toString(8)}`);
    expect(wrong).toEqual([]);
    // After the stop too (the checkpointed databases, whatever was created last).
    const after = [...modes(dataDir)]
      .filter(([, m]) => m.mode !== (m.dir ? 0o700 : 0o600))
      .map(([p, m]) => `${p} ${m.mode.toString(8)}`);
    expect(after).toEqual([]);
    // The audit key beside the data directory, too.
    expect(lstatSync(`${dataDir}.audit-key`).mode & 0o777).toBe(0o600);
  }, 240_000);

  it('import creates a private data directory as well', async () => {
    const dataDir = join(work, 'imported');
    const empty = join(work, 'nothing-to-import');
    mkdirSync(empty);
    await cli(['import', '--data-dir', dataDir, empty]);
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    expect([...modes(dataDir)].filter(([, m]) => m.mode !== (m.dir ? 0o700 : 0o600))).toEqual([]);
  }, 120_000);

  it('refuses to start on a data directory others can read, with a clear message', async () => {
    const dataDir = join(work, 'open');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    const r = await cli(['serve', '--data-dir', dataDir, '--http-port', String(port), '--dicom-port', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('is open to other users (mode 0755)');
    expect(r.stderr).toContain('chmod -R go-rwx');
    // Nothing was created in it.
    expect(readdirSync(dataDir)).toEqual([]);
    chmodSync(dataDir, 0o750);
    expect((await cli(['clients', 'list', '--data-dir', dataDir])).stderr).toContain('(mode 0750)');
  }, 120_000);

  it('refuses a data directory that another user owns', async () => {
    const dataDir = join(work, 'foreign');
    mkdirSync(dataDir, { mode: 0o700 });
    chownSync(dataDir, 4321, 4321);
    const r = await cli(['serve', '--data-dir', dataDir, '--http-port', String(await freePort()), '--dicom-port', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('belongs to another user (uid 4321');
  }, 120_000);
});
