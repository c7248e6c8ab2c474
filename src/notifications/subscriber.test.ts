import { afterAll, describe, expect, it } from 'vitest';
import { openTestRouter } from '../fhir/rest/test-support.js';
import type { FhirResource } from '../fhir/types.js';
import type { Principal } from '../auth/principal.js';

/** Stamps without the ownership check (nothing stored yet: a first write). */
const stampSubscriptions = subscriptionStamper(() => undefined);
import { SUBSCRIBER_EXTENSION, maskChannelHeaders, subscriberOf, subscriptionStamper } from './subscriber.js';

const reader: Principal = {
  kind: 'client',
  clientId: 'viewer',
  subject: 'viewer',
  scope: 'system/Subscription.cruds system/ImagingStudy.rs',
  roles: [],
};
const forged = { url: SUBSCRIBER_EXTENSION, extension: [{ url: 'scope', valueString: 'system/*.cruds' }] };
const subscription = (extra: Partial<FhirResource> = {}): FhirResource => ({
  resourceType: 'Subscription',
  status: 'requested',
  reason: 'new CT studies',
  criteria: 'ImagingStudy?modality=CT',
  channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/hook', payload: 'application/fhir+json' },
  ...extra,
});

describe('the subscriber stamped on Subscriptions', () => {
  it('replaces whatever the body says with the caller, and leaves other writes alone', () => {
    const stamped = stampSubscriptions(
      subscription({ extension: [forged, { url: 'urn:other', valueString: 'kept' }] }),
      { principal: reader },
    );
    expect(subscriberOf(stamped)).toEqual({
      clientId: 'viewer',
      scope: reader.scope,
      patient: undefined,
      issuer: undefined,
      subject: 'viewer',
    });
    expect(stamped.extension).toContainEqual({ url: 'urn:other', valueString: 'kept' });
    expect((stamped.extension as { url: string }[]).filter((e) => e.url === SUBSCRIBER_EXTENSION)).toHaveLength(1);
    const patient = { resourceType: 'Patient', extension: [forged] };
    expect(stampSubscriptions(patient, { principal: reader })).toBe(patient);
    const own = subscription({ extension: [forged] });
    expect(stampSubscriptions(own, {})).toBe(own); // the service's own write
    expect(stampSubscriptions(own, { principal: { kind: 'anonymous', scope: 'system/*.cruds', roles: [] } })).toBe(own);
  });

  describe('through the FHIR router', () => {
    const t = openTestRouter({ beforeWrite: stampSubscriptions });
    afterAll(() => t.close());
    const as = t.as(reader);
    const stored = async (id: string) => subscriberOf((await t.call('GET', `Subscription/${id}`)).body as FhirResource);

    it('stamps a Subscription created inside a transaction or a batch', async () => {
      for (const type of ['transaction', 'batch']) {
        const res = await as('POST', '', {
          resourceType: 'Bundle',
          type,
          entry: [
            {
              fullUrl: 'urn:uuid:0b0c0d0e-0000-4000-8000-000000000001',
              resource: subscription({ extension: [forged] }),
              request: { method: 'POST', url: 'Subscription' },
            },
          ],
        });
        expect(res.status).toBe(200);
        const location = (res.body as { entry: { response: { location: string } }[] }).entry[0]!.response.location;
        const id = /Subscription\/([^/]+)/.exec(location)![1]!;
        expect(await stored(id)).toMatchObject({ clientId: 'viewer', scope: reader.scope });
      }
    });

    it('keeps the stamp when a PATCH tries to change it', async () => {
      const created = (await as('POST', 'Subscription', subscription())).body as FhirResource;
      const res = await as(
        'PATCH',
        `Subscription/${created.id}`,
        [{ op: 'replace', path: '/extension', value: [forged] }],
        { 'content-type': 'application/json-patch+json' },
      );
      expect(res.status).toBe(200);
      expect(await stored(created.id!)).toMatchObject({ clientId: 'viewer', scope: reader.scope });
      const whole = await as('PATCH', `Subscription/${created.id}`, [{ op: 'remove', path: '/extension' }], {
        'content-type': 'application/json-patch+json',
      });
      expect(whole.status).toBe(200);
      expect(await stored(created.id!)).toMatchObject({ scope: reader.scope });
    });

    it('stamps a PUT, and leaves writes without a token unstamped', async () => {
      const put = await as('PUT', 'Subscription/s-put', subscription({ id: 's-put', extension: [forged] }));
      expect([200, 201]).toContain(put.status);
      expect(await stored('s-put')).toMatchObject({ scope: reader.scope });
      const own = (await t.call('POST', 'Subscription', subscription())).body as FhirResource;
      expect(await stored(own.id!)).toBeUndefined();
    });
  });

  describe('ownership and header masking through the FHIR router', () => {
    const other: Principal = { ...reader, clientId: 'other', subject: 'other' };
    const withHeader = () =>
      subscription({
        channel: {
          type: 'rest-hook',
          endpoint: 'http://127.0.0.1:9/hook',
          header: ['Authorization: Bearer s3cret', 'no-colon-line'],
        },
      });
    const stored = new Map<string, FhirResource>();
    const t = openTestRouter({
      beforeWrite: subscriptionStamper((id) => stored.get(id)),
      beforeSend: maskChannelHeaders,
    });
    afterAll(() => t.close());

    it("refuses another caller's update or patch, masks its headers in every response, and shows them to the subscriber", async () => {
      const created = (await t.as(reader)('POST', 'Subscription', withHeader())).body as FhirResource;
      stored.set(created.id!, created);
      const put = await t.as(other)('PUT', `Subscription/${created.id}`, { ...created, reason: 'mine' });
      expect(put.status).toBe(403);
      const patch = await t.as(other)(
        'PATCH',
        `Subscription/${created.id}`,
        [{ op: 'copy', from: '/channel/header/0', path: '/reason' }],
        { 'content-type': 'application/json-patch+json' },
      );
      expect(patch.status).toBe(403);
      const masked = ['Authorization: ***', '***'];
      const read = await t.as(other)('GET', `Subscription/${created.id}`);
      expect(read.body.channel.header).toEqual(masked);
      const batch = await t.as(other)('POST', '', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [{ request: { method: 'GET', url: `Subscription?_id=${created.id}` } }],
      });
      expect(batch.body.entry[0].resource.entry[0].resource.channel.header).toEqual(masked);
      expect((await t.as(reader)('GET', `Subscription/${created.id}`)).body.channel.header).toEqual([
        'Authorization: Bearer s3cret',
        'no-colon-line',
      ]);
      expect((await t.call('GET', `Subscription/${created.id}`)).body.channel.header).toEqual([
        'Authorization: Bearer s3cret',
        'no-colon-line',
      ]);
      const patched = await t.as(reader)(
        'PATCH',
        `Subscription/${created.id}`,
        [{ op: 'replace', path: '/reason', value: 'renewed' }],
        { 'content-type': 'application/json-patch+json' },
      );
      expect(patched.status).toBe(200);
    });
  });
});
