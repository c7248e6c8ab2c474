import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_BASE } from '../fhir/repository/test-support.js';
import { openTestRouter } from '../fhir/rest/test-support.js';
import { ChainStore } from './chain-store.js';
import { openAuditLog, recordAccess, type AccessRecord, type OpenedAuditLog } from './index.js';
import { auditEventDefinitions, AUDIT_DB_FILE } from './open.js';
import { ProjectionThread } from './projection-thread.js';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };
const fast = { intervalMs: 5, maxBatch: 50, retryMs: 50 };

/** A worklist read showing these patients: one query AuditEvent naming each of them. */
const worklistRead = (requestId: string, patientIds: string[]): AccessRecord => ({
  requestId,
  sourceIp: '10.0.0.8',
  outcome: { httpStatus: 200 },
  recorded: new Date(Date.UTC(2024, 4, 1, 9)),
  server: { publicUrl: 'https://ib.example.org' },
  access: { kind: 'dicom', event: 'query', transport: 'dicomweb', studyUids: [], patientIds, query: 'limit=100' },
});

/** How many of this process's threads run at this nice value (Linux: field 19 of /proc/self/task/N/stat). */
function threadsAtNice(nice: number): number {
  let n = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 on
      if (Number(fields[16]) === nice) n++;
    } catch {
      // the thread ended while listing
    }
  }
  return n;
}

describe('audit log: FHIR copies written from the projection thread', () => {
  let root: string;
  let t: ReturnType<typeof openTestRouter>;
  let log: OpenedAuditLog | undefined;
  const open = () =>
    (log = openAuditLog({
      dataDir: join(root, 'data'),
      logger: silent,
      projection: fast,
      projectionThread: { fhirFile: t.repo.db.name, baseUrl: TEST_BASE },
    }));
  const total = async (query: string) => ((await t.call('GET', `AuditEvent?${query}`)).body as { total: number }).total;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ib-audit-thread-'));
    // The server's own connection, opened before the thread creates the AuditEvent parameters.
    t = openTestRouter();
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it.runIf(process.platform === 'linux')('runs the copy at a lower priority than the request threads', async () => {
    expect(threadsAtNice(10)).toBe(0);
    open();
    await recordAccess(log!.sink, worklistRead('req-1', ['p-1']));
    await expect.poll(() => total('_summary=count'), { timeout: 20_000 }).toBe(1);
    expect(threadsAtNice(10)).toBe(1);
    expect(threadsAtNice(0)).toBeGreaterThan(1); // the main thread and the rest are unchanged
  });

  it('copies one AuditEvent per list read, found by each patient it names through the server connection', async () => {
    open();
    const patients = Array.from({ length: 30 }, (_, i) => `p-${i}`);
    await recordAccess(log!.sink, worklistRead('req-1', patients));
    await recordAccess(log!.sink, worklistRead('req-2', patients.slice(0, 3)));
    await expect.poll(() => total('_summary=count'), { timeout: 20_000 }).toBe(2);
    expect(await total('patient=Patient/p-0')).toBe(2);
    expect(await total('patient=Patient/p-29')).toBe(1);
    expect(await total('patient=Patient/p-30')).toBe(0);
    expect(await total('entity=Patient/p-2&_summary=count')).toBe(2);
  });

  it('copies at start what the chain holds and FHIR lacks (catch-up from the watermark)', async () => {
    log = openAuditLog({ dataDir: join(root, 'data'), logger: silent }); // no copies made
    await recordAccess(log.sink, worklistRead('req-1', ['p-1', 'p-2']));
    await log.close();
    expect(await total('_summary=count')).toBe(0);
    open();
    expect(await log!.caughtUp).toBe(1);
    expect(await total('patient=Patient/p-1')).toBe(1);
    expect(await total('patient=Patient/p-2')).toBe(1);
  });

  it('runs the thread only while there is copying to do: from the first record until idle, then anew', async () => {
    const dataDir = join(root, 'data');
    /** Records written by a log that makes no copies; returns the chain's records after `after`. */
    const written = async (requestId: string, patientIds: string[], after = 0) => {
      const plain = openAuditLog({ dataDir, logger: silent });
      await recordAccess(plain.sink, worklistRead(requestId, patientIds));
      await plain.close();
      const reader = new ChainStore(join(dataDir, AUDIT_DB_FILE), { readonly: true });
      try {
        return [...reader.iterate(after)];
      } finally {
        reader.close();
      }
    };
    const first = await written('req-1', ['p-1']);
    const thread = new ProjectionThread(
      {
        auditFile: join(dataDir, AUDIT_DB_FILE),
        fhirFile: t.repo.db.name,
        baseUrl: TEST_BASE,
        definitions: auditEventDefinitions(),
        options: fast,
      },
      () => undefined,
      silent,
      { behind: false, idleMs: 300 },
    );
    try {
      expect(thread.thread).toBeUndefined();
      expect(await thread.caughtUp).toBe(0);
      thread.add(first);
      expect(thread.thread).toBeDefined();
      await expect.poll(() => total('patient=Patient/p-1'), { timeout: 20_000 }).toBe(1);
      await expect.poll(() => thread.thread, { timeout: 20_000 }).toBeUndefined();
      thread.add(await written('req-2', ['p-2'], first.at(-1)!.seq));
      expect(thread.thread).toBeDefined();
      await expect.poll(() => total('patient=Patient/p-2'), { timeout: 20_000 }).toBe(1);
      expect(await total('_summary=count')).toBe(2);
    } finally {
      await thread.close();
    }
  });
});
