/**
 * Token searches with a list of values (`identifier=sys|a,sys|b,…`), session 21: the plan and the
 * CPU per search of 1, 2, 10 and 50 values, on SQLite and PostgreSQL, for two source trees at
 * once (A/B in one process: each tree's repository class opens the same store, filled once).
 *   node --import tsx bench/token-list-search.ts [--resources 20000] [--backend sqlite|postgres|both]
 *        [--base /tmp/ib-x-base] [--iterations 200] [--pairs 5] [--plans]
 * Forms: `sys|code` (identifier), `code` (identifier value only), `|code` (no system: nothing
 * matches, the plan is the point) and `sys|` (each study has an accession identifier in one of 50
 * systems). CPU: this process (process.cpuUsage: compile, row decoding) plus, on PostgreSQL, the
 * server processes of the throwaway cluster (/proc), per search; medians of alternating pairs.
 * PostgreSQL: PG_TEST_URL (a scratch database, dropped) or a throwaway cluster; ANALYZE after the fill.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { scratchDatabase } from './pg-scratch-database.js';
import { postgresCpuS } from './postgres-cpu.js';

const BASE_URL = 'http://ib.test/fhir';
const UID = 'urn:dicom:uid';
const ACC = (i: number) => `http://acc.example/${i % 50}`;

interface Tree {
  name: string;
  root: string;
}

// biome-ignore lint/suspicious/noExplicitAny: modules of two source trees, loaded at run time
type Any = any;

async function load(root: string): Promise<Any> {
  const m = (p: string) => import(resolve(root, p));
  return {
    sqlite: (await m('src/fhir/sqlite/sqlite-repository.ts')).SqliteFhirRepository,
    pg: (await m('src/fhir/postgres/pg-repository.ts')).PgFhirRepository,
    registry: new (await m('src/fhir/definitions/search-params.ts')).SearchParamRegistry(),
    parseSearch: (await m('src/fhir/search/parse-search.ts')).parseSearch,
  };
}

function studies(n: number): Any[] {
  return Array.from({ length: n }, (_, i) => ({
    resourceType: 'ImagingStudy',
    id: `s${i}`,
    status: 'available',
    subject: { reference: `Patient/p${i % 997}` },
    identifier: [
      { system: UID, value: `urn:oid:1.2.3.${i}` },
      { system: ACC(i), value: `A${i}` },
    ],
    modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: ['CT', 'MR', 'US', 'DX'][i % 4] }],
  }));
}

/** The query of each form with k values, picked from the middle of the store. */
function query(form: string, k: number, n: number, salt: number): string {
  const at = (j: number) => (Math.floor(n / 3) + salt * 97 + j * 131) % n;
  const vals = Array.from({ length: k }, (_, j) => {
    const i = at(j);
    if (form === 'sys|code') return `${UID}|urn:oid:1.2.3.${i}`;
    if (form === 'code') return `urn:oid:1.2.3.${i}`;
    if (form === '|code') return `|A${i}`;
    return `${ACC(i + j)}|`;
  });
  return `identifier=${vals.map(encodeURIComponent).join(',')}&_count=1000`;
}

