import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcmtkAvailable } from './support/dcmtk.js';
import { json } from './support/http.js';
import { splitMultipart, multipartBody } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';

const haveDcmtk = dcmtkAvailable(['dump2dcm', 'dcmdump']);
const STUDY = '1.2.826.0.1.3680043.10.1456.77.1';
const SERIES = '1.2.826.0.1.3680043.10.1456.77.1.1';

/** A DCMTK dump describing one small CT image with a 4×2 16-bit pixel matrix. */
function dump(sop: string, extra = ''): string {
  return `(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [${sop}]
(0008,0020) DA [20240315]
(0008,0030) TM [101530]
(0008,0050) SH [ACC-77]
(0008,0060) CS [CT]
(0008,0090) PN [Welby^Marcus]
(0008,1030) LO [CT HEAD]
(0010,0010) PN [Müller^Jörg]
(0010,0020) LO [PID-77]
(0010,0030) DA [19600101]
(0010,0040) CS [M]
(0018,0015) CS [HEAD]
(0020,000d) UI [${STUDY}]
(0020,000e) UI [${SERIES}]
(0020,0010) SH [S77]
(0020,0011) IS [3]
(0020,0013) IS [1]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2
(0028,0011) US 4
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
${extra}(7fe0,0010) OW 0001\\0002\\0003\\0004\\0005\\0006\\0007\\0008
`;
}

/** dump2dcm writes the dump as a Part 10 file in the given transfer syntax option (+te, +ti, +tb, +td). */
function makeFile(dir: string, name: string, text: string, syntax: string): Buffer {
  const dumpPath = join(dir, `${name}.txt`);
  const out = join(dir, `${name}.dcm`);
  writeFileSync(dumpPath, text, 'latin1');
  execFileSync('dump2dcm', [syntax, dumpPath, out]);
  return readFileSync(out);
}

