/**
 * Fault tests with real processes: the target FHIR server is a second ImagingBridge process
 * (its embedded FHIR server), reached over HTTP. It is down while studies arrive, then comes
 * up; later a proxy in front of it answers storms of 429 and 500 (some after the server acted).
 * Every study must arrive, once, with the right counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { getJson, imagingStudies, stow } from './support/http.js';
import { waitFor } from './support/wait.js';
import { ctInstance, ROOT } from '../src/dicom/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';
import { freePort } from './support/ports.js';
import { spawnManaged, waitForHttpOk, type ManagedProcess } from './support/process.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
let n = 0;
const uid = (kind: number) => `${ROOT}.78.${process.pid}.${kind}.${++n}`;

async function startPeer(port: number, dataDir: string): Promise<ManagedProcess> {
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--auth',
    'none',
    '--http-port',
    String(port),
    '--dicom-port',
    '0',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
  ];
  const proc = spawnManaged(process.execPath, args, { cwd: REPO, name: 'FHIR peer' });
  await waitForHttpOk(`http://127.0.0.1:${port}/health`, proc, 90_000, 'FHIR peer');
  return proc;
}

/** A deterministic pseudo-random sequence, so a failing storm can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** Forwards to `target`, except that it answers 429 or 500 to a share of requests — sometimes after forwarding (the server acted). */
function stormProxy(
  targetPort: number,
  failShare: number,
): Promise<{ server: Server; port: number; counts: Record<string, number> }> {
  const random = seeded(42);
  const counts: Record<string, number> = { forwarded: 0, '429': 0, '500-before': 0, '500-after': 0 };
  const server = createServer((req, res) => {
    const roll = random();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (roll < failShare / 2) {
        counts['429']!++;
        res.writeHead(429, { 'retry-after': '0', 'content-type': 'text/plain' }).end('slow down');
        return;
      }
      if (roll < (failShare * 3) / 4) {
        counts['500-before']!++;
        res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>proxy error</h1>');
        return;
      }
      const after = roll < failShare;
      const upstream = request(
        { host: '127.0.0.1', port: targetPort, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          const body: Buffer[] = [];
          up.on('data', (c: Buffer) => body.push(c));
          up.on('end', () => {
            if (after) {
              counts['500-after']!++;
              res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway after the fact');
              return;
            }
            counts.forwarded!++;
            res.writeHead(up.statusCode ?? 502, up.headers).end(Buffer.concat(body));
          });
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(Buffer.concat(chunks));
    });
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done({ server, port: (server.address() as { port: number }).port, counts })),
  );
}

function bridgeConfig(baseUrl: string) {
  return {
    fhir: { servers: { ehr: { baseUrl, retries: 1, retryBaseDelayMs: 20, retryMaxDelayMs: 200, timeoutMs: 5000 } } },
    bridge: {
      target: 'ehr',
      debounceMs: 50,
      minIntervalMs: 100,
      maxDelayMs: 500,
      pollMs: 20,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 1000,
    },
  };
}

async function stowStudies(server: TestServer, count: number, perStudy: number): Promise<string[]> {
  const studies: string[] = [];
  for (let s = 0; s < count; s++) {
    const study = uid(1);
    const series = uid(2);
    studies.push(study);
    const files = Array.from({ length: perStudy }, () =>
      ctInstance({ study, series, sop: uid(3), patientId: `EXT-${s % 3}` }),
    );
    expect(await stow(server.url, files)).toBe(200);
  }
  return studies;
}

async function expectAllArrived(fhirBase: string, studies: string[], perStudy: number): Promise<void> {
  for (const study of studies) {
    const found = await waitFor(
      async () => {
        const list = await imagingStudies(fhirBase, study);
        return list.length === 1 && list[0].numberOfInstances === perStudy ? list : undefined;
      },
      { timeoutMs: 60_000, what: `study ${study} in the external FHIR server` },
    );
    expect(found).toHaveLength(1);
  }
  for (let p = 0; p < 3; p++) {
    const patients = (
      await getJson(`${fhirBase}/Patient?identifier=${encodeURIComponent(`urn:imaging-bridge:patient-id|EXT-${p}`)}`)
    ).body;
    expect(patients.entry?.length ?? 0).toBeLessThanOrEqual(1);
  }
}

