import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

/** The compaction routes' answers to bad requests (in process; the run itself: pack-compaction-sigkill.e2e). */
describe('POST /api/admin/storage/compaction', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  const post = (body: string) =>
    server.inject({
      method: 'POST',
      url: '/api/admin/storage/compaction',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });

  it('refuses a field out of range or unknown with 400 naming it, and starts nothing', async () => {
    for (const [body, field] of [
      ['{"minReclaimRatio": 2}', 'minReclaimRatio'],
      ['{"graceSeconds": -1}', 'graceSeconds'],
      ['{"maxBytesPerSecond": "fast"}', 'maxBytesPerSecond'],
      ['{"everything": true}', 'everything'],
    ] as const) {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      expect(res.json().issue[0].expression).toEqual([field]);
    }
    expect((await post('[1]')).statusCode).toBe(400);
    const status = await server.inject({ method: 'GET', url: '/api/admin/storage/compaction' });
    expect(status.json()).toEqual({ state: 'idle' });
  });

  it('starts a run (202) that ends done on an archive with nothing to reclaim', async () => {
    const res = await post('{"graceSeconds": 0}');
    expect(res.statusCode).toBe(202);
    expect(res.json().state).toBe('running');
    let state = 'running';
    for (let i = 0; i < 100 && state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = (await server.inject({ method: 'GET', url: '/api/admin/storage/compaction' })).json().state;
    }
    expect(state).toBe('done');
  });
});