describe.skipIf(!haveDcmtk)('DICOMweb with DCMTK-written files', () => {
  let server: TestServer;
  let dir: string;
  const files: Record<string, Buffer> = {};

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'ib-dcmtk-'));
    files.little = makeFile(dir, 'little', dump(`${SERIES}.1`), '+te');
    files.implicit = makeFile(dir, 'implicit', dump(`${SERIES}.2`), '+ti');
    files.big = makeFile(dir, 'big', dump(`${SERIES}.3`), '+tb');
    files.deflated = makeFile(dir, 'deflated', dump(`${SERIES}.4`), '+td');
  });
  afterAll(async () => server?.stop());

  it('stores four transfer syntaxes in one STOW-RS request and answers 200 with a Store Instances Response', async () => {
    const upload = multipartBody(Object.values(files));
    const res = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      body: upload.body,
      headers: { 'content-type': upload.contentType },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/dicom+json');
    const body = await json(res);
    expect(body['00081190'].Value[0]).toBe(`${server.url}/dicomweb/studies/${STUDY}`);
    const refs = body['00081199'].Value;
    expect(refs).toHaveLength(4);
    expect(refs.map((r: Record<string, { Value: string[] }>) => r['00081155']!.Value[0]).sort()).toEqual(
      [1, 2, 3, 4].map((n) => `${SERIES}.${n}`),
    );
    expect(refs[0]['00081150'].Value[0]).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(body['00081198']).toBeUndefined();
  });

  it('returns each instance byte-identical with transfer-syntax=*', async () => {
    for (const [n, file] of Object.values(files).entries()) {
      const url = `${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.${n + 1}`;
      const res = await fetch(url, {
        headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
      });
      expect(res.status).toBe(200);
      const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
      expect(parts).toHaveLength(1);
      expect(parts[0]!.data.equals(file)).toBe(true);
    }
  });

  it('transcodes implicit, big endian and deflated instances to Explicit VR Little Endian by default, readable by dcmdump', async () => {
    const res = await fetch(`${server.dicomweb}/studies/${STUDY}`, {
      headers: { accept: 'multipart/related; type="application/dicom"' },
    });
    expect(res.status).toBe(200);
    const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(parts).toHaveLength(4);
    for (const [i, part] of parts.entries()) {
      expect(part.headers).toContain('transfer-syntax=1.2.840.10008.1.2.1');
      const path = join(dir, `out-${i}.dcm`);
      writeFileSync(path, part.data);
      const text = execFileSync('dcmdump', ['+P', '0002,0010', '+P', '0010,0010', '+P', '7fe0,0010', path], {
        encoding: 'latin1',
      });
      expect(text).toContain('=LittleEndianExplicit');
      expect(text).toContain('Müller^Jörg'.normalize());
      expect(text).toMatch(/0001\\0002\\0003\\0004\\0005\\0006\\0007\\0008/);
    }
  });

  it('finds the study by QIDO-RS with Unicode names and required attributes', async () => {
    const res = await fetch(`${server.dicomweb}/studies?PatientID=PID-77&includefield=StudyDescription`);
    expect(res.status).toBe(200);
    const [study] = await json(res);
    expect(study['00100010'].Value[0]).toEqual({ Alphabetic: 'Müller^Jörg' });
    expect(study['00201206'].Value[0]).toBe(1);
    expect(study['00201208'].Value[0]).toBe(4);
    expect(study['00080061'].Value).toEqual(['CT']);
    expect(study['00081030'].Value[0]).toBe('CT HEAD');
    const byName = await json(await fetch(`${server.dicomweb}/studies?PatientName=m%C3%BCller*`));
    expect(byName).toHaveLength(1);
  });

  it('serves metadata with numbers for IS and US and a BulkDataURI for pixel data that returns the pixel bytes', async () => {
    const res = await fetch(`${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.3/metadata`);
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag')!;
    const [meta] = await json(res);
    expect(meta['00200013']).toEqual({ vr: 'IS', Value: [1] });
    expect(meta['00280010']).toEqual({ vr: 'US', Value: [2] });
    const uri: string = meta['7FE00010'].BulkDataURI;
    expect(uri.startsWith(`${server.url}/dicomweb/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.3/`)).toBe(
      true,
    );
    const bulk = await fetch(uri, { headers: { accept: 'multipart/related; type="application/octet-stream"' } });
    expect(bulk.status).toBe(200);
    const [part] = splitMultipart(Buffer.from(await bulk.arrayBuffer()), bulk.headers.get('content-type')!);
    // Stored big endian, served little endian.
    expect([...new Uint16Array(new Uint8Array(part!.data).buffer)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const again = await fetch(`${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.3/metadata`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('serves a native frame as little-endian octets', async () => {
    const res = await fetch(`${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.2/frames/1`, {
      headers: { accept: 'multipart/related; type="application/octet-stream"' },
    });
    expect(res.status).toBe(200);
    const [part] = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(part!.data.length).toBe(16);
    expect(part!.data.readUInt16LE(14)).toBe(8);
    const out = await fetch(`${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.2/frames/2`);
    expect(out.status).toBe(404);
  });

  it('treats the same instance sent again as success and different content under the same UID as 0x0111', async () => {
    const same = multipartBody([files.little!]);
    const ok = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      body: same.body,
      headers: { 'content-type': same.contentType },
    });
    expect(ok.status).toBe(200);
    const changed = makeFile(dir, 'changed', dump(`${SERIES}.1`, '(0008,103e) LO [changed]\n'), '+te');
    const diff = multipartBody([changed]);
    const res = await fetch(`${server.dicomweb}/studies`, {
      method: 'POST',
      body: diff.body,
      headers: { 'content-type': diff.contentType },
    });
    expect(res.status).toBe(409);
    const body = await json(res);
    expect(body['00081198'].Value[0]['00081197'].Value[0]).toBe(0x0111);
    expect(body['00081198'].Value[0]['00081155'].Value[0]).toBe(`${SERIES}.1`);
    expect(res.headers.get('warning')).toContain('different content');
  });

  it('refuses an instance of another study when the URL names a study (0xA900), storing the rest (202)', async () => {
    const other = makeFile(dir, 'other', dump(`${SERIES}.9`).replace(`[${STUDY}]`, `[${STUDY}9]`), '+te');
    const good = makeFile(dir, 'good', dump(`${SERIES}.8`), '+te');
    const upload = multipartBody([other, good]);
    const res = await fetch(`${server.dicomweb}/studies/${STUDY}`, {
      method: 'POST',
      body: upload.body,
      headers: { 'content-type': upload.contentType },
    });
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body['00081198'].Value[0]['00081197'].Value[0]).toBe(0xa900);
    expect(body['00081199'].Value).toHaveLength(1);
  });

  it('deletes an instance administratively and then answers 404 for it', async () => {
    const url = `${server.dicomweb}/studies/${STUDY}/series/${SERIES}/instances/${SERIES}.8`;
    const del = await fetch(url, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await json(del)).toEqual({ deleted: 1 });
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(404);
  });
});
