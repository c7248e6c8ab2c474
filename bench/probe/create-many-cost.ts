/**
 * FhirRepository.createMany against one create per resource on PostgreSQL (diagnostic): batches of
 * N AuditEvents (as the audit projection's slices), 20 transactions each way, alternating, in a
 * throwaway cluster (or PG_TEST_URL); prints wall ms and this process's CPU ms per batch.
 *   node --import tsx bench/probe/create-many-cost.ts [N]
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { testPostgres } from '../../src/core/postgres/test-cluster.js';
import { SearchParamRegistry } from '../../src/fhir/definitions/search-params.js';
import { PgFhirRepository } from '../../src/fhir/postgres/pg-repository.js';
import type { FhirResource } from '../../src/fhir/types.js';

const N = Number(process.argv[2] ?? 10);
const server = testPostgres();
if ('reason' in server) throw new Error(server.reason);
const url = await server.url();
const repo = await PgFhirRepository.open(url, { registry: new SearchParamRegistry(), baseUrl: 'http://x/fhir' });
const event = (): FhirResource => ({
  resourceType: 'AuditEvent',
  id: randomUUID(),
  type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110112', display: 'Query' },
  action: 'E',
  recorded: new Date().toISOString(),
  outcome: '0',
  agent: [{ who: { identifier: { value: 'anon' } }, requestor: true, network: { address: '127.0.0.1', type: '2' } }],
  source: { observer: { display: 'ib' } },
  entity: [{ what: { reference: 'Patient/p1' }, query: Buffer.from('x').toString('base64') }],
});
const c = new pg.Client({ connectionString: url });
await c.connect();
const jit = (await c.query('SHOW jit')).rows[0];
console.log('jit', jit);
for (const mode of ['one', 'many', 'one', 'many']) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) {
    const events = Array.from({ length: N }, event);
    await repo.transaction(
      async (tx) => {
        if (mode === 'many') await tx.createMany!(events);
        else for (const e of events) await tx.create(e, { keepId: true });
      },
      { durable: false },
    );
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(
    mode,
    N,
    'wall ms/batch',
    ((performance.now() - t0) / 20).toFixed(1),
    'node cpu ms/batch',
    ((cpu.user + cpu.system) / 20000).toFixed(1),
  );
}
await c.end();
await repo.close();
await server.stop();
