import { type FormEvent, useState } from 'react';
import { fhirSearch } from '../../api/fhir';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';

interface AuditEvent {
  id: string;
  recorded?: string;
  type?: { code?: string; display?: string };
  subtype?: { code?: string; display?: string }[];
  action?: string;
  outcome?: string;
  outcomeDesc?: string;
  agent?: {
    who?: { display?: string; reference?: string; identifier?: { value?: string } };
    name?: string;
    altId?: string;
    requestor?: boolean;
  }[];
  entity?: { what?: { reference?: string; display?: string } }[];
}

const ACTIONS = new Map([
  ['', 'any'],
  ['C', 'create'],
  ['R', 'read / retrieve'],
  ['U', 'update'],
  ['D', 'delete'],
  ['E', 'execute (search, query)'],
]);
const OUTCOMES = new Map([
  ['0', 'success'],
  ['4', 'minor failure'],
  ['8', 'serious failure'],
  ['12', 'major failure'],
]);

/** The audit trail for administrators (GET /fhir/AuditEvent, administrator role), filtered by patient, who, action, time. */
export default function AuditPage() {
  const [draft, setDraft] = useState({ patient: '', who: '', action: '', from: '', to: '' });
  const [filter, setFilter] = useState(draft);
  const [events] = useAsync(() => {
    const p: Record<string, string> = { _count: '100', _sort: '-date' };
    if (filter.patient) p.patient = filter.patient;
    if (filter.who) p['agent-name'] = filter.who;
    if (filter.action) p.action = filter.action;
    if (filter.from) p.date = `ge${filter.from}`;
    const search = fhirSearch<AuditEvent>('AuditEvent', p);
    return filter.to
      ? search.then((list) => list.filter((e) => (e.recorded ?? '') <= `${filter.to}T23:59:59Z`))
      : search;
  }, [filter]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter(draft);
  };
  const field = (key: keyof typeof draft, label: string, type = 'text') => (
    <label>
      {label}
      <input type={type} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} />
    </label>
  );
  return (
    <section>
      <h1>Audit log</h1>
      <p className="muted">
        Chain verification has no HTTP API: run <code>imaging-bridge audit verify --data-dir DIR</code> on the server.
      </p>
      <form className="filters" onSubmit={submit}>
        {field('patient', 'Patient (Patient/id)')}
        {field('who', 'User or client')}
        <label>
          Action
          <select value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })}>
            {[...ACTIONS].map(([code, label]) => (
              <option key={code} value={code}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {field('from', 'From', 'date')}
        {field('to', 'To', 'date')}
        <button type="submit" className="primary">
          Filter
        </button>
      </form>
      <Loaded value={events}>
        {(list) => (
          <table className="audit">
            <caption>{list.length} record(s), newest first</caption>
            <thead>
              <tr>
                <th scope="col">Recorded</th>
                <th scope="col">Event</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              {list.map((e) => (
                <tr key={e.id}>
                  <td>{e.recorded?.replace('T', ' ').slice(0, 19)}</td>
                  <td>
                    {e.type?.display ?? e.type?.code}
                    {e.subtype?.length ? ` / ${e.subtype.map((s) => s.display ?? s.code).join(', ')}` : ''}
                  </td>
                  <td>{e.action}</td>
                  <td>
                    {OUTCOMES.get(e.outcome ?? '') ?? e.outcome}
                    {e.outcomeDesc ? ` — ${e.outcomeDesc}` : ''}
                  </td>
                  <td>
                    {(e.agent ?? [])
                      .filter((a) => a.requestor)
                      .map((a) => a.name ?? a.altId ?? a.who?.display ?? a.who?.identifier?.value ?? a.who?.reference)
                      .join(', ')}
                  </td>
                  <td>
                    {(e.entity ?? [])
                      .map((x) => x.what?.reference ?? x.what?.display)
                      .filter(Boolean)
                      .slice(0, 3)
                      .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
