/**
 * Session 21: the bridge's stored-ImagingStudy lookup, one search per study (`findImagingStudy`,
 * identifier=urn:dicom:uid|urn:oid:…) against one search of a list of 16 (what a batched pass
 * would send), through the in-process client and the embedded router on SQLite, for two source
 * trees (A/B, alternating, each on its own store filled the same way).
 *   node --import tsx bench/token-list-bridge-lookup.ts [--resources 20000] [--base /tmp/ib-x-base] [--pairs 5]
 * CPU: process.cpuUsage per study (median of pairs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// biome-ignore lint/suspicious/noExplicitAny: modules of two source trees, loaded at run time
type Any = any;
const UID = 'urn:dicom:uid';
const BATCH = 16;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function open(root: string, n: number) {
  const m = (p: string) => import(resolve(root, p));
  const { openEmbeddedFhir } = await m('src/fhir/embedded.ts');
  const { inProcessFhirClient } = await m('src/fhir/client/index.ts');
  const { findImagingStudy } = await m('src/bridge/sync/fhir-writes.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'ib-tokenlist-bridge-'));
  const fhir = openEmbeddedFhir({ dataDir, publicUrl: 'http://ib.test', section: undefined });
  const all = Array.from({ length: n }, (_, i) => ({
    resourceType: 'ImagingStudy',
    id: `s${i}`,
    status: 'available',
    subject: { reference: `Patient/p${i % 997}` },
    identifier: [{ system: UID, value: `urn:oid:1.2.3.${i}` }],
  }));
  for (let i = 0; i < n; i += 1000) await fhir.repository.createMany(all.slice(i, i + 1000));
  return {
    client: inProcessFhirClient(fhir.router, 'http://ib.test/fhir'),
    findImagingStudy,
    close: () => {
      fhir.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '20000' },
      base: { type: 'string' },
      pairs: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '20' },
    },
  });
  const n = Number(values.resources);
  const trees = [{ name: 'head', root: resolve('.') }];
  if (values.base) trees.unshift({ name: 'base', root: resolve(values.base) });
  const opened = new Map<string, Any>();
  for (const t of trees) opened.set(t.name, await open(t.root, n));
  const uids = (r: number) => Array.from({ length: BATCH }, (_, j) => `1.2.3.${(r * 977 + j * 131) % n}`);
  const per = new Map<string, number[]>();
  try {
    for (let p = 0; p < Number(values.pairs); p++)
      for (const t of p % 2 === 0 ? trees : [...trees].reverse()) {
        const o = opened.get(t.name);
        for (const mode of ['single', 'list']) {
          const key = `${t.name} ${mode}`;
          const c0 = process.cpuUsage();
          let found = 0;
          for (let r = 0; r < Number(values.rounds); r++) {
            const batch = uids(r + p * 100);
            if (mode === 'single') for (const u of batch) found += (await o.findImagingStudy(o.client, u)) ? 1 : 0;
            else
              found += (
                await o.client.searchAll(
                  'ImagingStudy',
                  { identifier: batch.map((u) => `${UID}|urn:oid:${u}`).join(','), _total: 'none', _count: BATCH * 10 },
                  { maxResources: BATCH * 10, maxPages: 1 },
                )
              ).length;
          }
          const c = process.cpuUsage(c0);
          if (found !== BATCH * Number(values.rounds)) throw new Error(`${key}: found ${found}`);
          per.set(key, [...(per.get(key) ?? []), (c.user + c.system) / 1000 / (BATCH * Number(values.rounds))]);
        }
      }
    console.log(
      `${n} ImagingStudies, lookups of ${BATCH} studies; CPU ms per study (median of ${values.pairs} pairs):`,
    );
    for (const [k, xs] of per)
      console.log(`  ${k.padEnd(12)} ${median(xs).toFixed(4)}  (${xs.map((x) => x.toFixed(4)).join(' ')})`);
  } finally {
    for (const o of opened.values()) o.close();
  }
}

await main();
