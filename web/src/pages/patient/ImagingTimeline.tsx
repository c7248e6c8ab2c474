import { conceptText, formatDate, type PatientContext, type Report } from '../../api/context';
import { seriesThumbnail } from '../../api/dicomweb';
import { Link } from '../../app/router';
import { AuthImage } from '../../components/AuthImage';
import { Section } from '../../components/Section';

/** Every study newest first, a thumbnail per series, and the reports (AI or not) attached to it. */
export function ImagingTimeline({ c }: { c: PatientContext }) {
  const reportsOf = (uid: string): Report[] =>
    (c.reports ?? []).filter((r) => r.imagingStudy?.some((s) => s.studyInstanceUid === uid));
  return (
    <Section
      title="Imaging"
      name="imagingStudies"
      data={c.imagingStudies}
      sources={c.sources}
      empty="No imaging studies."
    >
      {(studies) => (
        <ol className="timeline">
          {studies.map((s) => (
            <li key={s.id} className="study">
              <div className="study-head">
                <Link
                  to={`/studies/${encodeURIComponent(s.studyInstanceUid)}?patient=${encodeURIComponent(c.patient.id)}`}
                >
                  <strong>{s.description ?? '(no description)'}</strong>
                </Link>
                <span className="muted">
                  {' '}
                  {formatDate(s.started)} · {(s.modality ?? []).join('/')}
                  {s.bodySite?.length ? ` · ${s.bodySite.map((b) => b.display ?? b.code).join(', ')}` : ''} ·{' '}
                  {s.numberOfSeries ?? s.series?.length ?? 0} series · {s.numberOfInstances ?? 0} images
                  {s.accession ? ` · ${s.accession}` : ''}
                </span>
              </div>
              <ul className="thumbs">
                {(s.series ?? []).map((se) => (
                  <li key={se.uid}>
                    <Link
                      to={`/studies/${encodeURIComponent(s.studyInstanceUid)}?series=${encodeURIComponent(se.uid)}&patient=${encodeURIComponent(c.patient.id)}`}
                    >
                      <AuthImage
                        className="thumb"
                        src={seriesThumbnail(s.studyInstanceUid, se.uid)}
                        alt={`${se.modality ?? ''} series ${se.number ?? ''} ${se.description ?? ''}`}
                      />
                      <span className="thumb-label">
                        {se.modality} {se.number ?? ''} · {se.numberOfInstances ?? 0}
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
              {reportsOf(s.studyInstanceUid).map((r) => (
                <ReportSummary key={r.id} r={r} />
              ))}
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

export function ReportSummary({ r }: { r: Report }) {
  return (
    <div className={`report ${r.ai ? 'ai' : ''}`}>
      <span className="badge">{r.ai ? 'AI result' : 'Report'}</span> <strong>{conceptText(r.code)}</strong>{' '}
      <span className="muted">
        {r.status} · {formatDate(r.issued ?? r.effective)}
      </span>
      {r.conclusion && <p>{r.conclusion}</p>}
      {r.findings && r.findings.length > 0 && (
        <ul>
          {r.findings.map((f) => (
            <li key={f.id}>
              {conceptText(f.code)}
              {f.bodySite ? ` — ${conceptText(f.bodySite)}` : ''}
              {f.value !== undefined ? `: ${f.value} ${f.unit ?? ''}` : ''}
              {f.confidence !== undefined ? ` (confidence ${Math.round(f.confidence * 100)} %)` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
