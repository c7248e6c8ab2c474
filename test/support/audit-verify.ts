/** `imaging-bridge audit verify --database …` (from the sources) over a shared database's audit chain. */
import { expect } from 'vitest';
import type { TestDatabase } from '../../src/core/postgres/test-database.js';
import { runCli } from './assess-cli.js';

/** The chain in `db` verifies with its audit key: exit 0 and "audit chain OK". */
export async function expectAuditVerifies(db: Pick<TestDatabase, 'url' | 'auditKeyFile'>): Promise<void> {
  const r = await runCli(['audit', 'verify', '--database', db.url(), '--audit-key-file', db.auditKeyFile]);
  expect(r.stdout, r.stderr).toMatch(/^audit chain OK: \d+ records checked/);
  expect(r.code, r.stderr).toBe(0);
}
