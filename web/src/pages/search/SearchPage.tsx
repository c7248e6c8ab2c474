import { type FormEvent, useState } from 'react';
import { searchPatients } from '../../api/fhir';
import { Link, navigate } from '../../app/router';
import type { PageProps } from '../../app/routes';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';

/** Find a patient: name prefix, MRN / any identifier, birth date, accession or Study Instance UID. */
export default function SearchPage({ query }: PageProps) {
  const q = query.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  const [hits] = useAsync(() => searchPatients(q), [q]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/?q=${encodeURIComponent(draft.trim())}`);
  };
  return (
    <section>
      <h1>Find a patient</h1>
      <search>
        <form onSubmit={submit} className="search">
          <label htmlFor="patient-search">
            Name, MRN or identifier, birth date (YYYY-MM-DD), accession or Study UID
          </label>
          <div className="row">
            <input
              id="patient-search"
              type="search"
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              placeholder="e.g. fisch, IBD100005, 1951-10-23, ACC00501"
              autoComplete="off"
            />
            <button type="submit" className="primary">
              Search
            </button>
          </div>
        </form>
      </search>
      {q && (
        <Loaded value={hits}>
          {(list) =>
            list.length === 0 ? (
              <p>No patient matches “{q}”.</p>
            ) : (
              <table className="results">
                <caption>
                  {list.length} patient{list.length === 1 ? '' : 's'} for “{q}”
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Identifiers</th>
                    <th scope="col">Birth date</th>
                    <th scope="col">Sex</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((p) => (
                    <tr key={p.id}>
                      <td>
                        <Link to={`/patients/${encodeURIComponent(p.id)}`}>{p.name}</Link>
                      </td>
                      <td>{p.identifiers.map((i) => i.value).join(', ')}</td>
                      <td>{p.birthDate}</td>
                      <td>{p.gender}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      )}
    </section>
  );
}
