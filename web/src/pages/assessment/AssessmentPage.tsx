import { type FormEvent, useState } from 'react';
import { apiFetch } from '../../api/http';

interface Check {
  name: string;
  status: string;
  request: string;
  httpStatus?: number;
  dimseStatus?: number;
  ms: number;
  detail: string;
}
interface Finding {
  area: string;
  level: 'blocker' | 'warning' | 'info';
  message: string;
  nextStep: string;
}
interface Assessment {
  generatedAt: string;
  wrote: boolean;
  readiness: Record<'fhir' | 'dicomweb' | 'dimse' | 'dataFlow', string>;
  verdict: string[];
  findings: Finding[];
  fhir: { url: string; checks: Check[] } | null;
  dicomweb: { url: string; checks: Check[] } | null;
  dimse: { target: string; checks: Check[] } | null;
  dataFlow: {
    pacsStudies: number;
    fhirStudies: number;
    matched: number;
    missingInFhir: string[];
    notInPacs: string[];
    mismatched: unknown[];
    checks: Check[];
  } | null;
}

const AREAS = [
  ['fhir', 'FHIR'],
  ['dicomweb', 'DICOMweb'],
  ['dimse', 'DIMSE'],
  ['dataFlow', 'Data flow'],
] as const;

/** The readiness assessment (POST /api/assessment, administrators): the configured targets, or the ones typed here. */
export default function AssessmentPage() {
  const [form, setForm] = useState({ fhir: '', dicomweb: '', dimse: '', since: '30d' });
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<Assessment>();
  const run = async (e: FormEvent) => {
    e.preventDefault();
    setRunning(true);
    setError(undefined);
    try {
      const body = Object.fromEntries(Object.entries(form).filter(([, v]) => v.trim() !== ''));
      const res = await apiFetch('/api/assessment', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      setResult((await res.json()) as Assessment);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setRunning(false);
    }
  };
  const field = (key: keyof typeof form, label: string, placeholder: string) => (
    <label>
      {label}
      <input
        value={form[key]}
        placeholder={placeholder}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      />
    </label>
  );
  return (
    <section>
      <h1>Readiness assessment</h1>
      <p className="muted">
        Leave the targets empty to assess what this server is configured to use. Nothing is written.
      </p>
      <form className="card" onSubmit={(e) => void run(e)}>
        {field('fhir', 'FHIR base URL', 'https://ehr.example/fhir')}
        {field('dicomweb', 'DICOMweb URL', 'https://pacs.example/dicom-web')}
        {field('dimse', 'DIMSE peer', 'PACS@10.0.0.5:104')}
        {field('since', 'Data flow since', '30d')}
        <button type="submit" className="primary" disabled={running}>
          {running ? 'Assessing…' : 'Run assessment'}
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
      {result && <Report a={result} />}
    </section>
  );
}

function Report({ a }: { a: Assessment }) {
  return (
    <>
      <section className="card" aria-label="Readiness per area">
        <h2>Readiness</h2>
        <ul>
          {AREAS.map(([key, label]) => (
            <li key={key}>
              <strong>{label}</strong>: <span data-readiness={a.readiness[key]}>{a.readiness[key]}</span>
            </li>
          ))}
        </ul>
        <p className="muted">
          Generated {a.generatedAt}.{' '}
          {a.wrote ? 'One synthetic instance was stored and deleted.' : 'Nothing was written.'}
        </p>
      </section>
      <section className="card">
        <h2>Next steps</h2>
        {a.findings.length === 0 ? (
          <p>Nothing to do.</p>
        ) : (
          <ol>
            {a.findings.map((f) => (
              <li key={`${f.area}:${f.message}`}>
                <strong>{f.level}</strong> ({f.area}): {f.message}
                <br />
                <span className="muted">Next step: {f.nextStep}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
      {a.dataFlow && (
        <section className="card">
          <h2>Data flow</h2>
          <p>
            {a.dataFlow.pacsStudies} studies in the PACS · {a.dataFlow.fhirStudies} ImagingStudy · {a.dataFlow.matched}{' '}
            matched · {a.dataFlow.missingInFhir.length} missing in FHIR · {a.dataFlow.notInPacs.length} not in the PACS
            · {a.dataFlow.mismatched.length} mismatched
          </p>
        </section>
      )}
      {a.fhir && <Checks title={`FHIR — ${a.fhir.url}`} checks={a.fhir.checks} />}
      {a.dicomweb && <Checks title={`DICOMweb — ${a.dicomweb.url}`} checks={a.dicomweb.checks} />}
      {a.dimse && <Checks title={`DIMSE — ${a.dimse.target}`} checks={a.dimse.checks} />}
    </>
  );
}

function Checks({ title, checks }: { title: string; checks: Check[] }) {
  return (
    <section className="card">
      <h2>{title}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Check</th>
            <th scope="col">Request</th>
            <th scope="col">Answer</th>
            <th scope="col">Time</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c) => (
            <tr key={`${c.name} ${c.request} ${c.ms}`}>
              <td>{c.status}</td>
              <td>{c.name}</td>
              <td>
                <code>{c.request}</code>
              </td>
              <td>{c.httpStatus ?? (c.dimseStatus !== undefined ? `0x${c.dimseStatus.toString(16)}` : '')}</td>
              <td>{c.ms} ms</td>
              <td>{c.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
