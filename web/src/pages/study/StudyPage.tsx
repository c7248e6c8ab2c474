import {
  type DicomJson,
  num,
  qidoSeries,
  qidoStudy,
  seriesMetadata,
  seriesThumbnail,
  TAG,
  text,
} from '../../api/dicomweb';
import { Link, navigate } from '../../app/router';
import type { PageProps } from '../../app/routes';
import { AuthImage } from '../../components/AuthImage';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { framesOf } from './frames';
import { Viewer } from './Viewer';

/** A study: its series as thumbnails, the chosen series in the viewer, the current instance's attributes. */
export default function StudyPage({ params, query }: PageProps) {
  const study = params.get('study') ?? '';
  const patient = query.get('patient');
  const [info] = useAsync(() => Promise.all([qidoStudy(study), qidoSeries(study)]), [study]);
  return (
    <Loaded value={info}>
      {([s, series]) => {
        const sorted = [...series].sort((a, b) => (num(a, TAG.seriesNumber) ?? 0) - (num(b, TAG.seriesNumber) ?? 0));
        const chosen = query.get('series') ?? text(sorted[0], TAG.seriesUid) ?? '';
        const open = (uid: string) =>
          navigate(
            `/studies/${encodeURIComponent(study)}?series=${encodeURIComponent(uid)}${patient ? `&patient=${encodeURIComponent(patient)}` : ''}`,
            true,
          );
        return (
          <div className="study-page">
            <header className="card">
              {patient && <Link to={`/patients/${encodeURIComponent(patient)}`}>← Back to the patient</Link>}
              <h1>{text(s, TAG.studyDescription) ?? 'Study'}</h1>
              <p className="muted">
                {text(s, TAG.patientName)} · {text(s, TAG.patientId)} · {text(s, TAG.studyDate)} · accession{' '}
                {text(s, TAG.accession) ?? '—'} · {series.length} series
              </p>
            </header>
            <div className="study-columns">
              <nav aria-label="Series" className="series-list">
                <ul>
                  {sorted.map((se) => {
                    const uid = text(se, TAG.seriesUid) ?? '';
                    const label = `${text(se, TAG.modality) ?? ''} ${text(se, TAG.seriesNumber) ?? ''} ${text(se, TAG.seriesDescription) ?? ''}`;
                    return (
                      <li key={uid}>
                        <button type="button" aria-pressed={uid === chosen} onClick={() => open(uid)}>
                          <AuthImage className="thumb" src={seriesThumbnail(study, uid)} alt="" />
                          <span>
                            {label} · {num(se, TAG.instancesInSeries) ?? '?'} images
                          </span>
                        </button>
                      </li>
                    );
                  })}
                </ul>
              </nav>
              {chosen && <SeriesViewer study={study} series={chosen} />}
            </div>
          </div>
        );
      }}
    </Loaded>
  );
}

function SeriesViewer({ study, series }: { study: string; series: string }) {
  const [metadata] = useAsync(() => seriesMetadata(study, series), [study, series]);
  return (
    <Loaded value={metadata}>
      {(m: DicomJson[]) => {
        return <Viewer study={study} series={series} frames={framesOf(m)} />;
      }}
    </Loaded>
  );
}
