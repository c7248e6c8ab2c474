/**
 * Encryption at rest: a server started with a key (--auth smart) stores instances (a small one
 * into the packs, a large multi-frame one into its own file) and FHIR resources that carry an
 * unmistakable patient name, MRN and UIDs. No file under the data directory may hold those
 * bytes (databases, their WAL files, packs, blobs); WADO-RS still returns the exact bytes and
 * frames; a restart without the key is refused, a restart with it serves everything again.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ctInstance, encapsulatedInstance } from '../fixtures.js';
import { splitMultipart, startTestServer, stowBody } from '../in-process.js';
import { startSmartBench, type SmartBench } from './harness.js';

const NAME = 'Qwertyuiopzx^Unmistakable';
const MRN = 'MRN-ZXQV-987654321';
const STUDY = `${ROOT}.4242.1`;
const SERIES = `${STUDY}.2`;
const SMALL_SOP = `${SERIES}.1`;
const LARGE_SOP = `${SERIES}.2`;
/** Frames of 1.5 MB each: the instance goes to a file of its own (over the 4 MiB pack limit) and frames cross chunk boundaries. */
const frames = [1, 2, 3].map((i) => Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(1_500_000 + i * 1000, 0x40 + i), Buffer.from([0xff, 0xd9])]));
const small = ctInstance({ study: STUDY, series: SERIES, sop: SMALL_SOP, patientName: NAME, patientId: MRN });
const large = encapsulatedInstance({ study: STUDY, series: SERIES, sop: LARGE_SOP, patientId: MRN, frames });
const NEEDLES = [NAME, 'Qwertyuiopzx', MRN, STUDY, SMALL_SOP].map((s) => Buffer.from(s, 'latin1'));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Files under `dir` whose content holds one of the needles. */
function leaks(dir: string): string[] {
  const found: string[] = [];
  for (const f of filesUnder(dir)) {
    const bytes = readFileSync(f);
    for (const n of NEEDLES) if (bytes.includes(n)) found.push(`${f}: ${n.toString('latin1')}`);
  }
  return found;
}

describe('encryption at rest', () => {
  const root = mkdtempSync(join(tmpdir(), 'ib-encrypt-'));
  const dataDir = join(root, 'data');
  const keyFile = join(root, 'data.key');
  let bench: SmartBench;
  const log: string[] = [];
  const logTo = { write: (line: string) => log.push(line) };

  beforeAll(async () => {
    writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    bench = await startSmartBench({ demo: false, flags: { 'data-dir': dataDir, 'encryption-key-file': keyFile }, server: { logTo } });
  }, 60_000);
  afterAll(async () => {
    await bench?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    for (const f of [`${dataDir}.audit-key`, `${dataDir}.audit-key.checkpoint`]) rmSync(f, { force: true });
  });

  const wado = (path: string, accept: string) => fetch(`${bench.url}/dicomweb${path}`, { headers: { authorization: `Bearer ${bench.admin}`, accept } });

  async function expectServed(url: string): Promise<void> {
    const instance = await fetch(`${url}/dicomweb/studies/${STUDY}/series/${SERIES}/instances/${LARGE_SOP}`, {
      headers: { authorization: `Bearer ${bench.admin}`, accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    expect(instance.status).toBe(200);
    const [part] = splitMultipart(Buffer.from(await instance.arrayBuffer()), instance.headers.get('content-type')!);
    expect(part!.data.equals(large)).toBe(true);
    const res = await wado(`/studies/${STUDY}/series/${SERIES}/instances/${LARGE_SOP}/frames/3,1`, 'multipart/related; type="image/jpeg"');
    expect(res.status).toBe(200);
    const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(parts.map((p) => p.data.length)).toEqual([frames[2]!.length, frames[0]!.length]);
    expect(parts[0]!.data.equals(frames[2]!)).toBe(true);
    expect(parts[1]!.data.equals(frames[0]!)).toBe(true);
    const smallRes = await wado(`/studies/${STUDY}/series/${SERIES}/instances/${SMALL_SOP}`, 'multipart/related; type="application/dicom"; transfer-syntax=*');
    const [smallPart] = splitMultipart(Buffer.from(await smallRes.arrayBuffer()), smallRes.headers.get('content-type')!);
    expect(smallPart!.data.equals(small)).toBe(true);
    const patients = await bench.get(`/fhir/Patient?identifier=${MRN}`, bench.admin);
    expect(patients.status).toBe(200);
    expect(patients.text).toContain('Qwertyuiopzx');
  }

  it('stores instances and FHIR resources sealed: no file under the data directory holds the name, MRN or UIDs', async () => {
    const { body, contentType } = stowBody([small, large]);
    const stow = await fetch(`${bench.url}/dicomweb/studies`, { method: 'POST', headers: { authorization: `Bearer ${bench.admin}`, 'content-type': contentType, accept: 'application/dicom+json' }, body });
    expect(stow.status).toBe(200);
    const patient = await bench.request('POST', '/fhir/Patient', bench.admin, {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:oid:1.2.3.4', value: MRN }],
      name: [{ family: 'Qwertyuiopzx', given: ['Unmistakable'] }],
      birthDate: '1961-02-03',
    });
    expect(patient.status).toBe(201);
    await expectServed(bench.url);
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
    await expect(startTestServer({ 'data-dir': dataDir, 'encryption-key-file': wrong })).rejects.toThrow(/is encrypted with key id [0-9a-f]{16}/);
    chmodSync(keyFile, 0o644);
    await expect(startTestServer({ 'data-dir': dataDir, 'encryption-key-file': keyFile })).rejects.toThrow(/readable by group or others/);
    chmodSync(keyFile, 0o600);
    const inside = join(dataDir, 'key');
    writeFileSync(inside, readFileSync(keyFile), { mode: 0o600 });
    await expect(startTestServer({ 'data-dir': dataDir, 'encryption-key-file': inside })).rejects.toThrow(/inside the data directory/);
    rmSync(inside);
  }, 60_000);

  it('serves the same bytes again after a restart with the key', async () => {
    bench = await startSmartBench({ demo: false, flags: { 'data-dir': dataDir, 'encryption-key-file': keyFile } });
    await expectServed(bench.url);
  }, 60_000);

  it('refuses a key for a data directory created without encryption', async () => {
    const plainDir = join(root, 'plain');
    const plainLog: string[] = [];
    const plain = await startTestServer({ 'data-dir': plainDir }, { logTo: { write: (l: string) => plainLog.push(l) } });
    await plain.stop();
    expect(plainLog.join('')).toContain('NOT encrypted at rest');
    expect(statSync(join(plainDir, 'index.sqlite')).size).toBeGreaterThan(0);
    await expect(startTestServer({ 'data-dir': plainDir, 'encryption-key-file': keyFile })).rejects.toThrow(/created without encryption/);
  }, 60_000);
});
