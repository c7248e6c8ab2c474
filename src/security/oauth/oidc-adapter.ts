import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientStore } from './client-store.js';
import { clientMetadata } from './client-metadata.js';
import type { SecurityStore, StoredState } from './security-store.js';

/**
 * oidc-provider's storage in the SecurityStore. `Client` is read from the registered clients on
 * every lookup (so `clients add/remove` take effect without a restart); every other model
 * (sessions, interactions, codes, grants, replay detection of client-assertion jti) is an
 * oidc-state record with its expiry, swept at most once a minute.
 */
export function storeAdapterFactory(
  store: SecurityStore,
  clients: ClientStore,
  now: () => number = Date.now,
): (model: string) => Adapter {
  let lastSweep = 0;
  const live = (r: StoredState | undefined): AdapterPayload | undefined => {
    if (!r || (r.expiresAt !== null && r.expiresAt <= now())) return undefined;
    return JSON.parse(r.payload) as AdapterPayload;
  };
  return (model) => {
    if (model === 'Client') return clientAdapter(clients);
    return {
      async upsert(id, payload, expiresIn) {
        const t = now();
        if (t - lastSweep > 60_000) {
          lastSweep = t;
          await store.sweepState(t);
        }
        await store.saveState({
          model,
          id,
          payload: JSON.stringify(payload),
          grantId: payload.grantId ?? null,
          userCode: payload.userCode ?? null,
          uid: payload.uid ?? null,
          expiresAt: expiresIn ? t + expiresIn * 1000 : null,
        });
      },
      async find(id) {
        return live(await store.findState(model, 'id', id));
      },
      async findByUid(uid) {
        return live(await store.findState(model, 'uid', uid));
      },
      async findByUserCode(userCode) {
        return live(await store.findState(model, 'userCode', userCode));
      },
      async consume(id) {
        const row = live(await store.findState(model, 'id', id));
        if (row)
          await store.updateStatePayload(model, id, JSON.stringify({ ...row, consumed: Math.floor(now() / 1000) }));
      },
      async destroy(id) {
        await store.destroyState(model, id);
      },
      async revokeByGrantId(grantId) {
        await store.revokeGrant(grantId);
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
      const client = await clients.get(id);
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
