import { formatDate } from '../../api/context';
import { oncologySummary } from '../../api/oncology';
import { Link } from '../../app/router';
import type { PageProps } from '../../app/routes';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { LesionChart } from './LesionChart';
import { ResponseTable } from './ResponseTable';
import './tumor-board.css';

/**
 * A patient's tumor-board summary (GET /api/oncology/summary): the RECIST 1.1 comparison of the
 * serial imaging with its working, a lesion trend chart, diagnosis, treatment lines, markers,
 * performance status and the clinician's recorded status beside the computed one.
 */
export default function TumorBoardPage({ params }: PageProps) {
  const id = params.get('id') ?? '';
  const [summary] = useAsync(() => oncologySummary(id), [id]);
  return (
    <Loaded value={summary}>
      {(s) => {
        const latest = s.timepoints.at(-1);
        return (
          <div className="tumor-board">
            <header className="card">
              <h1>Tumor board: {s.patient.name ?? s.patient.id}</h1>
              <p>
                <Link to={`/patients/${encodeURIComponent(s.patient.id)}`}>Patient view</Link> · born{' '}
                {s.patient.birthDate ?? '—'} · {s.patient.gender ?? ''}
              </p>
              {latest && (
                <p>
                  Latest computed response (RECIST 1.1):{' '}
                  <strong className={`cat cat-${latest.overallResponse}`}>{latest.overallResponse}</strong> on{' '}
                  {latest.date}. Computed from the recorded measurements, not a decision.
                </p>
              )}
              {!s.complete && (
                <p className="warning" role="status">
                  Incomplete:{' '}
                  {s.sources
                    .filter((x) => x.status !== 'ok')
                    .map((x) => `${x.section} (${x.status})`)
                    .join(', ')}
                  .
                </p>
              )}
            </header>
            <section className="card" aria-labelledby="tb-lesions">
              <h2 id="tb-lesions">Lesions (RECIST 1.1)</h2>
              {s.timepoints.length === 0 ? (
                <p className="muted">No lesion measurements.</p>
              ) : (
                <>
                  <LesionChart timepoints={s.timepoints} />
                  <ResponseTable s={s} />
                  <ul className="muted reasons">
                    {s.timepoints.map((tp) => (
                      <li key={tp.index}>
                        {tp.index === 0 ? 'Baseline' : `TP ${tp.index}`}: {tp.reasons.join('; ')}
                      </li>
                    ))}
                  </ul>
                  {s.targetSelection && (
                    <p className="muted">
                      Targets{' '}
                      {s.targetSelection.by === 'clinician'
                        ? `chosen by ${s.targetSelection.recordedBy ?? 'a clinician'} on ${formatDate(s.targetSelection.recordedAt)}`
                        : 'chosen by the rules'}
                      : {s.targetSelection.targets.join(', ')}.
                    </p>
                  )}
                </>
              )}
            </section>
            <div className="columns">
              <section className="card" aria-labelledby="tb-diagnosis">
                <h2 id="tb-diagnosis">Diagnosis and treatment</h2>
                <ul>
                  {s.diagnosis.map((d) => (
                    <li key={d.condition}>
                      <strong>{d.code.text ?? d.code.coding?.[0]?.display}</strong>
                      {[d.histology, d.stage].filter(Boolean).map((x) => ` · ${x}`)} · diagnosed {formatDate(d.onset)}
                    </li>
                  ))}
                </ul>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Line</th>
                      <th scope="col">Treatment</th>
                      <th scope="col">From</th>
                      <th scope="col">To</th>
                      <th scope="col">Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.treatment.map((t) => (
                      <tr key={t.reference}>
                        <td>{t.line ?? ''}</td>
                        <td>{t.medication ?? t.procedure}</td>
                        <td>{formatDate(t.start)}</td>
                        <td>{formatDate(t.end)}</td>
                        <td>
                          {t.status}
                          {t.reasonStopped ? ` (${t.reasonStopped})` : ''}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
              <section className="card" aria-labelledby="tb-status">
                <h2 id="tb-status">Markers, performance and the clinician's status</h2>
                <ul>
                  {[...s.markers, ...s.labs].map((m) => (
                    <li key={m.code.code}>
                      {m.code.display}: {m.trend.map((v) => `${v.value}`).join(' → ')} {m.trend.at(-1)?.unit ?? ''}
                    </li>
                  ))}
                  {s.performanceStatus.map((p) => (
                    <li key={`${p.scale}${p.effective}`}>
                      {p.scale} {p.value} ({formatDate(p.effective)})
                    </li>
                  ))}
                </ul>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Date</th>
                      <th scope="col">Clinician</th>
                      <th scope="col">Computed</th>
                      <th scope="col">Agrees</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.clinicianStatus.map((c) => (
                      <tr key={c.effective}>
                        <td>{formatDate(c.effective)}</td>
                        <td>{c.value}</td>
                        <td>{c.computed ?? '—'}</td>
                        <td className={c.agreesWithComputed === false ? 'disagree' : ''}>
                          {c.agreesWithComputed === null ? '—' : c.agreesWithComputed ? 'yes' : 'NO'}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            </div>
            <section className="card" aria-labelledby="tb-warnings">
              <h2 id="tb-warnings">Warnings</h2>
              {s.warnings.length ? (
                <ul className="warnings">
                  {s.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              ) : (
                <p className="muted">None.</p>
              )}
            </section>
          </div>
        );
      }}
    </Loaded>
  );
}
