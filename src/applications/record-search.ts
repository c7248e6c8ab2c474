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

/**
 * One timer for a batch of searches started together: each search races the same rejection, so a
 * batch of ten costs one timer (not ten), and an answer served from the read cache starts none.
 */
export interface Deadline {
  readonly timeoutMs: number;
  /** Rejects with QueryTimeout once timeoutMs have passed since the first search awaited it. */
  readonly promise: () => Promise<never>;
  /** Cancels the timer (once the batch is answered). */
  clear(): void;
}

export function startDeadline(timeoutMs: number): Deadline {
  let timer: NodeJS.Timeout | undefined;
  let promise: Promise<never> | undefined;
  return {
    timeoutMs,
    promise: () => {
      promise ??= new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QueryTimeout(timeoutMs)), timeoutMs);
      });
      // Rejected only while some search still races against it.
      promise.catch(() => undefined);
      return promise;
    },
    clear: () => clearTimeout(timer),
  };
}

/** `timeout`: a shared Deadline, or a number of ms for a search with a timer of its own. */
export async function runSearch(
  q: Query,
  policy: AccessPolicy,
  timeout: number | Deadline,
  now: () => number,
): Promise<{ bundle?: Bundle; record: ApplicationSource }> {
  const request = `${q.type}?${new URLSearchParams(q.params).toString()}`;
  const base = { section: q.section, server: q.server.name, request };
  if (!policy.canSearch(q.type))
    return {
      record: { ...base, status: 'denied', durationMs: 0, error: `${policy.description}: may not search ${q.type}` },
    };
  const started = now();
  const deadline = typeof timeout === 'number' ? startDeadline(timeout) : timeout;
  try {
    const bundle = await settledFirst(q.server.client.search(q.type, q.params), deadline);
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
    if (deadline !== timeout) deadline.clear();
  }
}

/**
 * The answer, or the deadline's rejection if it comes first. An answer already settled (a cached
 * read) is taken without arming the timer: one microtask turn tells.
 */
async function settledFirst<T>(search: Promise<T>, deadline: Deadline): Promise<T> {
  let done = false;
  const tracked = search.then(
    (v) => {
      done = true;
      return v;
    },
    (e) => {
      done = true;
      throw e;
    },
  );
  await Promise.resolve();
  return done ? tracked : Promise.race([tracked, deadline.promise()]);
}

class QueryTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'QueryTimeout';
  }
}
