import { useEffect, useRef, useState } from 'react';
import { formatDate } from '../../api/context';
import { followEvents } from '../../api/event-stream';
import { recentStrokePage, type StrokeRunEvent } from '../../api/stroke';
import { Link } from '../../app/router';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { patientHref, studyHref } from './patient-link';
import './stroke.css';

const LIMIT = 50;

/**
 * Recent head CT/MR studies with their thrombolysis check: present and unknown factors, newest
 * check first, fifty a page; the page follows /api/stroke/events and reloads when a check is written.
 */
export default function StrokePage() {
  const [offset, setOffset] = useState(0);
  const [live, setLive] = useState(false);
  const [updated, setUpdated] = useState<string>();
  const [runs, reload] = useAsync(() => recentStrokePage({ limit: LIMIT, offset }), [offset]);
  // A study's check is written again as its instances and results arrive: one reload per burst.
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(
    () =>
      followEvents<StrokeRunEvent>(
        '/api/stroke/events',
        () => {
          clearTimeout(pending.current);
          pending.current = setTimeout(() => {
            reload();
            setUpdated(new Date().toLocaleTimeString());
          }, 300);
        },
        setLive,
      ),
    [reload],
  );
  return (
    <section className="stroke-runs">
      <h1>Stroke: recent head CT/MR checks</h1>
      <p className="muted">
        The thrombolysis contraindication check of each recent head study, newest check first (it runs when the study
        arrives and again when an AI result or report for it does). Open the patient for every factor and its evidence.{' '}
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </p>
      <p className="muted" role="status">
        {live ? 'Live: new checks appear as they are written' : 'Not connected to live updates'}
        {updated ? ` · last update ${updated}` : ''}
      </p>
      <Loaded value={runs}>
        {({ runs: list, total }) =>
          list.length === 0 && offset === 0 ? (
            <p>No head CT/MR study has been checked yet.</p>
          ) : (
            <>
              <Pager offset={offset} shown={list.length} total={total} onPage={setOffset} />
              <table>
                <caption>
                  Checks {list.length ? offset + 1 : 0}–{offset + list.length} of {total}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Checked</th>
                    <th scope="col">Patient</th>
                    <th scope="col">Study</th>
                    <th scope="col">Present</th>
                    <th scope="col">Unknown</th>
                    <th scope="col">Sources</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((r) => (
                    <tr key={r.studyInstanceUid} data-study={r.studyInstanceUid}>
                      <td>{formatDate(r.assessedAt)}</td>
                      <td>
                        {r.patient ? <Link to={patientHref(r.patient)}>{r.patient.name ?? r.patient.id}</Link> : '—'}
                      </td>
                      <td>
                        <Link to={studyHref(r.studyInstanceUid, r.patient)}>
                          {r.study?.description ?? r.studyInstanceUid}
                        </Link>
                        <span className="muted">
                          {' '}
                          {formatDate(r.study?.started)} {(r.study?.modality ?? []).join('/')}
                        </span>
                      </td>
                      <td className="present">
                        <span className="count">{r.present.length}</span>
                        {r.present.length > 0 && (
                          <>
                            {' '}
                            <span className="status status-present">{r.present.join(', ')}</span>
                          </>
                        )}
                      </td>
                      <td className="unknown">
                        <span className="count">{r.unknown.length}</span>
                        {r.unknown.length > 0 && <span className="muted"> {r.unknown.join(', ')}</span>}
                      </td>
                      <td>{r.complete ? 'all answered' : <span className="error">a source failed</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )
        }
      </Loaded>
    </section>
  );
}

/** Newer / Older: pages of LIMIT checks, newest first. */
function Pager(o: { offset: number; shown: number; total: number; onPage: (offset: number) => void }) {
  return (
    <nav className="stroke-pager" aria-label="Pages of checks">
      <button type="button" disabled={o.offset === 0} onClick={() => o.onPage(Math.max(0, o.offset - LIMIT))}>
        Newer
      </button>{' '}
      <button type="button" disabled={o.offset + o.shown >= o.total} onClick={() => o.onPage(o.offset + LIMIT)}>
        Older
      </button>
    </nav>
  );
}
