/**
 * The PostgreSQL of one test file (what about 20 suites repeated): testPostgres() — the server at
 * PG_TEST_URL or a throwaway cluster, started on first use — stopped after the file's tests
 * (afterAll), and when there is none, why: the suites are skipped with that reason in their names.
 * Call it at the top of the test file.
 */
import { afterAll } from 'vitest';
import { testPostgres } from './test-cluster.js';

export interface SuitePostgres {
  /** Why the suites cannot run here (no PostgreSQL); undefined when they can. For describe.skipIf and suite options. */
  readonly skip: string | undefined;
  /** The server's URL; throws the skip reason when there is no server. */
  url(): Promise<string>;
  /** `name`, followed by ` (skipped: reason)` when the suite cannot run here. */
  title(name: string): string;
}

/** `env` and `binRoot` as for testPostgres (its defaults: this process's, the Debian binaries). */
export function suitePostgres(...where: Parameters<typeof testPostgres>): SuitePostgres {
  const server = testPostgres(...where);
  const skip = 'reason' in server ? server.reason : undefined;
  afterAll(async () => {
    if (!('reason' in server)) await server.stop();
  });
  return {
    skip,
    url: async () => {
      if ('reason' in server) throw new Error(server.reason);
      return server.url();
    },
    title: (name) => (skip === undefined ? name : `${name} (skipped: ${skip})`),
  };
}
