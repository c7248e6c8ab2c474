/**
 * QIDO-RS answers streamed over a real socket: an index of 1,200 studies written straight
 * through SqliteIndex (as bench SCALE does), then searched through the running server.
 */
import { type IncomingMessage, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteIndex } from '../src/archive/sqlite/sqlite-index.js';
import { generatedRecords } from '../src/archive/query/test-support.js';
import { json, type Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';

const COUNT = 1_200;
const uid = (i: number) => `1.2.826.0.1.9.${i + 1}`;
let dataDir: string;
let server: TestServer;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ib-qido-stream-'));
  const index = new SqliteIndex(join(dataDir, 'index.sqlite'));
  index.commitSync(generatedRecords(COUNT).map((record) => ({ record, replaces: null })));
  index.close();
  server = await startTestServer({ 'data-dir': dataDir });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  for (const f of [`${dataDir}.audit-key`, `${dataDir}.audit-key.checkpoint`]) rmSync(f, { force: true });
});

const studyUids = (body: Json[]) => body.map((d: Json) => d['0020000D'].Value[0]);

describe('QIDO-RS streamed', () => {
  it('answers all 1,200 studies in one streamed array, without a cap or a Warning', async () => {
    const res = await fetch(`${server.dicomweb}/studies`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/dicom+json');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('warning')).toBeNull();
    const body = await json(res);
    expect(studyUids(body)).toEqual(Array.from({ length: COUNT }, (_, i) => uid(i)));
  });

  it('gives the same datasets as the client paging with limit and offset', async () => {
    const whole = await json(await fetch(`${server.dicomweb}/studies?ModalitiesInStudy=MR`));
    const pages: Json[] = [];
    for (let offset = 0; ; offset += 30) {
      const res = await fetch(`${server.dicomweb}/studies?ModalitiesInStudy=MR&limit=30&offset=${offset}`);
      // A page that fits in the first chunk is sent whole.
      expect(res.headers.get('content-length')).not.toBeNull();
      const page = await json(res);
      pages.push(...page);
      if (page.length < 30) break;
    }
    expect(whole).toHaveLength(COUNT / 3);
    expect(pages).toEqual(whole);
  });

  it('sends every Warning, each in its own field', async () => {
    const res = await fetch(`${server.dicomweb}/studies?limit=1&fuzzymatching=true&page-size=9`);
    const warning = res.headers.get('warning') ?? '';
    expect(warning).toMatch(/299 imaging-bridge "The fuzzymatching parameter is not supported/);
    expect(warning).toMatch(/299 imaging-bridge "Unsupported query parameters were ignored: page-size"/);
    expect(await json(res)).toHaveLength(1);
  });

  it('takes a write to the index while a client holds a streamed answer unread', async () => {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${server.dicomweb}/instances`, resolve).once('error', reject).end();
    });
    res.pause();
    // A DELETE while the answer is unread (whether the server has rendered all of it by now
    // depends on the socket buffers; the unit tests check chunk by chunk): never "database busy".
    const del = await fetch(`${server.dicomweb}/studies/${uid(COUNT - 1)}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    let text = '';
    res.setEncoding('utf8');
    for await (const chunk of res) text += chunk;
    const body = JSON.parse(text) as Json[];
    expect([COUNT - 1, COUNT]).toContain(body.length);
    expect(body[0]['00080018'].Value[0]).toBe(`${uid(0)}.1.1`);
  });
});
