import { describe, expect, it } from 'vitest';
import { standingOf, withinRegistration, type Authorities } from './subscriber-standing.js';

const OWN = 'https://ib.example.org/oauth';
const IDP = 'https://idp.example.org';
const now = Date.parse('2026-01-01T00:00:00Z');
const authorities = (registered: Record<string, string>, users: string[] = []): Authorities => ({
  ownIssuer: OWN,
  registeredScope: (id) => (Object.hasOwn(registered, id) ? registered[id] : undefined),
  userExists: (u) => users.includes(u),
  trustedIssuers: new Set([IDP]),
  now: () => now,
});
const FULL = 'system/Subscription.cruds system/Patient.rs';

describe("a subscriber's standing at delivery", () => {
  it('keeps the stamped scopes of a registered client only as far as its current registration grants them', () => {
    const who = { issuer: OWN, clientId: 'ai', subject: 'ai', scope: FULL };
    expect(standingOf(who, authorities({ ai: FULL }))).toMatchObject({
      principal: { kind: 'client', clientId: 'ai', scope: FULL },
    });
    expect(standingOf(who, authorities({ ai: 'system/Subscription.rs system/Observation.rs' }))).toMatchObject({
      principal: { scope: 'system/Subscription.rs' },
    });
    expect(standingOf(who, authorities({ ai: 'system/*.rs' }))).toMatchObject({
      principal: { scope: 'system/Subscription.rs system/Patient.rs' },
    });
    expect(standingOf(who, authorities({ ai: 'system/Subscription.c system/Patient.rs' }))).toEqual({
      refused: 'the subscriber may no longer read Subscriptions (Subscription.r)',
    });
    expect(standingOf(who, authorities({ ai: 'user/*.cruds' }))).toEqual({
      refused: 'the subscriber may no longer read Subscriptions (Subscription.r)',
    });
    expect(standingOf(who, authorities({}))).toEqual({ refused: 'the subscribing client ai is no longer registered' });
  });

  it('needs the user behind an own token to still exist, and treats an issuer-less stamp as one of our clients', () => {
    const user = { issuer: OWN, clientId: 'web', subject: 'dr-house', scope: FULL };
    expect(standingOf(user, authorities({ web: FULL }, ['dr-house']))).toMatchObject({
      principal: { kind: 'user', subject: 'dr-house' },
    });
    expect(standingOf(user, authorities({ web: FULL }))).toEqual({ refused: 'the subscribing user no longer exists' });
    expect(standingOf({ clientId: 'ext-app', scope: FULL }, authorities({}))).toEqual({
      refused: 'the subscribing client ext-app is no longer registered',
    });
  });

  it('cuts stamped scopes to the registration: narrower type, common permissions, compatible query', () => {
    expect(
      withinRegistration(
        ['system/*.cruds', 'openid', 'fhirUser'],
        ['system/Patient.rs', 'system/Observation.r?category=laboratory', 'openid'],
      ),
    ).toEqual(['system/Patient.rs', 'system/Observation.r?category=laboratory', 'openid']);
    expect(
      withinRegistration(['system/Observation.rs?category=vital-signs'], ['system/Observation.rs?category=laboratory']),
    ).toEqual([]);
    expect(withinRegistration(['patient/Observation.rs'], ['system/*.cruds'])).toEqual([]);
  });

  it('lets an external token act until its exp, and only while its issuer is trusted', () => {
    const who = { issuer: IDP, clientId: 'viewer', subject: 'u1', scope: FULL, expiresAt: now / 1000 + 60 };
    expect(standingOf(who, authorities({}))).toMatchObject({ principal: { issuer: IDP, scope: FULL } });
    expect(standingOf({ ...who, expiresAt: now / 1000 }, authorities({}))).toEqual({
      refused: expect.stringMatching(/expired at 2026-01-01T00:00:00.000Z/),
    });
    expect(standingOf({ ...who, expiresAt: undefined }, authorities({}))).toEqual({
      refused: expect.stringMatching(/expired/),
    });
    expect(standingOf({ ...who, issuer: 'https://gone.example.org' }, authorities({}))).toEqual({
      refused: "the issuer of the subscriber's token is no longer trusted",
    });
    expect(standingOf(undefined, authorities({}))).toEqual({ refused: expect.stringMatching(/no subscriber/) });
  });
});
