import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetOffset } from '../src/dicom/index.js';
import { dcmtkAvailable, echo, runDcmtk } from './support/dcmtk.js';
import { json } from './support/http.js';
import { splitMultipart } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';

const haveDcmtk =
  dcmtkAvailable(['echoscu', 'storescu', 'dump2dcm']) && ['dcmcjpeg', 'dcmcjpls', 'dcmcrle'].every(installed);

function installed(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const ROOT = '1.2.826.0.1.3680043.10.1456.91';
const STUDY = `${ROOT}.1`;
const SERIES = `${ROOT}.1.1`;
const CT = '1.2.840.10008.5.1.4.1.1.2';

/** A small CT image as a DCMTK dump (written latin1: the dump declares ISO_IR 100). */
function dump(sop: string, pixels = '0001\\0002\\0003\\0004\\0005\\0006\\0007\\0008'): string {
  return `(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [${sop}]
(0008,0020) DA [20240315]
(0008,0060) CS [CT]
(0010,0010) PN [Müller^Jörg]
(0010,0020) LO [PID-91]
(0020,000d) UI [${STUDY}]
(0020,000e) UI [${SERIES}]
(0020,0013) IS [1]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2
(0028,0011) US 4
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
(7fe0,0010) OW ${pixels}
`;
}

interface Case {
  name: string;
  syntax: string;
  /** How to make the file from an explicit little endian one. */
  make: (dir: string, explicit: string, out: string) => void;
  /** storescu option proposing that syntax. */
  propose: string;
}

const CASES: Case[] = [
  {
    name: 'explicit VR little endian',
    syntax: '1.2.840.10008.1.2.1',
    propose: '-xe',
    make: (_d, e, o) => execFileSync('cp', [e, o]),
  },
  {
    name: 'implicit VR little endian',
    syntax: '1.2.840.10008.1.2',
    propose: '-xi',
    make: (d, _e, o) => dump2dcm(d, o, '+ti'),
  },
  {
    name: 'explicit VR big endian',
    syntax: '1.2.840.10008.1.2.2',
    propose: '-xb',
    make: (d, _e, o) => dump2dcm(d, o, '+tb'),
  },
  {
    name: 'deflated explicit VR little endian',
    syntax: '1.2.840.10008.1.2.1.99',
    propose: '-xd',
    make: (d, _e, o) => dump2dcm(d, o, '+td'),
  },
  {
    name: 'JPEG lossless (process 14 SV1)',
    syntax: '1.2.840.10008.1.2.4.70',
    propose: '-xs',
    make: (_d, e, o) => execFileSync('dcmcjpeg', [e, o]),
  },
  {
    name: 'JPEG-LS lossless',
    syntax: '1.2.840.10008.1.2.4.80',
    propose: '-xt',
    make: (_d, e, o) => execFileSync('dcmcjpls', [e, o]),
  },
  {
    name: 'RLE lossless',
    syntax: '1.2.840.10008.1.2.5',
    propose: '-xr',
    make: (_d, e, o) => execFileSync('dcmcrle', [e, o]),
  },
];

function dump2dcm(dumpPath: string, out: string, option: string): void {
  execFileSync('dump2dcm', [option, dumpPath, out]);
}

/** The data set part of a Part 10 file (inflated when deflated), to compare what arrived with what was sent. */
function datasetOf(file: Buffer, syntax: string): Buffer {
  const body = file.subarray(datasetOffset(file)!);
  return syntax === '1.2.840.10008.1.2.1.99' ? inflateRawSync(body) : body;
}

describe.skipIf(!haveDcmtk)('C-ECHO and C-STORE with DCMTK', () => {
  let server: TestServer;
  let dir: string;
  const files = new Map<string, { path: string; sop: string }>();

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'ib-dimse-store-'));
    CASES.forEach((c, i) => {
      const sop = `${SERIES}.${i + 1}`;
      const dumpPath = join(dir, `${i}.txt`);
      writeFileSync(dumpPath, dump(sop), 'latin1');
      const explicit = join(dir, `${i}-explicit.dcm`);
      dump2dcm(dumpPath, explicit, '+te');
      const path = join(dir, `${i}.dcm`);
      c.make(dumpPath, explicit, path);
      files.set(c.name, { path, sop });
    });
  });
  afterAll(async () => server?.stop());

  it('answers C-ECHO with success', async () => {
    const r = await echo('127.0.0.1', server.dicomPort, 'IMGBRIDGE');
    expect(r.code).toBe(0);
  });

  for (const c of CASES) {
    it(`stores ${c.name} as received, and WADO-RS returns the same data set bytes`, async () => {
      const { path, sop } = files.get(c.name)!;
      const r = await runDcmtk('storescu', [
        '-v',
        c.propose,
        '-aec',
        'IMGBRIDGE',
        '-aet',
        'MODALITY',
        '127.0.0.1',
        String(server.dicomPort),
        path,
      ]);
      expect(r.stderr + r.stdout).toContain('Received Store Response (Success)');
      const res = await fetch(`${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${sop}`, {
        headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
      });
      expect(res.status).toBe(200);
      const [part] = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
      const stored = part!.data;
      expect(stored.includes(Buffer.from(c.syntax))).toBe(true);
      expect(datasetOf(stored, c.syntax).equals(datasetOf(readFileSync(path), c.syntax))).toBe(true);
      const meta = await json(await fetch(`${server.dicomweb}/instances?SOPInstanceUID=${sop}&includefield=00020016`));
      expect(meta).toHaveLength(1);
    });
  }

  it('answers 0x0111 when the same SOP Instance UID comes again with different content', async () => {
    const dumpPath = join(dir, 'dup.txt');
    writeFileSync(dumpPath, dump(`${SERIES}.1`, '0009\\0009\\0009\\0009\\0009\\0009\\0009\\0009'), 'latin1');
    const dup = join(dir, 'dup.dcm');
    dump2dcm(dumpPath, dup, '+te');
    const r = await runDcmtk('storescu', ['-v', '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort), dup], {
      allowFailure: true,
    });
    expect(r.stderr + r.stdout).toMatch(/Store Response \((Unknown Status: 0x111|Duplicate)/i);
  });

  it('accepts an identical duplicate as success', async () => {
    const { path } = files.get(CASES[0]!.name)!;
    const r = await runDcmtk('storescu', [
      '-v',
      '-xe',
      '-aec',
      'IMGBRIDGE',
      '127.0.0.1',
      String(server.dicomPort),
      path,
    ]);
    expect(r.stderr + r.stdout).toContain('Received Store Response (Success)');
  });

  it('rejects an association to another called AE title', async () => {
    const r = await runDcmtk('echoscu', ['-aec', 'NOT_US', '127.0.0.1', String(server.dicomPort)], {
      allowFailure: true,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Called AE Title Not Recognized');
  });

  it('keeps serving after malformed PDU bytes and a forged huge PDU length', async () => {
    expect(await rawExchange(server.dicomPort, Buffer.from([0x09, 0x00, 0, 0, 0, 4, 1, 2, 3, 4]))).toBe('closed');
    expect(await rawExchange(server.dicomPort, Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 1]))).toBe('closed');
    expect(await rawExchange(server.dicomPort, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe('closed');
    expect((await echo('127.0.0.1', server.dicomPort, 'IMGBRIDGE')).code).toBe(0);
  });

  it('stores nothing, and leaves no temporary file, when the association is aborted mid data set', async () => {
    const sop = `${ROOT}.99.1`;
    const socket = await open(server.dicomPort);
    socket.write(associateRq('IMGBRIDGE', 'ABORTER', CT));
    const ac = await nextBytes(socket);
    expect(ac[0]).toBe(0x02);
    socket.write(pData(1, storeCommand(sop), true, true));
    socket.write(pData(1, Buffer.alloc(2000, 7), false, false)); // a fragment, not the last one
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    await waitFor(() => readdirSync(join(server.dataDir, 'tmp')).length === 0, { timeoutMs: 5000 });
    const found = await json(await fetch(`${server.dicomweb}/instances?SOPInstanceUID=${sop}`));
    expect(found).toEqual([]);
    expect((await echo('127.0.0.1', server.dicomPort, 'IMGBRIDGE')).code).toBe(0);
  });
});

describe.skipIf(!haveDcmtk)('C-STORE association policy and resources', () => {
  let server: TestServer;
  let file: string;

  beforeAll(async () => {
    server = await startTestServer(
      { 'min-free-bytes': String(Number.MAX_SAFE_INTEGER) },
      {
        configFile: {
          dimse: {
            allow: [{ aet: 'KNOWN', hosts: ['127.0.0.1'] }],
            maxAssociations: 1,
            artimTimeoutMs: 500,
            idleTimeoutMs: 1500,
          },
        },
      },
    );
    const dir = mkdtempSync(join(tmpdir(), 'ib-dimse-full-'));
    writeFileSync(join(dir, 'ct.txt'), dump(`${ROOT}.50.1`), 'latin1');
    file = join(dir, 'ct.dcm');
    dump2dcm(join(dir, 'ct.txt'), file, '+te');
  });
  afterAll(async () => server?.stop());

  it('rejects a calling AE title that is not in the allow list', async () => {
    const r = await runDcmtk(
      'echoscu',
      ['-aet', 'STRANGER', '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort)],
      { allowFailure: true },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Calling AE Title Not Recognized');
  });

  it('answers 0xA700 (out of resources) when the volume is below --min-free-bytes, and keeps nothing', async () => {
    const r = await runDcmtk(
      'storescu',
      ['-v', '-aet', 'KNOWN', '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort), file],
      { allowFailure: true },
    );
    expect(r.stderr + r.stdout).toMatch(/Store Response \((Unknown Status: 0xa700|Refused: OutOfResources)/i);
    expect(readdirSync(join(server.dataDir, 'tmp'))).toEqual([]);
  });

  it('rejects an association above the limit with "local limit exceeded", and accepts again once it is released', async () => {
    const held = await open(server.dicomPort);
    held.write(associateRq('IMGBRIDGE', 'KNOWN', CT));
    expect((await nextBytes(held))[0]).toBe(0x02);
    const r = await runDcmtk('echoscu', ['-aet', 'KNOWN', '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort)], {
      allowFailure: true,
    });
    expect(r.stderr).toContain('Local Limit Exceeded');
    held.destroy();
    // The server notices the closed socket asynchronously: try for a few seconds.
    let code = -1;
    for (let i = 0; i < 20 && code !== 0; i++) {
      code = (
        await runDcmtk('echoscu', ['-aet', 'KNOWN', '-aec', 'IMGBRIDGE', '127.0.0.1', String(server.dicomPort)], {
          allowFailure: true,
        })
      ).code;
      if (code !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(code).toBe(0);
  });

  it('closes a connection that sends no A-ASSOCIATE-RQ (ARTIM) and an idle association', async () => {
    const silent = await open(server.dicomPort);
    const silentClosed = new Promise((r) => silent.once('close', r));
    const idle = await open(server.dicomPort);
    const idleClosed = new Promise((r) => idle.once('close', r));
    idle.write(associateRq('IMGBRIDGE', 'KNOWN', CT));
    expect((await nextBytes(idle))[0]).toBe(0x02); // accepted: a raw connection does not count against the limit
    const abort = nextBytes(idle);
    await silentClosed; // after artimTimeoutMs (500 ms)
    expect((await abort)[0]).toBe(0x07); // A-ABORT after idleTimeoutMs (1500 ms)
    await idleClosed;
  });
});

// ---- raw PDU helpers (PS3.8 9.3): just enough to open an association and break it off ----

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

function nextBytes(s: Socket): Promise<Buffer> {
  return new Promise((resolve) => s.once('data', resolve));
}

/** Writes bytes and reports whether the server closed the connection within 3 s. */
async function rawExchange(port: number, bytes: Buffer): Promise<'closed' | 'open'> {
  const s = await open(port);
  s.on('error', () => undefined);
  s.on('data', () => undefined);
  const closed = new Promise<'closed'>((resolve) => s.once('close', () => resolve('closed')));
  s.write(bytes);
  const result = await Promise.race([closed, new Promise<'open'>((r) => setTimeout(() => r('open'), 3000))]);
  s.destroy();
  return result;
}

const item = (type: number, body: Buffer) =>
  Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
const ae = (s: string) => Buffer.from(s.padEnd(16, ' '), 'latin1');

function associateRq(called: string, calling: string, abstractSyntax: string): Buffer {
  const context = item(
    0x20,
    Buffer.concat([
      Buffer.from([1, 0, 0, 0]),
      item(0x30, Buffer.from(abstractSyntax)),
      item(0x40, Buffer.from('1.2.840.10008.1.2')),
    ]),
  );
  const maxPdu = item(0x51, Buffer.from([0, 0, 0x40, 0]));
  const user = item(0x50, Buffer.concat([maxPdu, item(0x52, Buffer.from('1.2.3.4'))]));
  const body = Buffer.concat([
    Buffer.from([0, 1, 0, 0]),
    ae(called),
    ae(calling),
    Buffer.alloc(32),
    item(0x10, Buffer.from('1.2.840.10008.3.1.1.1')),
    context,
    user,
  ]);
  const head = Buffer.from([0x01, 0, 0, 0, 0, 0]);
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function pData(pcId: number, value: Buffer, command: boolean, last: boolean): Buffer {
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(value.length + 2, 0);
  pdv[4] = pcId;
  pdv[5] = (command ? 1 : 0) | (last ? 2 : 0);
  const head = Buffer.from([0x04, 0, 0, 0, 0, 0]);
  head.writeUInt32BE(pdv.length + value.length, 2);
  return Buffer.concat([head, pdv, value]);
}

/** C-STORE-RQ command set, implicit VR little endian (PS3.7 9.3.1.1). */
function storeCommand(sop: string): Buffer {
  const el = (group: number, elem: number, value: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(group, 0);
    h.writeUInt16LE(elem, 2);
    h.writeUInt32LE(value.length, 4);
    return Buffer.concat([h, value]);
  };
  const uid = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
  const us = (n: number) => Buffer.from([n & 0xff, n >> 8]);
  const body = Buffer.concat([
    el(0, 0x0002, uid(CT)),
    el(0, 0x0100, us(0x0001)),
    el(0, 0x0110, us(1)),
    el(0, 0x0700, us(0)),
    el(0, 0x0800, us(0x0000)),
    el(0, 0x1000, uid(sop)),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([el(0, 0, len), body]);
}
