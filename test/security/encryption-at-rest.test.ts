/**
 * Encryption at rest: a server started with a key (--auth smart) stores instances (a small one
 * into the packs, a large multi-frame one into its own file) and FHIR resources that carry an
 * unmistakable patient name, MRN and UIDs. No file under the data directory may hold those
 * bytes (databases, their WAL files, packs, blobs); WADO-RS still returns the exact bytes and
 * frames; a restart without the key is refused, a restart with it serves everything again.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.js';
import { NEEDLES, expectServed, filesUnder, leaks, small, storeAll } from './at-rest-support.js';
import { startSmartBench, type SmartBench } from './harness.js';

describe('encryption at rest', () => {
  const root = mkdtempSync(join(tmpdir(), 'ib-encrypt-'));
  const dataDir = join(root, 'data');
  const keyFile = join(root, 'data.key');
  let bench: SmartBench;
  const log: string[] = [];
  const logTo = { write: (line: string) => log.push(line) };

  beforeAll(async () => {
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    bench = await startSmartBench({
      demo: false,
      flags: { 'data-dir': dataDir, 'encryption-key-file': keyFile },
      server: { logTo },
    });
  }, 60_000);
  afterAll(async () => {
    await bench?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    for (const f of [`${dataDir}.audit-key`, `${dataDir}.audit-key.checkpoint`]) rmSync(f, { force: true });
  });

  const auth = () => ({ authorization: `Bearer ${bench.admin}` });

  it('stores instances and FHIR resources sealed: no file under the data directory holds the name, MRN or UIDs', async () => {
    await storeAll(bench.url, auth());
    await expectServed(bench.url, auth());
    // While running (WAL files included) and after a clean stop.
    expect(filesUnder(dataDir).some((f) => f.endsWith('.pack'))).toBe(true);
    expect(filesUnder(join(dataDir, 'blobs')).length).toBeGreaterThan(0);
    expect(leaks(dataDir)).toEqual([]);
    await bench.stop();
    expect(leaks(dataDir)).toEqual([]);
    // Every connection had the key: the WAL checkpoint thread and the audit writer thread too.
    expect(log.join('')).toContain('encrypted at rest (AES-256-GCM objects, SQLCipher databases');
    expect(log.filter((l) => /checkpoint off the main thread failed|audit.*(failed|alarm)/i.test(l))).toEqual([]);
    // The control: the same scan finds the name in the instance we sent.
    expect(small.includes(NEEDLES[0]!)).toBe(true);
  }, 60_000);

  it('refuses to start without the key, with a wrong key, or with a key file others can read', async () => {
    await expect(startTestServer({ 'data-dir': dataDir })).rejects.toThrow(/encrypted at rest: give its key/);
    const wrong = join(root, 'wrong.key');
    writeFileSync(wrong, randomBytes(32).toString('hex'), { mode: 0o600 });
    await expect(startTestServer({ 'data-dir': dataDir, 'encryption-key-file': wrong })).rejects.toThrow(
      /is encrypted with key id [0-9a-f]{16}/,
    );
    chmodSync(keyFile, 0o644);
    await expect(startTestServer({ 'data-dir': dataDir, 'encryption-key-file': keyFile })).rejects.toThrow(
      /readable by group or others/,
    );
    chmodSync(keyFile, 0o600);
    const inside = join(dataDir, 'key');
    writeFileSync(inside, readFileSync(keyFile), { mode: 0o600 });
    await expect(startTestServer({ 'data-dir': dataDir, 'encryption-key-file': inside })).rejects.toThrow(
      /inside the data directory/,
    );
    rmSync(inside);
  }, 60_000);

  it('serves the same bytes again after a restart with the key', async () => {
    bench = await startSmartBench({ demo: false, flags: { 'data-dir': dataDir, 'encryption-key-file': keyFile } });
    await expectServed(bench.url, auth());
  }, 60_000);

  it('refuses a key for a data directory created without encryption', async () => {
    const plainDir = join(root, 'plain');
    const plainLog: string[] = [];
    const plain = await startTestServer(
      { 'data-dir': plainDir },
      { logTo: { write: (l: string) => plainLog.push(l) } },
    );
    await plain.stop();
    expect(plainLog.join('')).toContain('NOT encrypted at rest');
    expect(statSync(join(plainDir, 'index.sqlite')).size).toBeGreaterThan(0);
    await expect(startTestServer({ 'data-dir': plainDir, 'encryption-key-file': keyFile })).rejects.toThrow(
      /created without encryption/,
    );
  }, 60_000);
});
