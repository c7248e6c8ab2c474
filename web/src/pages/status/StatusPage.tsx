import { getJson } from '../../api/http';
import { session } from '../../api/session';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { bytes, Values } from '../../components/Values';

interface Health {
  status: string;
  storage: { index?: string; blobs?: string; instances?: number; freeBytes?: number; checkMs?: number; error?: string };
}
interface SyncStatus {
  enabled: boolean;
  target?: string;
  outbox: { pending: number; retrying: number; dead: number };
  quarantined: number;
  synced: number;
  inFlight: number;
}

/** Health and storage (GET /health), the FHIR sync target and queue (GET /api/sync/status, stewards). */
export default function StatusPage() {
  const [health] = useAsync(() => getJson<Health>('/health'), []);
  const steward = session().roles.some((r) => r === 'data-steward' || r === 'administrator');
  const [sync] = useAsync(
    () => (steward ? getJson<SyncStatus>('/api/sync/status') : Promise.resolve(undefined)),
    [steward],
  );
  return (
    <section>
      <h1>System status</h1>
      <div className="cards">
        <section className="card" aria-labelledby="health-title">
          <h2 id="health-title">Health and storage</h2>
          <Loaded value={health}>
            {(h) => (
              <>
                <p className={h.status === 'ok' ? 'ok' : 'error'}>
                  <strong>{h.status === 'ok' ? 'Running' : `Unavailable: ${h.storage.error ?? ''}`}</strong>
                </p>
                <Values
                  value={{
                    'index database': h.storage.index,
                    'object store': h.storage.blobs,
                    instances: h.storage.instances,
                    'free space': bytes(h.storage.freeBytes),
                    'storage check': `${h.storage.checkMs ?? '?'} ms`,
                  }}
                />
              </>
            )}
          </Loaded>
        </section>
        <section className="card" aria-labelledby="sync-title">
          <h2 id="sync-title">FHIR sync</h2>
          {!steward ? (
            <p className="muted">The sync status needs the data-steward or administrator role.</p>
          ) : (
            <Loaded value={sync}>
              {(s) =>
                s && (
                  <Values
                    value={{
                      enabled: s.enabled ? 'yes' : 'no',
                      target: s.target ?? 'embedded FHIR server',
                      synced: s.synced,
                      pending: s.outbox.pending,
                      retrying: s.outbox.retrying,
                      'dead letters': s.outbox.dead,
                      quarantined: s.quarantined,
                      'in flight': s.inFlight,
                    }}
                  />
                )
              }
            </Loaded>
          )}
        </section>
        <section className="card" aria-labelledby="listeners-title">
          <h2 id="listeners-title">Listeners</h2>
          <Values
            value={{
              HTTP: location.origin,
              DICOMweb: `${location.origin}/dicomweb`,
              FHIR: `${location.origin}/fhir`,
              authentication: session().config.auth,
            }}
          />
          <p className="muted">The DIMSE listener (port, AE title) is not reported by an HTTP API yet.</p>
        </section>
      </div>
    </section>
  );
}
