import { patientContext } from '../../api/context';
import type { PageProps } from '../../app/routes';
import { Section } from '../../components/Section';
import { Loaded } from '../../components/Status';
import { TrendChart } from '../../components/TrendChart';
import { useAsync } from '../../components/useAsync';
import { StrokePanel } from '../stroke/StrokePanel';
import { ClinicalTimeline } from './ClinicalTimeline';
import { ImagingTimeline } from './ImagingTimeline';
import { PatientHeader } from './PatientHeader';

/** One screen: the imaging record beside the clinical one, from one GET /api/context. */
export default function PatientPage({ params }: PageProps) {
  const id = params.get('id') ?? '';
  const [context] = useAsync(() => patientContext(id), [id]);
  return (
    <Loaded value={context}>
      {(c) => (
        <div className="patient">
          <PatientHeader c={c} />
          <a href={`/patients/${encodeURIComponent(id)}/tumor-board`}>Tumor board summary (RECIST 1.1)</a>
          {!c.complete && (
            <p className="warning" role="status">
              Some sections are incomplete:{' '}
              {c.sources
                .filter((s) => s.status !== 'ok')
                .map((s) => `${s.section} (${s.status})`)
                .join(', ')}
              .
            </p>
          )}
          <StrokePanel c={c} />
          <div className="columns">
            <ImagingTimeline c={c} />
            <div>
              <Section
                title="Labs and vitals"
                name="observations"
                data={c.observations}
                sources={c.sources}
                empty="No laboratory or vital-sign results."
                className="trends"
              >
                {(list) => (
                  <div className="trend-grid">
                    {list.map((o) => (
                      <TrendChart key={`${o.code.system}|${o.code.code}|${o.code.text}`} observation={o} />
                    ))}
                  </div>
                )}
              </Section>
              <ClinicalTimeline c={c} />
            </div>
          </div>
        </div>
      )}
    </Loaded>
  );
}
