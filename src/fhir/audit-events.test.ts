import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAuditEvent } from './audit-events.js';
import { openTestRouter } from './rest/test-support.js';

const event = {
  resourceType: 'AuditEvent',
  type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
  action: 'R',
  recorded: '2024-05-01T10:00:00Z',
  agent: [{ requestor: true, who: { display: 'test' } }],
  source: { observer: { display: 'ImagingBridge' } },
};

describe('AuditEvent: written internally, read and searched through the API', () => {
  let t: ReturnType<typeof openTestRouter>;
  beforeEach(() => {
    t = openTestRouter();
  });
  afterEach(() => t.close());

  it('stores an event written by the service and serves it by read and search', async () => {
    const stored = await recordAuditEvent(t.repo, event);
    expect((await t.call('GET', `AuditEvent/${stored.id}`)).status).toBe(200);
    const found = await t.call('GET', 'AuditEvent?action=R&date=2024-05-01');
    expect(found.body.total).toBe(1);
  });

  it('refuses every write through the API with 405', async () => {
    const stored = await recordAuditEvent(t.repo, event);
    expect((await t.call('POST', 'AuditEvent', event)).status).toBe(405);
    expect((await t.call('PUT', `AuditEvent/${stored.id}`, { ...event, id: stored.id })).status).toBe(405);
    expect((await t.call('DELETE', `AuditEvent/${stored.id}`)).status).toBe(405);
    expect(
      (await t.call('PATCH', `AuditEvent/${stored.id}`, [], { 'content-type': 'application/json-patch+json' })).status,
    ).toBe(405);
  });

  it('validates events written internally', async () => {
    await expect(recordAuditEvent(t.repo, { ...event, action: 'X' })).rejects.toMatchObject({ status: 400 });
  });
});
