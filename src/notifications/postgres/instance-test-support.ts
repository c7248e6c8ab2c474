/**
 * Tests: one ImagingBridge instance's notifications over a FHIR store file several instances
 * share (real SQLite, WAL) and the shared PostgreSQL delivery (work queue + LISTEN/NOTIFY) — in
 * this process, or in a child process (test/support/notification-instance-child.ts) to be killed.
 */
import { inProcessFhirClient } from '../../fhir/client/index.js';
import { ObservedRepository } from '../../fhir/repository/observed-repository.js';
import { TEST_BASE, testRegistry } from '../../fhir/repository/test-support.js';
import { FhirRouter } from '../../fhir/rest/router.js';
import { SqliteFhirRepository } from '../../fhir/sqlite/sqlite-repository.js';
import type { NotificationsConfig } from '../config.js';
import { NotificationService } from '../service.js';
import { openSharedNotifications } from './shared.js';

export interface InstanceSettings {
  fhirFile: string;
  database: string;
  /** Work-queue schema and NOTIFY channel of this test. */
  schema: string;
  channel: string;
  /** The receiver's base URL (allow-listed). */
  hook: string;
  timeoutMs: number;
}

export const testNotificationsConfig = (s: InstanceSettings): NotificationsConfig => ({
  restHookAllowList: [`${s.hook}/`],
  retries: 3,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 200,
  timeoutMs: s.timeoutMs,
});

export async function openTestInstance(s: InstanceSettings) {
  const store = new SqliteFhirRepository(s.fhirFile, { registry: testRegistry(), baseUrl: TEST_BASE });
  const repo = new ObservedRepository(store);
  const fhir = inProcessFhirClient(new FhirRouter({ repo, registry: testRegistry(), baseUrl: TEST_BASE }), TEST_BASE);
  const config = testNotificationsConfig(s);
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const service = new NotificationService({
    fhir,
    onWrite: (l) => repo.onWrite(l),
    config,
    logger: silent,
    refreshMs: 50,
    shared: await openSharedNotifications(s.database, config, silent, {
      schema: s.schema,
      channel: s.channel,
      pollMs: 50,
    }),
  });
  await service.start();
  return {
    fhir,
    service,
    close: async () => {
      await service.close();
      store.close();
    },
  };
}
