/**
 * Finding 6: one 13 KB batch of 200 × `GET Observation?_count=1000` made a 96 MB answer and grew
 * the server by ~450 MB. Now a batch holds at most fhir.server.maxBatchEntries (100) entries, a
 * transaction maxTransactionEntries (1000), their searches at most maxBatchCount (2000)
 * resources in all (413 OperationOutcome before anything runs), and large Bundles are written
 * entry by entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmartBench, type SmartBench } from './harness.js';

let bench: SmartBench;

beforeAll(async () => {
  bench = await startSmartBench({ demo: true });
  // The bridge writes the demo ImagingStudies in the background: let it settle before measuring.
  await bench.patientsWithImaging();
}, 180_000);

afterAll(() => bench?.stop());

const batchOf = (n: number, url: string, type = 'batch') => ({
  resourceType: 'Bundle',
  type,
  entry: Array.from({ length: n }, () => ({ request: { method: 'GET', url } })),
});

function refusedAsTooCostly(r: { status: number; body: any }): void {
  expect(r.status).toBe(413);
  expect(r.body.resourceType).toBe('OperationOutcome');
  expect(r.body.issue[0].code).toBe('too-costly');
}

describe('batch and transaction limits', () => {
  it('refuses the review’s attack (200 × Observation?_count=1000) at once, without growing the server', async () => {
    const token = await bench.token({ scope: 'user/Observation.rs', roles: ['radiologist'], sub: 'batcher' });
    const head = bench.auditHead();
    global.gc?.();
    const before = process.memoryUsage().rss;
    const body = JSON.stringify(batchOf(200, 'Observation?_count=1000'));
    expect(body.length).toBeLessThan(14_000);
    const started = Date.now();
    const r = await bench.request('POST', '/fhir', token, body);
    refusedAsTooCostly(r);
    // Refused before any entry ran: a small answer, at once.
    expect(r.text.length).toBeLessThan(1_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(r.body.issue[0].diagnostics).toContain('at most 100 entries');
    const grown = process.memoryUsage().rss - before;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    const records = bench.auditSince(head).filter((a) => JSON.stringify(a.agent).includes('batcher'));
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(records.every((a) => a.outcome !== '0')).toBe(true);
  }, 60_000);

  it('refuses a batch whose searches ask for more than 2000 resources in all', async () => {
    refusedAsTooCostly(await bench.request('POST', '/fhir', bench.admin, batchOf(100, 'Observation?_count=1000')));
    const r = await bench.request('POST', '/fhir', bench.admin, batchOf(3, 'Observation?_count=1000'));
    refusedAsTooCostly(r);
    expect(r.body.issue[0].diagnostics).toContain('3000');
  });

  it('refuses a transaction above 1000 entries, and accepts batches within the limits', async () => {
    refusedAsTooCostly(await bench.request('POST', '/fhir', bench.admin, batchOf(1001, 'Patient/x', 'transaction')));
    refusedAsTooCostly(await bench.request('POST', '/fhir', bench.admin, batchOf(101, 'Patient/x')));
    const ok = await bench.request('POST', '/fhir', bench.admin, batchOf(100, 'Observation?_count=20'));
    expect(ok.status).toBe(200);
    expect(ok.body.type).toBe('batch-response');
    expect(ok.body.entry).toHaveLength(100);
    expect(ok.body.entry.every((e: any) => e.response.status.startsWith('200'))).toBe(true);
  }, 60_000);

  it('streams a large searchset entry by entry (chunked), as the same JSON', async () => {
    const r = await bench.get('/fhir/Observation?_count=1000', bench.admin);
    expect(r.status).toBe(200);
    expect(r.body.resourceType).toBe('Bundle');
    expect(r.body.entry.length).toBeGreaterThan(100);
    expect(r.headers.get('transfer-encoding')).toBe('chunked');
    expect(r.headers.get('content-type')).toContain('application/fhir+json');
    expect(r.body.entry.every((e: any) => e.resource.resourceType === 'Observation')).toBe(true);
  }, 60_000);
});
