import { useState } from 'react';
import { getJson, postJson } from '../../api/http';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { when } from '../../components/Values';

interface Row {
  studyUid: string;
  reason: string;
  attempts: number;
  changedAt: number;
  nextAttemptAt: number;
  lastError?: string;
}
interface SyncStatus {
  enabled: boolean;
  target?: string;
  outbox: { pending: number; retrying: number; dead: number };
  deadLetters: Row[];
  retrying: Row[];
  synced: number;
}

/** The DICOM → FHIR sync: queue, retries and dead letters; replay one or all (POST /api/sync/replay). */
export default function SyncPage() {
  const [status, reload] = useAsync(() => getJson<SyncStatus>('/api/sync/status'), []);
  const [message, setMessage] = useState<string>();
  const replay = async (study?: string) => {
    try {
      const r = await postJson<{ replayed: number }>(
        `/api/sync/replay${study ? `?study=${encodeURIComponent(study)}` : ''}`,
      );
      setMessage(`${r.replayed} stud${r.replayed === 1 ? 'y' : 'ies'} queued again.`);
      reload();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  return (
    <section>
      <h1>FHIR sync</h1>
      {message && <p role="status">{message}</p>}
      <Loaded value={status}>
        {(s) => (
          <>
            <p>
              {s.enabled ? 'Enabled' : 'Disabled'} · target {s.target ?? 'embedded FHIR server'} · {s.synced} synced ·{' '}
              {s.outbox.pending} pending · {s.outbox.retrying} retrying · {s.outbox.dead} dead letters
            </p>
            <RowsTable title="Dead letters" rows={s.deadLetters} onReplay={replay} />
            {s.deadLetters.length > 0 && (
              <button type="button" className="primary" onClick={() => void replay()}>
                Replay all dead letters
              </button>
            )}
            <RowsTable title="Retrying" rows={s.retrying} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function RowsTable({ title, rows, onReplay }: { title: string; rows: Row[]; onReplay?: (study: string) => void }) {
  return (
    <section className="card">
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Study</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Changed</th>
              {onReplay && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.studyUid}>
                <td>
                  <code>{r.studyUid}</code>
                </td>
                <td>{r.attempts}</td>
                <td>{r.lastError ?? '—'}</td>
                <td>{when(r.changedAt)}</td>
                {onReplay && (
                  <td>
                    <button type="button" onClick={() => onReplay(r.studyUid)}>
                      Replay
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
