import { ageOf, conceptText, formatDate, type PatientContext } from '../../api/context';

/** Who, and what matters now: identifiers, age, sex, active flags, allergies, current encounter and where. */
export function PatientHeader({ c }: { c: PatientContext }) {
  const p = c.patient;
  const age = ageOf(p.birthDate);
  const current = c.encounters?.find((e) => e.current);
  const flags = c.flags?.filter((f) => f.status === 'active') ?? [];
  const allergies = c.allergies?.filter((a) => a.clinicalStatus !== 'resolved' && a.clinicalStatus !== 'inactive');
  return (
    <header className="patient-header card">
      <h1>{p.name ?? '(no name)'}</h1>
      <dl className="facts">
        <div>
          <dt>Identifiers</dt>
          <dd>{(p.identifier ?? []).map((i) => i.value).join(', ') || '—'}</dd>
        </div>
        <div>
          <dt>Born</dt>
          <dd>
            {p.birthDate ?? '—'}
            {age !== undefined && ` (${age} y)`}
          </dd>
        </div>
        <div>
          <dt>Sex</dt>
          <dd>{p.gender ?? '—'}</dd>
        </div>
        <div>
          <dt>Encounter</dt>
          <dd>
            {c.encounters === null
              ? 'could not be loaded'
              : current
                ? `${current.class?.display ?? current.class?.code ?? ''} since ${formatDate(current.period?.start)}${current.location?.display ? ` · ${current.location.display}` : ''}`
                : 'none in progress'}
          </dd>
        </div>
      </dl>
      <div className="chips">
        {c.flags === null ? (
          <span className="chip error">flags could not be loaded</span>
        ) : (
          flags.map((f) => (
            <span key={f.id} className="chip flag">
              ⚑ {conceptText(f.code)}
            </span>
          ))
        )}
        {allergies === undefined ? (
          <span className="chip error">allergies could not be loaded</span>
        ) : allergies.length === 0 ? (
          <span className="chip">no known allergies recorded</span>
        ) : (
          allergies.map((a) => (
            <span key={a.id} className="chip allergy">
              Allergy: {conceptText(a.code)}
              {a.criticality === 'high' ? ' (high criticality)' : ''}
              {a.reactions?.length ? ` — ${a.reactions.join(', ')}` : ''}
            </span>
          ))
        )}
      </div>
    </header>
  );
}
