/**
 * `serve` child processes on one PostgreSQL database (testDatabase: a throwaway cluster of the
 * suite's own, or PG_TEST_URL) and one bucket (s3rver), each with a data dir of its own (its blob
 * journal and identity). Registers the suite's beforeAll/afterAll: database and bucket up before,
 * servers stopped and everything removed after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startTestS3, type TestS3 } from '../../src/archive/blob/test-support.js';
import { type TestDatabase, testDatabase } from '../../src/core/postgres/test-database.js';
import { bridgeBuilt, type SpawnedServer, startTestServer } from './server.js';

export interface SharedArchiveServers {
  db: TestDatabase;
  /** Why the suite is skipped (no PostgreSQL, dist/ not built), or undefined. */
  skip: string | undefined;
  /** One more `serve` on the shared database and bucket. */
  start(): Promise<SpawnedServer>;
  /** A temporary folder, removed after the suite. */
  tempDir(what: string): string;
}

/**
 * `name` (e.g. 'serve-fault') names the database (ib_serve_fault_<random>), the bucket
 * (ib-e2e-serve-fault) and the temporary folders; `configFile` goes to every server's --config.
 */
export function sharedArchiveServers(
  name: string,
  opts: { configFile?: Record<string, unknown> } = {},
): SharedArchiveServers {
  const db = testDatabase(`ib_${name.replaceAll('-', '_')}`);
  const skip = db.skip ?? (bridgeBuilt() ? undefined : 'dist/cli/main.js not built (npm run build)');
  let s3: TestS3 | undefined;
  const servers: SpawnedServer[] = [];
  const dirs: string[] = [];
  const tempDir = (what: string): string => {
    const dir = mkdtempSync(join(tmpdir(), `ib-${name}-${what}`));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    if (skip) return;
    await db.setup();
    s3 = await startTestS3(`ib-e2e-${name}`);
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    await s3?.stop();
    await db.teardown();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const start = async (): Promise<SpawnedServer> => {
    if (!s3) throw new Error('sharedArchiveServers: start() before beforeAll or in a skipped suite');
    const s = await startTestServer(
      {
        'data-dir': tempDir(''),
        database: db.url(),
        'audit-key-file': db.auditKeyFile,
        'blob-store': `s3://${s3.bucket}/shared`,
        'log-level': 'warn',
      },
      {
        spawn: { startTimeoutMs: 120_000, env: s3.env },
        ...(opts.configFile ? { configFile: opts.configFile } : {}),
      },
    );
    servers.push(s);
    return s;
  };

  return { db, skip, start, tempDir };
}
