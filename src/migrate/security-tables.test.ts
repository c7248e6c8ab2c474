import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA } from '../archive/sqlite/schema.js';
import { openPool } from '../core/postgres/pool.js';
import { testDatabase } from '../core/postgres/test-database.js';
import { openSecurityStore } from '../security/oauth/open-security-store.js';
import { PgSecurityStore } from '../security/oauth/pg-security-store.js';
import { compareTable, copyTable } from './copy-table.js';
import { tablesOf } from './run.js';
import { prepareTarget } from './target.js';

const db = testDatabase('ib_migrate_security');

/** oidc-provider's records as the embedded store writes them: a session, a grant, a refresh token. */
const STATES = [
  {
    model: 'Session',
    id: 'sess-1',
    payload: JSON.stringify({ uid: 'u-1', accountId: 'ada', exp: 4102444800, authorizations: { app: { sid: 's' } } }),
    grantId: null,
    userCode: null,
    uid: 'u-1',
    expiresAt: 4102444800000,
  },
  {
    model: 'Grant',
    id: 'grant-1',
    payload: JSON.stringify({ kind: 'Grant', clientId: 'app', openid: { scope: 'openid fhirUser' }, accountId: 'ada' }),
    grantId: 'grant-1',
    userCode: null,
    uid: null,
    expiresAt: null,
  },
  {
    model: 'RefreshToken',
    id: 'rt-1',
    payload: JSON.stringify({
      kind: 'RefreshToken',
      grantId: 'grant-1',
      clientId: 'app',
      scope: 'offline_access',
      iat: 1,
    }),
    grantId: 'grant-1',
    userCode: null,
    uid: null,
    expiresAt: 4102444800000,
  },
];

/** The sign-in state (security.sqlite oidc_state) is copied: a user signed in before the migration stays signed in. */
describe.skipIf(db.skip !== undefined)(`migrate: oidc-provider state${db.skip ? ` (skipped: ${db.skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-migrate-security-'));
  let pool: pg.Pool;
  let source: Database.Database;
  const index = new Database(':memory:');
  index.exec(SCHEMA);

  beforeAll(async () => {
    const store = await openSecurityStore(undefined, dir);
    for (const s of STATES) await store.saveState(s);
    await store.close();
    source = new Database(join(dir, 'security.sqlite'), { readonly: true });
    await db.setup();
    pool = openPool(db.url(), { max: 2 });
    await prepareTarget(pool, dir, false);
  }, 60_000);

  afterAll(async () => {
    source?.close();
    await pool?.end();
    await db.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  const spec = () => tablesOf({ index, security: source }, false).find((s) => s.from === 'oidc_state')!;

  it('copies every record, verified by count and a hash of the JSON values', async () => {
    expect(spec().to).toBe('security.oidc_state');
    for (const s of tablesOf({ index, security: source }, false).filter((t) => t.db === source))
      await copyTable(pool, s, 2);
    const c = await compareTable(pool, spec());
    expect(c).toMatchObject({ source: 3, target: 3 });
    expect(c!.targetHash).toBe(c!.sourceHash);
    const pgStore = await PgSecurityStore.open(pool);
    try {
      const session = await pgStore.findState('Session', 'uid', 'u-1');
      expect(JSON.parse(session!.payload)).toEqual(JSON.parse(STATES[0]!.payload));
      expect(session!.expiresAt).toBe(4102444800000);
      expect(JSON.parse((await pgStore.findState('RefreshToken', 'id', 'rt-1'))!.payload).grantId).toBe('grant-1');
    } finally {
      await pgStore.close();
    }
  });

  it('tells a copied payload that differs', async () => {
    await pool.query(
      `UPDATE security.oidc_state SET payload = jsonb_set(payload, '{accountId}', '"eve"') WHERE id = 'sess-1'`,
    );
    const c = await compareTable(pool, spec());
    expect(c!.targetHash).not.toBe(c!.sourceHash);
  });
});
