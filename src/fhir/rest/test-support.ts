import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal } from '../../auth/principal.js';
import { TEST_BASE, testRegistry } from '../repository/test-support.js';
import { SqliteFhirRepository } from '../sqlite/sqlite-repository.js';
import type { AccessRecord } from './context.js';
import { queryOf } from '../../core/query-string.js';
import { FhirRouter, type FhirRouterOptions } from './router.js';

export interface Call {
  status: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  access?: AccessRecord;
}

/** A router over a fresh SQLite repository in a temporary folder, called without a socket. */
export function openTestRouter(options: Pick<FhirRouterOptions, 'beforeWrite' | 'beforeSend'> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ib-fhir-router-'));
  const repo = new SqliteFhirRepository(join(dir, 'fhir.sqlite'), { registry: testRegistry(), baseUrl: TEST_BASE });
  const router = new FhirRouter({
    repo,
    registry: testRegistry(),
    baseUrl: TEST_BASE,
    onError: (e) => console.error(e),
    ...options,
  });
  const send = async (
    principal: Principal | undefined,
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Call> => {
    const q = url.indexOf('?');
    const res = await router.handle({
      method,
      path: q >= 0 ? url.slice(0, q) : url,
      query: q >= 0 ? queryOf(url.slice(q)) : new URLSearchParams(),
      headers: { 'content-type': 'application/fhir+json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      principal,
    });
    return { status: res.status, headers: res.headers, body: res.body, access: res.access };
  };
  /** A call by the service itself (no principal: unrestricted). */
  const call = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    send(undefined, method, url, body, headers);
  /** Calls by a verified caller, limited by its scopes and roles. */
  const as =
    (principal: Principal) =>
    (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
      send(principal, method, url, body, headers);
  return {
    router,
    repo,
    call,
    as,
    close: () => {
      repo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
