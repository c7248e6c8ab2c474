import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAuditEvents, openAuditLog, type AccessRecord, type OpenedAuditLog } from '../src/audit/index.js';
import { openTestRouter } from '../src/fhir/rest/test-support.js';
import type { Principal } from '../src/security/principal.js';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };
const fast = { intervalMs: 5, maxBatch: 50, retryMs: 50 };

const radiologist: Principal = { kind: 'user', clientId: 'web-ui', subject: 'u-17', jti: 'jti-7', scope: 'user/*.rs', roles: ['radiologist'], fhirUser: 'Practitioner/pr-3' };
const aiTool: Principal = { kind: 'client', clientId: 'ai-tool', subject: 'ai-tool', jti: 'jti-42', scope: 'system/*.rs', roles: ['ai-service'] };

const access = (patientId: string, day: number, principal: Principal, status = 200): AccessRecord => ({
  principal,
  requestId: `req-${patientId}-${day}`,
  sourceIp: '10.0.0.8',
  outcome: { httpStatus: status },
  recorded: new Date(Date.UTC(2024, 4, day, 9)),
  server: { publicUrl: 'https://ib.example.org' },
  access: { kind: 'fhir', interaction: 'read', resourceType: 'Observation', id: `obs-${day}`, patientIds: [patientId] },
});

describe('audit log: searchable copy at /fhir/AuditEvent', () => {
  let root: string;
  let t: ReturnType<typeof openTestRouter>;
  let log: OpenedAuditLog | undefined;
  const dataDir = () => join(root, 'data');
  const open = (withRepository = true) => (log = openAuditLog({ dataDir: dataDir(), logger: silent, projection: fast, ...(withRepository ? { repository: t.repo } : {}) }));
  const record = async (r: AccessRecord) => {
    for (const e of buildAuditEvents(r)) await log!.sink.record(e);
  };
  const total = async (query: string) => ((await t.call('GET', `AuditEvent?${query}`)).body as { total: number }).total;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ib-audit-proj-'));
    t = openTestRouter();
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('finds the records by patient, date, agent, agent name, user id, outcome, type and subtype', async () => {
    open();
    await record(access('p-1', 1, radiologist));
    await record(access('p-1', 3, aiTool, 403));
    await record(access('p-2', 5, aiTool));
    await log!.close();
    expect(await total('patient=Patient/p-1')).toBe(2);
    expect(await total('patient=p-2')).toBe(1);
    expect(await total('date=ge2024-05-03')).toBe(2);
    expect(await total('date=lt2024-05-03&patient=p-1')).toBe(1);
    expect(await total('agent=Practitioner/pr-3')).toBe(1);
    expect(await total('agent-name=ai-tool')).toBe(2);
    expect(await total('altid=u-17')).toBe(1);
    expect(await total('outcome=4')).toBe(1);
    expect(await total('outcome=0')).toBe(2);
    expect(await total('type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest')).toBe(3);
    expect(await total('subtype=read&action=R')).toBe(3);
    expect(await total('policy=jti-42')).toBe(2);
    expect(await total('entity=Observation/obs-5')).toBe(1);
  });

  it('uses the chain record id as the AuditEvent id', async () => {
    open();
    await record(access('p-1', 1, radiologist));
    await log!.close();
    const db = new Database(join(dataDir(), 'audit.sqlite'), { readonly: true });
    const { id } = db.prepare('SELECT id FROM audit_record').get() as { id: string };
    db.close();
    expect((await t.call('GET', `AuditEvent/${id}`)).status).toBe(200);
  });

  it('copies at start-up the records a crash kept out of the repository, without duplicates', async () => {
    open();
    await record(access('p-1', 1, radiologist));
    await record(access('p-1', 2, radiologist));
    await log!.close();
    // The crash: two more records reached the chain, not the repository; the watermark is behind too.
    open(false);
    await record(access('p-1', 3, radiologist));
    await record(access('p-1', 4, radiologist));
    await log!.close();
    const db = new Database(join(dataDir(), 'audit.sqlite'));
    db.prepare('UPDATE audit_projection SET upto = 0').run();
    db.close();
    expect(await total('patient=p-1')).toBe(2);
    open();
    expect(await log!.caughtUp).toBe(2);
    expect(await total('patient=p-1')).toBe(4);
  });
});
