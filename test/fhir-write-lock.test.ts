import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { holdSqliteWriteLock, longestStall } from './support/sqlite-lock-holder.js';

/**
 * fhir.sqlite's write lock held by another connection (a worker thread here; in production the
 * audit projection thread or a CLI): writes wait on timers, not asleep on the event loop, and a
 * write that cannot get the lock in time answers 503 + Retry-After with an OperationOutcome —
 * never 500 "database is locked".
 */
describe('FHIR writes while another connection holds the write lock', () => {
  let server: TestServer;
  let file: string;

  beforeAll(async () => {
    server = await startTestServer({}, { configFile: { fhir: { server: { writeLockWaitMs: 250 } } } });
    file = join(server.dataDir, 'fhir.sqlite');
  });
  afterAll(async () => server?.stop());

  const transaction = (family: string) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', name: [{ family }] } }],
  });
  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/fhir`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Json };
  };
  const count = async (family: string) =>
    ((await (await fetch(`${server.url}/fhir/Patient?family=${family}&_summary=count`)).json()) as Json).total;

  it('answers 503 + Retry-After (transient) after the bounded wait, writes nothing, keeps the event loop free', async () => {
    const { released } = await holdSqliteWriteLock(file, 1_500);
    const { result, stallMs } = await longestStall(post(transaction('Lockedout')));
    expect(result.status).toBe('fulfilled');
    const res = (result as PromiseFulfilledResult<Awaited<ReturnType<typeof post>>>).value;
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('1');
    expect(res.body).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'transient' }],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/database is locked/);
    // The server and this test share the event loop: SQLite's busy handler would have slept in it.
    expect(stallMs).toBeLessThan(300);
    await released;
    expect(await count('Lockedout')).toBe(0);
    expect((await post(transaction('Afterwards'))).status).toBe(200);
    expect(await count('Afterwards')).toBe(1);
  });

  it('lands a write that waits less than the bound once the lock is released', async () => {
    const { released } = await holdSqliteWriteLock(file, 120);
    const res = await post(transaction('Waited'));
    expect(res.status).toBe(200);
    expect(performance.now()).toBeGreaterThanOrEqual(await released);
    expect(await count('Waited')).toBe(1);
  });
});
