/**
 * CPU of the audit projection's FHIR copy per list-read record, in process: the records a page
 * read of 100 patients makes (built as the chain writer builds them), copied into a fresh
 * fhir.sqlite the way the projection thread does (batches of `batch`, slices of `slice`, no
 * sync per slice, one flush per batch, wal_autocheckpoint off and one checkpoint per batch as
 * the server's checkpointer does), CPU of the whole process per record and WAL bytes per record.
 *
 *   node --import tsx bench/projection-cpu.ts [--records 1500] [--batch 500] [--slices 40,200] [--rounds 2]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareEntry } from '../src/audit/audit-entry.js';
import { FhirProjection } from '../src/audit/fhir-projection.js';
import { auditEventDefinitions } from '../src/audit/open.js';
import type { ChainRecord } from '../src/audit/types.js';
import { SearchParamRegistry } from '../src/fhir/definitions/search-params.js';
import { SqliteFhirRepository } from '../src/fhir/sqlite/sqlite-repository.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1500' },
    batch: { type: 'string', default: '500' },
    slices: { type: 'string', default: '40,200' },
    rounds: { type: 'string', default: '2' },
  },
});
const patients = Array.from({ length: 300 }, () => randomUUID());
let seq = 0;
/** A worklist page read: one DICOM query naming 100 patients (a page drifts: a few new patients per read). */
function record(i: number): ChainRecord {
  const page = Array.from({ length: 100 }, (_, k) => patients[(k + Math.floor(i / 50)) % patients.length]!);
  const [r] = prepareEntry({
    access: {
      requestId: `req-${i}`,
      sourceIp: '127.0.0.1',
      outcome: { httpStatus: 200 },
      recorded: new Date(),
      server: { publicUrl: 'http://127.0.0.1:8080' },
      access: {
        kind: 'dicom',
        event: 'query',
        transport: 'dicomweb',
        service: 'QIDO-RS',
        studyUids: [],
        patientIds: page,
        query: 'status=unread&limit=100&offset=0',
      },
    },
  });
  seq += 1;
  return { ...r!, seq, prevHash: '', hash: '' };
}

const definitions = auditEventDefinitions();
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const n = Number(values.records);
const batch = Number(values.batch);
const warm = Array.from({ length: 300 }, (_, i) => record(i));
const records = Array.from({ length: n }, (_, i) => record(i + 300));
for (let round = 0; round < Number(values.rounds); round++)
  for (const slice of values.slices.split(',').map(Number)) {
    const dir = mkdtempSync(join(tmpdir(), 'ib-proj-cpu-'));
    const file = join(dir, 'fhir.sqlite');
    const repository = new SqliteFhirRepository(file, {
      registry: new SearchParamRegistry(definitions),
      baseUrl: 'http://127.0.0.1:8080',
    });
    repository.db.pragma('wal_autocheckpoint = 0');
    const projection = new FhirProjection(
      { iterate: () => [], projectedUpTo: () => 0, setProjectedUpTo: () => undefined },
      repository,
      { error: (o: unknown, m?: string) => console.error(m, o) },
      { intervalMs: 1_000_000, maxBatch: 1_000_000, retryMs: 60_000, sliceSize: slice },
    );
    const copy = async (rs: ChainRecord[]) => {
      let wal = 0;
      for (let i = 0; i < rs.length; i += batch) {
        projection.add(rs.slice(i, i + batch));
        await projection.flush();
        wal += statSync(`${file}-wal`).size;
        repository.db.pragma('wal_checkpoint(TRUNCATE)');
      }
      return wal;
    };
    await copy(warm);
    const c0 = cpu();
    const wal = await copy(records.map((r) => ({ ...r, id: randomUUID() })));
    const ms = (cpu() - c0) / n;
    console.log(
      JSON.stringify({
        round,
        slice,
        records: n,
        cpuMsPerRecord: +ms.toFixed(3),
        walKBPerRecord: +(wal / n / 1024).toFixed(1),
      }),
    );
    await projection.close();
    repository.close();
    rmSync(dir, { recursive: true, force: true });
  }
