import { type FormEvent, useState } from 'react';
import { getJson, postJson } from '../../api/http';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { show, when } from '../../components/Values';

interface Finding {
  rule: string;
  severity: string;
  tag: string;
  original: unknown;
  corrected?: unknown;
  message: string;
  sopInstanceUid?: string;
}
interface Entry {
  studyUid: string;
  state: string;
  reasons: Finding[];
  heldAt: number;
  decidedAt?: number;
  decidedBy?: string;
  comment?: string;
}

/** The quarantine: each held study's failed rules and values; inspect, release or reject with a reason (as `imaging-bridge quarantine`). */
export default function QualityPage() {
  const [state, setState] = useState<'held' | 'released' | 'rejected'>('held');
  const [list, reload] = useAsync(() => getJson<{ studies: Entry[] }>(`/api/quarantine?state=${state}`), [state]);
  const [open, setOpen] = useState<string>();
  return (
    <section>
      <h1>Data quality</h1>
      <label>
        Show{' '}
        <select value={state} onChange={(e) => setState(e.target.value as typeof state)}>
          <option value="held">held in quarantine</option>
          <option value="released">released</option>
          <option value="rejected">rejected</option>
        </select>
      </label>
      <Loaded value={list}>
        {({ studies }) =>
          studies.length === 0 ? (
            <p>No {state} study.</p>
          ) : (
            <ul className="quarantine">
              {studies.map((e) => (
                <li key={e.studyUid} className="card">
                  <h2>
                    Study <code>{e.studyUid}</code>
                  </h2>
                  <p className="muted">
                    {e.state} since {when(e.heldAt)}
                    {e.decidedBy ? ` · decided by ${e.decidedBy} ${when(e.decidedAt)}` : ''}
                    {e.comment ? ` · “${e.comment}”` : ''}
                  </p>
                  <FindingsTable findings={e.reasons} caption="Rules that failed" />
                  <button
                    type="button"
                    onClick={() => setOpen(open === e.studyUid ? undefined : e.studyUid)}
                    aria-expanded={open === e.studyUid}
                  >
                    {open === e.studyUid ? 'Close' : 'Inspect'}
                  </button>
                  {open === e.studyUid && <Inspect study={e.studyUid} />}
                  {e.state === 'held' && <Decide study={e.studyUid} onDone={reload} />}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function FindingsTable({ findings, caption }: { findings: Finding[]; caption: string }) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Rule</th>
          <th scope="col">Severity</th>
          <th scope="col">Tag</th>
          <th scope="col">Value</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {findings.map((f, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a rule may fail twice on one tag; the list never reorders
          <tr key={`${f.rule}-${f.tag}-${i}`}>
            <td>{f.rule}</td>
            <td>{f.severity}</td>
            <td>
              <code>{f.tag}</code>
            </td>
            <td>
              {show(f.original)}
              {f.corrected !== undefined ? ` → ${show(f.corrected)}` : ''}
            </td>
            <td>{f.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Inspect({ study }: { study: string }) {
  const [shown] = useAsync(
    () => getJson<{ findings: Finding[]; lastSync?: unknown }>(`/api/quarantine/${encodeURIComponent(study)}`),
    [study],
  );
  return (
    <Loaded value={shown}>
      {(s) => (
        <div>
          <FindingsTable findings={s.findings} caption="All findings of the study" />
          <p className="muted">Last sync: {show(s.lastSync)}</p>
        </div>
      )}
    </Loaded>
  );
}

function Decide({ study, onDone }: { study: string; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = `reason-${study}`;
  const act = async (e: FormEvent, action: 'release' | 'reject') => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await postJson(`/api/quarantine/${encodeURIComponent(study)}/${action}?comment=${encodeURIComponent(reason)}`);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="decide" onSubmit={(e) => void act(e, 'release')}>
      <label htmlFor={id}>Reason</label>
      <input id={id} value={reason} onChange={(e) => setReason(e.target.value)} required />
      <button type="submit" className="primary" disabled={busy}>
        Release
      </button>
      <button type="button" disabled={busy || !reason.trim()} onClick={(e) => void act(e, 'reject')}>
        Reject
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