describe('DICOM → FHIR sync to an external FHIR server (real processes)', () => {
  let peerPort: number;
  let peerDir: string;
  let peer: ManagedProcess | undefined;
  beforeAll(async () => {
    peerPort = await freePort();
    peerDir = mkdtempSync(join(tmpdir(), 'ib-bridge-peer-'));
  });
  afterAll(async () => {
    await peer?.stop();
    rmSync(peerDir, { recursive: true, force: true });
  });

  it('keeps studies that arrive while the FHIR server is down and delivers every one once it is up', async () => {
    const bridge = await startTestServer({}, { configFile: bridgeConfig(`http://127.0.0.1:${peerPort}/fhir`) });
    try {
      const studies = await stowStudies(bridge, 6, 3);
      const waiting = await waitFor(
        async () => {
          const s = (await getJson(`${bridge.url}/api/sync/status`)).body;
          return s.outbox.retrying >= 1 ? s : undefined;
        },
        { timeoutMs: 20_000, what: 'retries to show in the status' },
      );
      expect(waiting.capabilities.reachable).toBe(false);
      expect(waiting.outbox.dead).toBe(0);
      expect(waiting.retrying[0].lastError).toMatch(/connection failed/);

      peer = await startPeer(peerPort, peerDir);
      await expectAllArrived(`http://127.0.0.1:${peerPort}/fhir`, studies, 3);
      const status = (await getJson(`${bridge.url}/api/sync/status`)).body;
      expect(status.outbox).toEqual({ pending: 0, retrying: 0, dead: 0 });
      expect(status.capabilities).toMatchObject({ reachable: true, usable: true, transaction: true });
    } finally {
      await bridge.stop();
    }
  }, 180_000);

  it('retries through storms of 429 and 500 (before and after the server acted) and drops nothing', async () => {
    if (!peer) peer = await startPeer(peerPort, peerDir);
    const proxy = await stormProxy(peerPort, 0.6);
    const bridge = await startTestServer({}, { configFile: bridgeConfig(`http://127.0.0.1:${proxy.port}/fhir`) });
    try {
      const studies = await stowStudies(bridge, 8, 2);
      // A second batch of instances for half the studies: updates go through the storm too.
      for (const [i, study] of studies.slice(0, 4).entries()) {
        expect(
          await stow(bridge.url, [ctInstance({ study, series: uid(2), sop: uid(3), patientId: `EXT-${i % 3}` })]),
        ).toBe(200);
      }
      for (const [i, study] of studies.entries()) {
        const want = i < 4 ? 3 : 2;
        await waitFor(
          async () => {
            const list = await imagingStudies(`http://127.0.0.1:${peerPort}/fhir`, study);
            expect(list.length).toBeLessThanOrEqual(1);
            return list[0]?.numberOfInstances === want ? true : undefined;
          },
          { timeoutMs: 90_000, what: `study ${i} through the storm` },
        ).catch(async (e: Error) => {
          throw new Error(
            `${e.message}: ${JSON.stringify((await getJson(`${bridge.url}/api/sync/status`)).body)} ${JSON.stringify(proxy.counts)} ${JSON.stringify((await getJson(`${bridge.url}/api/quarantine`)).body)}`,
          );
        });
      }
      expect(proxy.counts['429']).toBeGreaterThan(0);
      expect(proxy.counts['500-after']).toBeGreaterThan(0);
      const status = (await getJson(`${bridge.url}/api/sync/status`)).body;
      expect(status.outbox.dead).toBe(0);
    } finally {
      await bridge.stop();
      await new Promise((r) => proxy.server.close(r));
    }
  }, 180_000);
});
