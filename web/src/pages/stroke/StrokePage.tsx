import { formatDate } from '../../api/context';
import { recentStrokeRuns } from '../../api/stroke';
import { Link } from '../../app/router';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import './stroke.css';

const LIMIT = 50;

/** Recent head CT/MR studies with their thrombolysis check: present and unknown factors, newest check first. */
export default function StrokePage() {
  const [runs, reload] = useAsync(() => recentStrokeRuns({ limit: LIMIT }), []);
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
      <Loaded value={runs}>
        {(list) =>
          list.length === 0 ? (
            <p>No head CT/MR study has been checked yet.</p>
          ) : (
            <table>
              <caption>Last {list.length} checks</caption>
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
                      {r.patient ? (
                        <Link to={`/patients/${encodeURIComponent(r.patient.id)}`}>
                          {r.patient.name ?? r.patient.id}
                        </Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      <Link
                        to={`/studies/${encodeURIComponent(r.studyInstanceUid)}${r.patient ? `?patient=${encodeURIComponent(r.patient.id)}` : ''}`}
                      >
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
          )
        }
      </Loaded>
    </section>
  );
}