const FORMS = ['sys|code', 'code', '|code', 'sys|'];
const SIZES = [1, 2, 10, 50];
/** Plan lines, the repeated `INDEX n / SEARCH …` of a MULTI-INDEX OR counted once. */
function compact(lines: string[]): string {
  const out: string[] = [];
  let repeats = 0;
  for (const l of lines) {
    if (/^INDEX \d+$/.test(l)) {
      repeats++;
      continue;
    }
    if (out.includes(l)) continue;
    out.push(l);
  }
  return out.join(' / ') + (repeats > 1 ? ` (x${repeats})` : '');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '20000' },
      backend: { type: 'string', default: 'both' },
      base: { type: 'string' },
      iterations: { type: 'string', default: '100' },
      pairs: { type: 'string', default: '5' },
      plans: { type: 'boolean', default: false },
      'no-analyze': { type: 'boolean', default: false },
    },
  });
  const n = Number(values.resources);
  const trees: Tree[] = [{ name: 'head', root: resolve('.') }];
  if (values.base) trees.unshift({ name: 'base', root: resolve(values.base) });
  const mods = new Map<string, Any>();
  for (const t of trees) mods.set(t.name, await load(t.root));
  const backends = values.backend === 'both' ? ['sqlite', 'postgres'] : [values.backend!];
  for (const backend of backends) {
    const repos = new Map<string, Any>();
    let cleanup = async () => {};
    let serverCpu = () => 0;
    if (backend === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'ib-tokenlist-'));
      const path = join(dir, 'fhir.sqlite');
      for (const t of trees)
        repos.set(
          t.name,
          new (mods.get(t.name).sqlite)(path, { registry: mods.get(t.name).registry, baseUrl: BASE_URL }),
        );
      cleanup = async () => {
        for (const r of repos.values()) r.close();
        rmSync(dir, { recursive: true, force: true });
      };
    } else {
      const scratch = await scratchDatabase(`ib_tokenlist_${process.pid}`);
      for (const t of trees)
        repos.set(
          t.name,
          await mods.get(t.name).pg.open(scratch.url, { registry: mods.get(t.name).registry, baseUrl: BASE_URL }),
        );
      serverCpu = postgresCpuS;
      cleanup = async () => {
        for (const r of repos.values()) await r.close();
        await scratch.close();
      };
    }
    try {
      const filler = repos.get('head');
      const all = studies(n);
      for (let i = 0; i < all.length; i += 1000) await filler.createMany(all.slice(i, i + 1000));
      if (values['no-analyze']) {
      } else if (backend === 'postgres') await filler.pool.query('ANALYZE');
      else filler.db.exec('ANALYZE');
      console.log(
        `\n== ${backend}: ${n} ImagingStudies (2 identifiers each)${values['no-analyze'] ? '' : ", ANALYZE'd"}`,
      );
      const search = async (tree: string, q: string) => {
        const m = mods.get(tree);
        const { request } = m.parseSearch(m.registry, 'ImagingStudy', new URLSearchParams(q), {
          defaultCount: 100,
          maxCount: 1000,
          baseUrl: BASE_URL,
        });
        return (await repos.get(tree).search(request)).resources as Any[];
      };
      for (const form of FORMS)
        for (const k of SIZES) {
          // Same results from every tree, and equal to the union of one search per value.
          const q = query(form, k, n, 0);
          const got = new Map<string, string[]>();
          for (const t of trees) got.set(t.name, (await search(t.name, q)).map((r: Any) => r.id).sort());
          const singles = new Set<string>();
          for (const v of new URLSearchParams(q).get('identifier')!.split(','))
            for (const r of await search('head', `identifier=${encodeURIComponent(v)}&_count=1000`)) singles.add(r.id);
          const union = [...singles].sort();
          // (a union past the page size of 1000: the trees must agree with each other, 1000 rows each)
          const expected = union.length > 1000 ? [...got.values()][0] : union;
          const same = [...got.values()].every((ids) => JSON.stringify(ids) === JSON.stringify(expected));
          if (values.plans && backend === 'sqlite') {
            for (const t of trees) {
              const db = repos.get(t.name).db;
              const recorded: { sql: string; args: unknown[] }[] = [];
              const orig = db.prepare;
              db.prepare = (sql: string) => {
                const st = orig.call(db, sql);
                if (!/sp_token/.test(sql)) return st;
                for (const m of ['all', 'get', 'iterate']) {
                  const f = st[m].bind(st);
                  st[m] = (...a: unknown[]) => {
                    recorded.push({ sql, args: a });
                    return f(...a);
                  };
                }
                return st;
              };
              await search(t.name, q.replace('_count=1000', '_count=997'));
              db.prepare = orig;
              for (const r of recorded) {
                const plan = orig
                  .call(db, `EXPLAIN QUERY PLAN ${r.sql}`)
                  .all(...r.args)
                  .map((x: Any) => x.detail as string);
                console.log(`  plan ${t.name} ${form} k=${k}: ${compact(plan)}`);
              }
            }
          }
          if (values.plans && backend === 'postgres') {
            for (const t of trees) {
              const repo = repos.get(t.name);
              const pool = repo.pool;
              const recorded: { text: string; values: unknown[] }[] = [];
              const orig = pool.query.bind(pool);
              pool.query = (text: Any, args?: Any) => {
                if (typeof text === 'string' && /sp_token/.test(text)) recorded.push({ text, values: args ?? [] });
                return orig(text, args);
              };
              await search(t.name, q);
              pool.query = orig;
              for (const s of recorded.slice(0, 1)) {
                const plan = await orig(`EXPLAIN ${s.text}`, s.values);
                const lines = plan.rows
                  .map((r: Any) => r['QUERY PLAN'])
                  .filter((l: string) => /Scan|Cond|Filter/.test(l));
                console.log(
                  `  plan ${t.name} ${form} k=${k}: ${lines
                    .map((l: string) => l.trim())
                    .join(' / ')
                    .slice(0, 400)}`,
                );
              }
            }
          }
          // CPU per search: alternating pairs, each tree `iterations` searches per pair.
          const per = new Map<string, number[]>(trees.map((t) => [t.name, []]));
          const iterations = Math.max(5, Math.floor(Number(values.iterations) / Math.max(1, k / 10)));
          for (let p = 0; p < Number(values.pairs); p++)
            for (const t of p % 2 === 0 ? trees : [...trees].reverse()) {
              const c0 = process.cpuUsage();
              const s0 = serverCpu();
              for (let i = 0; i < iterations; i++) await search(t.name, query(form, k, n, i + 1));
              const c = process.cpuUsage(c0);
              const s = serverCpu() - s0;
              per.get(t.name)!.push(((c.user + c.system) / 1000 + s * 1000) / iterations);
            }
          const cells = trees.map((t) => `${t.name} ${median(per.get(t.name)!).toFixed(3)} ms`).join('  ');
          console.log(
            `${backend} ${form.padEnd(8)} k=${String(k).padEnd(3)} hits=${String(union.length).padEnd(3)} ${same ? 'same' : 'DIFFERENT'}  CPU/search ${cells}`,
          );
        }
    } finally {
      await cleanup();
    }
  }
}

await main();
