/**
 * `imaging-bridge encryption rotate`: a data directory created without encryption is
 * encrypted in place (then no file holds the patient's name, MRN or UIDs and the server serves
 * the same bytes with the key), and an encrypted one moves to a new key (the old key alone no
 * longer opens it, the new key alone does).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEncryption } from '../../src/cli/encryption-command.js';
import { startTestServer } from '../support/server.js';
import { expectServed, leaks, storeAll } from './at-rest-support.js';

describe('encryption rotate', () => {
  const root = mkdtempSync(join(tmpdir(), 'ib-rotate-'));
  const dataDir = join(root, 'data');
  const keyA = randomBytes(32).toString('hex');
  const keyB = randomBytes(32).toString('base64');
  const keyFile = (name: string, ...keys: string[]) => {
    const f = join(root, name);
    writeFileSync(f, `# primary first\n${keys.join('\n')}\n`, { mode: 0o600 });
    return f;
  };
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    for (const f of [`${dataDir}.audit-key`, `${dataDir}.audit-key.checkpoint`]) rmSync(f, { force: true });
  });

  it('encrypts a data directory created plain, then moves it to a new key', async () => {
    const plain = await startTestServer({ 'data-dir': dataDir });
    await storeAll(plain.url, {});
    await plain.stop();
    expect(leaks(dataDir).length).toBeGreaterThan(0);

    const onlyA = keyFile('a.key', keyA);
    expect(await runEncryption(['rotate', '--data-dir', dataDir, '--encryption-key-file', onlyA], {})).toBe(0);
    expect(leaks(dataDir)).toEqual([]);
    await expect(startTestServer({ 'data-dir': dataDir })).rejects.toThrow(/encrypted at rest/);
    let server = await startTestServer({ 'data-dir': dataDir, 'encryption-key-file': onlyA });
    await expectServed(server.url, {});
    await server.stop();

    // Rotation: B becomes primary, A stays listed for reading until rotate is done.
    expect(
      await runEncryption(
        ['rotate', '--data-dir', dataDir, '--encryption-key-file', keyFile('ba.key', keyB, keyA)],
        {},
      ),
    ).toBe(0);
    await expect(startTestServer({ 'data-dir': dataDir, 'encryption-key-file': onlyA })).rejects.toThrow(
      /is encrypted with key id/,
    );
    server = await startTestServer({ 'data-dir': dataDir, 'encryption-key-file': keyFile('b.key', keyB) });
    await expectServed(server.url, {});
    await server.stop();
    expect(leaks(dataDir)).toEqual([]);
    expect(readFileSync(join(dataDir, 'encryption.json'), 'utf8')).toContain('sqlcipher');

    // A plain file planted in an encrypted directory is not taken in by a later rotation.
    mkdirSync(join(dataDir, 'blobs', 'zz'), { recursive: true });
    writeFileSync(join(dataDir, 'blobs', 'zz', 'planted.dcm'), Buffer.alloc(300, 0x44));
    await expect(
      runEncryption(['rotate', '--data-dir', dataDir, '--encryption-key-file', keyFile('b2.key', keyB)], {}),
    ).rejects.toThrow(/not a sealed object/);
  }, 120_000);
});
