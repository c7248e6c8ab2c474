/**
 * One search of a clinical application (stroke, oncology) with its timeout; never throws: a failure
 * becomes its source record, in the context API's form.
 */
import type { AccessPolicy, SourceRecord } from '../context/index.js';
import { FhirClientError, FhirTimeoutError, type FhirReader } from '../fhir/client/index.js';
import type { Bundle } from '../fhir/types.js';

export interface NamedServer {
  name: string;
  client: FhirReader;
}

/** One query an application made: the context API's form, `section` naming the application's input. */
export type ApplicationSource = Omit<SourceRecord, 'section'> & { section: string };

export interface Query {
  section: string;
  server: NamedServer;
  type: string;
  params: [string, string][];
}

export async function runSearch(
  q: Query,
  policy: AccessPolicy,
  timeoutMs: number,
  now: () => number,
): Promise<{ bundle?: Bundle; record: ApplicationSource }> {
  const request = `${q.type}?${new URLSearchParams(q.params).toString()}`;
  const base = { section: q.section, server: q.server.name, request };
  if (!policy.canSearch(q.type))
    return {
      record: { ...base, status: 'denied', durationMs: 0, error: `${policy.description}: may not search ${q.type}` },
    };
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueryTimeout(timeoutMs)), timeoutMs);
  });
  try {
    const bundle = await Promise.race([q.server.client.search(q.type, q.params), timeout]);
    const count = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').length;
    const more = (bundle.link ?? []).some((l) => l.relation === 'next');
    return { bundle, record: { ...base, status: more ? 'truncated' : 'ok', durationMs: now() - started, count } };
  } catch (e) {
    const timedOut = e instanceof FhirTimeoutError || e instanceof QueryTimeout;
    return {
      record: {
        ...base,
        status: timedOut ? 'timeout' : 'error',
        durationMs: now() - started,
        // Messages of the FHIR client name the interaction, never ids or values (no PHI).
        error: e instanceof FhirClientError || e instanceof QueryTimeout ? e.message : 'internal error',
      },
    };
  } finally {
    clearTimeout(timer);
  }
}

class QueryTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'QueryTimeout';
  }
}
