/**
 * Issue 21 (P3 peak RSS): each worker isolate costs ≈ 10.8 MB of RSS. In a default `serve` the WAL
 * checkpoints and the AuditEvent copies share one background thread; the audit chain writer keeps
 * its own (requests wait for its commits). Counts the worker threads the server starts while
 * writes and audited reads keep all three services busy (test/support/count-workers.mjs).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer, startTestServer } from './support/server.js';

describe('worker threads of a default serve', () => {
  let server: SpawnedServer;
  const dir = mkdtempSync(join(tmpdir(), 'ib-workers-'));
  const file = join(dir, 'workers.txt');

  beforeAll(async () => {
    server = await startTestServer(
      {},
      {
        spawn: {
          nodeArgs: ['--import', new URL('./support/count-workers.mjs', import.meta.url).href],
          env: { WORKERS_FILE: file },
        },
      },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The names of the threads running now, and the most that ran at once. */
  const threads = () => {
    let lines: string[] = [];
    try {
      lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    } catch {}
    const live = new Map<string, number>();
    let now = 0;
    let most = 0;
    for (const line of lines) {
      const [event, name = ''] = line.split(' ');
      const delta = event === 'start' ? 1 : -1;
      live.set(name, (live.get(name) ?? 0) + delta);
      now += delta;
      most = Math.max(most, now);
    }
    return {
      live: [...live]
        .filter(([, n]) => n > 0)
        .map(([name]) => name)
        .sort(),
      most,
    };
  };

  it('runs the WAL checkpoints and the audit copies in one thread beside the audit writer', async () => {
    const patient = await fetch(`${server.url}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Threads' }] }),
    });
    expect(patient.status).toBe(201);
    const { id } = (await patient.json()) as { id: string };
    // Audited reads: their AuditEvent copies go through the projection.
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/fhir/Patient/${id}`)).status).toBe(200);
    await expect
      .poll(
        async () => {
          const bundle = (await (await fetch(`${server.url}/fhir/AuditEvent?entity=Patient/${id}`)).json()) as {
            entry?: unknown[];
          };
          return bundle.entry?.length ?? 0;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBeGreaterThan(0);
    // The checkpoints run (a WAL was written) and the copies were made: both services are up.
    expect(threads().live).toEqual(['imaging-bridge-audit-writer', 'imaging-bridge-background']);
    expect(threads().most).toBeLessThanOrEqual(2);
    expect(server.output()).not.toContain('thread stopped');
  }, 60_000);
});
