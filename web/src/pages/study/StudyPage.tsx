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
import { backToPatientHref } from '../stroke/patient-link';
import { AuthImage } from '../../components/AuthImage';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { framesOf } from './frames';
import { Viewer } from './Viewer';

/** A study: its series as thumbnails, the chosen series in the viewer, the current instance's attributes. */
export default function StudyPage({ params, query }: PageProps) {
  const study = params.get('study') ?? '';
  const back = backToPatientHref(query);
  const [info] = useAsync(() => Promise.all([qidoStudy(study), qidoSeries(study)]), [study]);
  return (
    <>
      {/* Outside Loaded: the way back stays when the study cannot be shown. */}
      {back && (
        <p className="study-back">
          <Link to={back}>← Back to the patient</Link>
        </p>
      )}
      <Loaded value={info}>
        {([s, series]) => {
          const sorted = [...series].sort((a, b) => (num(a, TAG.seriesNumber) ?? 0) - (num(b, TAG.seriesNumber) ?? 0));
          const chosen = query.get('series') ?? text(sorted[0], TAG.seriesUid) ?? '';
          const open = (uid: string) => {
            // Keeps what the back link needs (patient, identifiers).
            const q = new URLSearchParams(query);
            q.set('series', uid);
            navigate(`/studies/${encodeURIComponent(study)}?${q}`, true);
          };
          return (
            <div className="study-page">
              <header className="card">
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
    </>
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
