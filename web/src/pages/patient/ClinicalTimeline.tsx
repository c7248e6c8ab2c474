import { conceptText, formatDate, type PatientContext } from '../../api/context';
import { Section } from '../../components/Section';
import { ReportSummary } from './ImagingTimeline';

/** Active problems, medications (with their ingredient), recent encounters, reports. */
export function ClinicalTimeline({ c }: { c: PatientContext }) {
  return (
    <div className="clinical">
      <Section title="Problems" name="conditions" data={c.conditions} sources={c.sources} empty="No problems recorded.">
        {(list) => (
          <ul className="plain">
            {list.map((p) => (
              <li key={p.id}>
                <strong>{conceptText(p.code)}</strong>{' '}
                <span className="muted">
                  {p.clinicalStatus}
                  {p.onset ? ` · since ${formatDate(p.onset)}` : ''}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Medications" name="medications" data={c.medications} sources={c.sources} empty="No medications.">
        {(list) => (
          <ul className="plain">
            {list.map((m) => (
              <li key={m.id}>
                <strong>{m.ingredient?.display ?? conceptText(m.medication)}</strong>{' '}
                <span className="muted">
                  {m.state} · {conceptText(m.medication)}
                  {m.dosage ? ` · ${m.dosage}` : ''}
                  {m.date ? ` · ${formatDate(m.date)}` : ''}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Encounters" name="encounters" data={c.encounters} sources={c.sources} empty="No encounters.">
        {(list) => (
          <ul className="plain">
            {list.map((e) => (
              <li key={e.id}>
                <strong>{e.class?.display ?? e.class?.code}</strong>{' '}
                <span className="muted">
                  {e.status} · {formatDate(e.period?.start)}
                  {e.period?.end ? ` – ${formatDate(e.period.end)}` : ''}
                  {e.location?.display ? ` · ${e.location.display}` : ''}
                  {e.reason?.length ? ` · ${e.reason.join(', ')}` : ''}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Reports" name="reports" data={c.reports} sources={c.sources} empty="No reports.">
        {(list) => (
          <div>
            {list.map((r) => (
              <ReportSummary key={r.id} r={r} />
            ))}
          </div>
        )}
      </Section>
    </div>
  );
}
