/** After a fault: what the archive serves against what the ledger says was sent and acknowledged. */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { datasetOffset } from '../../src/dicom/index.js';
import type { Json } from './http.js';
import type { Ledger } from './ingest-ledger.js';
import { splitMultipart } from './multipart.js';
import type { SpawnedServer } from './server.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** The data set without File Meta Information (C-STORE: the receiver writes its own). */
const datasetSha = (file: Buffer): string => sha(file.subarray(datasetOffset(file.subarray(0, 4096)) ?? 0));

/**
 * Checks through `server`: every acknowledged instance found by QIDO-RS and retrieved identical
 * by WADO-RS (the data set for C-STORE), no data set twice, nothing found that was not sent;
 * returns each study's stored count.
 */
export async function checkAcknowledgedArchived(
  server: SpawnedServer,
  ledger: Ledger,
  studies: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const study of studies) {
    const res = await fetch(`${server.dicomweb}/studies/${study}`, {
      headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    const parts =
      res.status === 200
        ? splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '')
        : [];
    const hashes = new Set(parts.map((p) => sha(p.data)));
    const datasets = new Set(parts.map((p) => datasetSha(p.data)));
    expect(datasets.size, `the same data set twice in ${study}`).toBe(parts.length);
    const acked = [...ledger.acked.values()].filter((s) => s.study === study);
    const missing = acked.filter((s) =>
      s.via === 'c-store' ? !datasets.has(datasetSha(s.bytes)) : !hashes.has(sha(s.bytes)),
    );
    expect(
      missing.map((s) => `${s.sop} (${s.via})`),
      `acknowledged instances of ${study} not retrieved identical`,
    ).toEqual([]);
    const sentDatasets = new Set([...ledger.sent.values()].map((s) => datasetSha(s.bytes)));
    expect(
      [...datasets].filter((h) => !sentDatasets.has(h)),
      `stored data sets nobody sent (${study})`,
    ).toEqual([]);
    const qido = await fetch(`${server.dicomweb}/studies/${study}/instances?limit=1000`);
    const found = qido.status === 204 ? [] : ((await qido.json()) as Json[]);
    expect(found.length, `QIDO-RS and WADO-RS of ${study} agree`).toBe(parts.length);
    counts.set(study, parts.length);
  }
  return counts;
}
