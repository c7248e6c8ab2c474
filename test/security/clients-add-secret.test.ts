/**
 * Finding 13 (authentication): `clients add --secret S` put the client secret on the command
 * line, where every local user sees it (ps, /proc/<pid>/cmdline) and shell history keeps it.
 * The real CLI now refuses it and reads the secret from a file or from standard input only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/security/oauth/client-store.js';
import { verifySecret } from '../../src/security/oauth/password-hash.js';
import { openSecurityDb } from '../../src/security/oauth/sqlite-security-store.js';
import { REPO_ROOT } from '../support/server.js';

const work = mkdtempSync(join(tmpdir(), 'ib-clients-cli-'));
const dataDir = join(work, 'data');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'clients', ...args, '--data-dir', dataDir],
      { cwd: REPO_ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

async function storedHash(clientId: string): Promise<string | undefined> {
  const db = openSecurityDb(dataDir);
  try {
    return (await new ClientStore(db).get(clientId))?.secretHash;
  } finally {
    await db.close();
  }
}

describe('clients add: secrets never on the command line', () => {
  it('refuses --secret S and registers nothing', async () => {
    const r = await cli([
      'add',
      '--client-id',
      'etl',
      '--scope',
      'system/Patient.rs',
      '--secret',
      'a-very-long-shared-secret',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--secret is refused');
    expect(r.stderr).toContain('--secret-file');
    expect(r.stderr).not.toContain('a-very-long-shared-secret');
    expect(await storedHash('etl')).toBeUndefined();
  }, 60_000);

  it('reads the secret from --secret-file F (stored as a scrypt hash only)', async () => {
    const file = join(work, 'etl.secret');
    writeFileSync(file, 'file-secret-of-the-etl-job\n', { mode: 0o600 });
    const r = await cli(['add', '--client-id', 'etl', '--scope', 'system/Patient.rs', '--secret-file', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('client etl registered (client_secret_basic');
    const hash = (await storedHash('etl'))!;
    expect(hash).toMatch(/^scrypt\$131072\$/);
    expect(await verifySecret('file-secret-of-the-etl-job', hash)).toBe(true);
  }, 60_000);

  it('reads the secret from standard input with --secret-file -', async () => {
    const r = await cli(
      ['add', '--client-id', 'etl-2', '--scope', 'system/Patient.rs', '--secret-file', '-'],
      'stdin-secret-of-the-etl-job\n',
    );
    expect(r.code).toBe(0);
    expect(await verifySecret('stdin-secret-of-the-etl-job', (await storedHash('etl-2'))!)).toBe(true);
  }, 60_000);

  it('refuses a short secret from standard input', async () => {
    const r = await cli(
      ['add', '--client-id', 'etl-3', '--scope', 'system/Patient.rs', '--secret-file', '-'],
      'short\n',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('at least 16 characters');
    expect(await storedHash('etl-3')).toBeUndefined();
  }, 60_000);
});
