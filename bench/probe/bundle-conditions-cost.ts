/**
 * A sync pass's transaction Bundle on PostgreSQL (diagnostic): 8 Patient + 16 ImagingStudy
 * conditional creates (the studies' subjects urn:uuid placeholders of the Patients), as the bridge
 * writes 16 new studies, through the FHIR router on a throwaway cluster (or PG_TEST_URL), the
 * If-None-Exist searches in one statement (FhirRepository.searchMany) and the creates in one
 * (createMany): `batched`, or one by one (the repository without them): `one`; 20 Bundles each way, alternating. Prints per Bundle:
 * statements sent, wall ms, this process's CPU ms, the cluster's CPU ms.
 *   node --import tsx bench/probe/bundle-conditions-cost.ts [bundles]
 */
import { randomUUID } from 'node:crypto';
import { openPool } from '../../src/core/postgres/pool.js';
import { countStatements } from '../../src/core/postgres/statement-counter.js';
import { testPostgres } from '../../src/core/postgres/test-cluster.js';
import { SearchParamRegistry } from '../../src/fhir/definitions/search-params.js';
import { PgFhirRepository } from '../../src/fhir/postgres/pg-repository.js';
import { FhirRouter } from '../../src/fhir/rest/router.js';
import { postgresCpuS } from '../postgres-cpu.js';
import { withoutBatching } from '../../src/fhir/repository/without-batching.js';

const BUNDLES = Number(process.argv[2] ?? 20);
const server = testPostgres();
if ('reason' in server) throw new Error(server.reason);
const pool = openPool(await server.url());
const statements = countStatements(pool);
const registry = new SearchParamRegistry();
const baseUrl = 'http://x/fhir';
const repo = await PgFhirRepository.open(pool, { registry, baseUrl });

const routers = {
  batched: new FhirRouter({ repo, registry, baseUrl, onError: (e) => console.error(e) }),
  one: new FhirRouter({ repo: withoutBatching(repo), registry, baseUrl, onError: (e) => console.error(e) }),
};

function bundle(): unknown {
  const entry: unknown[] = [];
  const patients = Array.from({ length: 8 }, () => ({ urn: `urn:uuid:${randomUUID()}`, mrn: randomUUID() }));
  for (const p of patients)
    entry.push({
      fullUrl: p.urn,
      resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: p.mrn }] },
      request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=urn:mrn|${p.mrn}` },
    });
  for (let i = 0; i < 16; i++) {
    const uid = `urn:oid:1.2.3.${Date.now()}.${i}.${Math.floor(Math.random() * 1e9)}`;
    entry.push({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: {
        resourceType: 'ImagingStudy',
        status: 'available',
        identifier: [{ system: 'urn:dicom:uid', value: uid }],
        subject: { reference: patients[i % 8]!.urn },
      },
      request: {
        method: 'POST',
        url: 'ImagingStudy',
        ifNoneExist: `identifier=${encodeURIComponent(`urn:dicom:uid|${uid}`)}`,
      },
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

for (const mode of ['one', 'batched', 'one', 'batched'] as const) {
  const s0 = statements();
  const pg0 = postgresCpuS();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < BUNDLES; i++) {
    const res = await routers[mode].handle({
      method: 'POST',
      path: '',
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(bundle()),
    });
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(
    mode.padEnd(8),
    'statements/bundle',
    ((statements() - s0) / BUNDLES).toFixed(1),
    'wall ms/bundle',
    ((performance.now() - t0) / BUNDLES).toFixed(1),
    'node cpu ms/bundle',
    ((cpu.user + cpu.system) / BUNDLES / 1000).toFixed(1),
    'pg cpu ms/bundle',
    (((postgresCpuS() - pg0) * 1000) / BUNDLES).toFixed(1),
  );
}
await repo.close();
await pool.end();
await server.stop();
