import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../src/core/postgres/test-database.js';
import { bridgeBuilt, type SpawnedServer, startTestServer } from './support/server.js';

/**
 * Two `serve` processes on one PostgreSQL database, both configured to watch the same PACS: the
 * source is polled by one of them only (the holder of its lease), and when that process is
 * SIGKILLed the other polls it within seconds. The PACS is a small DICOMweb server of the test's
 * own that answers every QIDO with no studies and records which instance asked (a header each
 * instance's config adds).
 */
const db = testDatabase();
const built = bridgeBuilt();
const skip = db.skip ?? (built ? undefined : 'dist/cli/main.js not built (npm run build)');
const asked: { who: string; at: number }[] = [];
let pacs: Server | undefined;
const servers: SpawnedServer[] = [];

beforeAll(async () => {
  if (skip) return;
  await db.setup();
  pacs = createServer((req, res) => {
    asked.push({ who: String(req.headers['x-instance']), at: Date.now() });
    res.writeHead(200, { 'content-type': 'application/dicom+json' }).end('[]');
  });
  await new Promise<void>((r) => pacs!.listen(0, '127.0.0.1', r));
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  await new Promise((r) => (pacs ? pacs.close(r) : r(undefined)));
  await db.teardown();
});

const start = (who: string) =>
  startTestServer(
    { database: db.url(), 'audit-key-file': db.auditKeyFile },
    {
      spawn: { startTimeoutMs: 60_000 },
      configFile: {
        database: { lease: { ttlSeconds: 2, renewSeconds: 0.5 } },
        sources: [
          {
            name: 'pacs',
            kind: 'dicomweb',
            mode: 'metadata-only',
            url: `http://127.0.0.1:${(pacs!.address() as AddressInfo).port}/dicomweb`,
            pollSeconds: 0.2,
            headers: { 'x-instance': who },
          },
        ],
      },
    },
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const askedBy = (who: string, since: number) => asked.filter((a) => a.who === who && a.at >= since).length;

describe.skipIf(skip !== undefined)(
  `serve --database: background jobs behind leases${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('polls a source from one instance only, and from the other within seconds of the first being killed', async () => {
      const a = await start('a');
      servers.push(a);
      await expect.poll(() => askedBy('a', 0), { timeout: 15_000 }).toBeGreaterThan(0);
      const b = await start('b');
      servers.push(b);
      const bothUp = Date.now();
      await sleep(3000); // six renewals: b never gets the lease while a renews it
      expect(askedBy('b', 0)).toBe(0);
      expect(askedBy('a', bothUp)).toBeGreaterThan(3);
      const status = async (s: SpawnedServer) =>
        (
          (await (await fetch(`${s.url}/api/sources`)).json()) as { sources: { name: string; running: boolean }[] }
        ).sources.find((v) => v.name === 'pacs')?.running;
      expect([await status(a), await status(b)]).toEqual([true, false]);

      process.kill(a.pid, 'SIGKILL');
      const killed = Date.now();
      await expect.poll(() => askedBy('b', 0), { timeout: 10_000, interval: 50 }).toBeGreaterThan(0);
      const firstB = asked.find((x) => x.who === 'b')!.at;
      // ttl 2 s + one renewal period, and the first poll at once.
      expect(firstB - killed).toBeLessThan(4000);
      expect(await status(b)).toBe(true);
    }, 120_000);
  },
);
