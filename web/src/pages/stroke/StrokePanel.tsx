import { useEffect, useState } from 'react';
import { formatDate, type PatientContext } from '../../api/context';
import { getJson } from '../../api/http';
import {
  type Evidence,
  type Factor,
  type Guideline,
  REFERENCE_SOURCE,
  recentStrokeRuns,
  strokeAssessment,
} from '../../api/stroke';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import './stroke.css';

const NO_STUDY = '';
const GUIDELINES: [Guideline, string][] = [
  ['aha-2026', 'AHA/ASA 2026'],
  ['aha-2019', 'AHA/ASA 2019'],
];

/**
 * The thrombolysis contraindication check in the patient view: the sixteen factors of one head
 * study, each present / absent / unknown with tier, reason and evidence. It never decides.
 * Study: the one of the patient's latest persisted run, else the latest CT/MR (or none).
 */
export function StrokePanel({ c }: { c: PatientContext }) {
  const studies = (c.imagingStudies ?? []).filter((s) => s.modality?.some((m) => m === 'CT' || m === 'MR'));
  const [study, setStudy] = useState<string>();
  // Open by itself for a patient with a check on record (a head CT/MR arrived); else on request.
  const [open, setOpen] = useState(false);
  const [guideline, setGuideline] = useState<Guideline>('aha-2026');
  const patient = c.patient.id;
  const latest = studies[0]?.studyInstanceUid ?? NO_STUDY;
  // A string, so that the effect below runs again only when the studies themselves change.
  const uids = studies.map((s) => s.studyInstanceUid).join(' ');
  useEffect(() => {
    let live = true;
    setStudy(undefined);
    setOpen(false);
    recentStrokeRuns({ limit: 1, patient }).then(
      (runs) => {
        const uid = runs[0]?.studyInstanceUid;
        const known = uid !== undefined && uids.split(' ').includes(uid);
        if (!live) return;
        setStudy(known ? uid : latest);
        setOpen(known);
      },
      // No persisted run readable (scopes): the latest CT/MR, on request. With an external EHR the
      // server finds the runs of our Patients sharing its identifiers (docs/stroke.md).
      () => live && setStudy(latest),
    );
    return () => {
      live = false;
    };
  }, [patient, latest, uids]);
  const heading = (
    <>
      <h2 id="section-stroke">Stroke thrombolysis check</h2>
      <p className="muted">Factors bearing on IV thrombolysis, with their evidence. It does not decide.</p>
    </>
  );
  if (study !== undefined && !open)
    return (
      <section aria-labelledby="section-stroke" className="card stroke">
        {heading}
        <p>
          No check on record for this patient.{' '}
          <button type="button" onClick={() => setOpen(true)}>
            Show the check
          </button>
        </p>
      </section>
    );
  return (
    <section aria-labelledby="section-stroke" className="card stroke">
      {heading}
      <div className="stroke-controls">
        <label>
          Study{' '}
          <select value={study ?? NO_STUDY} onChange={(e) => setStudy(e.target.value)} disabled={study === undefined}>
            {studies.map((s) => (
              <option key={s.studyInstanceUid} value={s.studyInstanceUid}>
                {s.description ?? '(no description)'} · {formatDate(s.started)}
              </option>
            ))}
            <option value={NO_STUDY}>no study</option>
          </select>
        </label>
        <fieldset className="stroke-guideline">
          <legend>Guideline</legend>
          {GUIDELINES.map(([g, label]) => (
            <button key={g} type="button" aria-pressed={guideline === g} onClick={() => setGuideline(g)}>
              {label}
            </button>
          ))}
        </fieldset>
      </div>
      {study === undefined ? (
        <p aria-busy="true">Loading…</p>
      ) : (
        <Assessment patient={patient} study={study || undefined} guideline={guideline} />
      )}
    </section>
  );
}

function Assessment({ patient, study, guideline }: { patient: string; study?: string; guideline: Guideline }) {
  const [a] = useAsync(() => strokeAssessment(patient, study, guideline), [patient, study, guideline]);
  return (
    <Loaded value={a}>
      {(a) => {
        const failed = a.sources.filter((s) => s.status !== 'ok');
        return (
          <>
            <p className="stroke-reference">
              Reference time <strong>{formatDate(a.referenceTime)}</strong> — {REFERENCE_SOURCE[a.referenceTimeSource]}.{' '}
              <span className="muted">Checked {formatDate(a.generatedAt)}.</span>
            </p>
            {failed.length > 0 && (
              <div className="warning stroke-sources" role="status">
                Sources that did not answer — their factors are unknown:
                <ul>
                  {failed.map((s) => (
                    <li key={`${s.section} ${s.request}`}>
                      {s.section}: {s.status} ({s.server}
                      {s.error ? ` — ${s.error}` : ''})
                    </li>
                  ))}
                </ul>
              </div>
            )}
            <p>
              <strong>{a.present.length}</strong> present · <strong>{a.unknown.length}</strong> unknown ·{' '}
              {a.factors.length - a.present.length - a.unknown.length} absent
            </p>
            <table className="stroke-factors">
              <caption>Factors ({a.guideline})</caption>
              <thead>
                <tr>
                  <th scope="col">Factor</th>
                  <th scope="col">Status</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Reason and evidence</th>
                </tr>
              </thead>
              <tbody>
                {a.factors.map((f) => (
                  <FactorRow key={f.id} f={f} />
                ))}
              </tbody>
            </table>
          </>
        );
      }}
    </Loaded>
  );
}

function FactorRow({ f }: { f: Factor }) {
  return (
    <tr data-factor={f.id} className={`factor-${f.status}`}>
      <th scope="row">{f.label}</th>
      <td>
        <span className={`status status-${f.status}`}>{f.status}</span>
      </td>
      <td>{f.tier}</td>
      <td>
        {f.reason}
        {f.evidence.length > 0 && (
          <ul className="evidence">
            {f.evidence.map((e) => (
              <EvidenceItem key={`${e.reference} ${e.display ?? ''}`} e={e} />
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

/**
 * One piece of evidence: what it says, and the FHIR resource itself on demand, read from our
 * server with the session's token. A resource of an external EHR is a plain link (our token is
 * never sent elsewhere).
 */
function EvidenceItem({ e }: { e: Evidence }) {
  const [json, setJson] = useState<string>();
  const external = /^https?:/.test(e.reference);
  const facts = [
    e.display,
    e.value !== undefined ? `${e.value}${e.unit ? ` ${e.unit}` : ''}` : undefined,
    e.effective ? formatDate(e.effective) : undefined,
    e.status,
  ].filter(Boolean);
  if (external)
    return (
      <li>
        {facts.join(' · ')} —{' '}
        <a href={e.reference} rel="noreferrer">
          {e.reference}
        </a>
      </li>
    );
  return (
    <li>
      {facts.join(' · ')}
      <details
        onToggle={(ev) => {
          if (!(ev.currentTarget as HTMLDetailsElement).open || json !== undefined) return;
          getJson<unknown>(`/fhir/${e.reference}`, 'application/fhir+json').then(
            (r) => setJson(JSON.stringify(r, null, 2)),
            (err: Error) => setJson(`could not be read: ${err.message}`),
          );
        }}
      >
        <summary>{e.reference}</summary>
        <pre className="evidence-json">{json ?? 'Loading…'}</pre>
      </details>
    </li>
  );
}
