import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientStore } from './client-store.js';
import { clientMetadata } from './client-metadata.js';
import type { SecurityDb } from './security-store.js';

/**
 * oidc-provider's storage in security.sqlite. `Client` is read from the registered clients on
 * every lookup (so `clients add/remove` take effect without a restart); every other model
 * (sessions, interactions, codes, grants, replay detection of client-assertion jti) is a row of
 * `oidc_state` with its expiry.
 */
export function sqliteAdapterFactory(
  db: SecurityDb,
  clients: ClientStore,
  now: () => number = Date.now,
): (model: string) => Adapter {
  const sweep = db.prepare('DELETE FROM oidc_state WHERE expires_at IS NOT NULL AND expires_at < ?');
  let lastSweep = 0;
  return (model) => {
    if (model === 'Client') return clientAdapter(clients);
    const upsert = db.prepare(
      'INSERT INTO oidc_state (model, id, payload, grant_id, user_code, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at',
    );
    const byId = db.prepare('SELECT payload, expires_at FROM oidc_state WHERE model = ? AND id = ?');
    const byColumn = (column: 'user_code' | 'uid') =>
      db.prepare(`SELECT payload, expires_at FROM oidc_state WHERE model = ? AND ${column} = ?`);
    const byUid = byColumn('uid');
    const byUserCode = byColumn('user_code');
    const live = (row: unknown): AdapterPayload | undefined => {
      const r = row as { payload: string; expires_at: number | null } | undefined;
      if (!r || (r.expires_at !== null && r.expires_at <= now())) return undefined;
      return JSON.parse(r.payload) as AdapterPayload;
    };
    return {
      async upsert(id, payload, expiresIn) {
        const t = now();
        if (t - lastSweep > 60_000) {
          lastSweep = t;
          sweep.run(t);
        }
        upsert.run(
          model,
          id,
          JSON.stringify(payload),
          payload.grantId ?? null,
          payload.userCode ?? null,
          payload.uid ?? null,
          expiresIn ? t + expiresIn * 1000 : null,
        );
      },
      async find(id) {
        return live(byId.get(model, id));
      },
      async findByUid(uid) {
        return live(byUid.get(model, uid));
      },
      async findByUserCode(userCode) {
        return live(byUserCode.get(model, userCode));
      },
      async consume(id) {
        const row = live(byId.get(model, id));
        if (row)
          db.prepare('UPDATE oidc_state SET payload = ? WHERE model = ? AND id = ?').run(
            JSON.stringify({ ...row, consumed: Math.floor(now() / 1000) }),
            model,
            id,
          );
      },
      async destroy(id) {
        db.prepare('DELETE FROM oidc_state WHERE model = ? AND id = ?').run(model, id);
      },
      async revokeByGrantId(grantId) {
        db.prepare('DELETE FROM oidc_state WHERE grant_id = ?').run(grantId);
      },
    };
  };
}

function clientAdapter(clients: ClientStore): Adapter {
  const readOnly = async () => {
    throw new Error('clients are registered with `imaging-bridge clients add`');
  };
  return {
    async find(id) {
      const client = clients.get(id);
      return client && (clientMetadata(client) as AdapterPayload);
    },
    upsert: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: async () => undefined,
  };
}
