/** After a fault: the bridge's FHIR side caught up with the archive, once, and its outbox drained. */
import { expect } from 'vitest';
import { openPool } from '../../src/core/postgres/pool.js';
import { imagingStudies, type Json } from './http.js';
import type { SpawnedServer } from './server.js';
import { waitFor } from './wait.js';

/**
 * Every study in FHIR exactly once with the stored count, and written no more often than it
 * changed: each version in its history holds more instances than the one before (a sync repeated
 * by a second instance would leave two versions with the same count). `dbUrl` is read for the
 * failure message only.
 */
export async function checkFhirOncePerStudy(
  server: SpawnedServer,
  dbUrl: string,
  counts: Map<string, number>,
): Promise<void> {
  const fhir = `${server.url}/fhir`;
  for (const [study, count] of counts) {
    if (count === 0) continue;
    let seen = '';
    await waitFor(
      async () => {
        const found = await imagingStudies(fhir, study);
        seen = JSON.stringify(found.map((r) => [r.id, r.meta?.versionId, r.numberOfInstances]));
        return found.length === 1 && found[0].numberOfInstances === count ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: `one ImagingStudy of ${study} with ${count} instances` },
    ).catch(async (e) => {
      const pool = openPool(dbUrl, { max: 1 });
      const row = await pool.query('SELECT * FROM archive.sync_outbox WHERE study_uid = $1', [study]);
      const state = await pool.query('SELECT * FROM archive.sync_state WHERE study_uid = $1', [study]);
      const held = await pool
        .query('SELECT state, reasons FROM archive.quarantine WHERE study_uid = $1', [study])
        .finally(() => pool.end());
      seen += ` sync_state ${JSON.stringify(state.rows)} quarantine ${JSON.stringify(held.rows)}`;
      throw new Error(
        `${(e as Error).message}; found ${seen}; outbox ${JSON.stringify(row.rows)} (now ${Date.now()}); log ${server.output().slice(-3000)}`,
      );
    });
    const [imagingStudy] = await imagingStudies(fhir, study);
    const history = (await (await fetch(`${fhir}/ImagingStudy/${imagingStudy.id}/_history?_count=500`)).json()) as Json;
    const versions = ((history.entry ?? []) as Json[])
      .map((e) => e.resource as Json | undefined)
      .filter((r): r is Json => r !== undefined)
      .map((r) => ({ version: Number(r.meta.versionId), instances: Number(r.numberOfInstances) }))
      .sort((x, y) => x.version - y.version);
    expect(versions.length, `history of ${study}`).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < versions.length; i++)
      expect(versions[i]!.instances, `ImagingStudy ${study} written twice with the same content`).toBeGreaterThan(
        versions[i - 1]!.instances,
      );
  }
}

/** The outbox drains: every change synced, nothing parked. */
export async function checkOutboxDrained(dbUrl: string): Promise<void> {
  const pool = openPool(dbUrl, { max: 1 });
  try {
    await waitFor(
      async () =>
        Number((await pool.query('SELECT count(*) AS n FROM archive.sync_outbox')).rows[0].n) === 0 || undefined,
      { timeoutMs: 60_000, intervalMs: 250, what: 'an empty sync_outbox' },
    );
  } finally {
    await pool.end();
  }
}
