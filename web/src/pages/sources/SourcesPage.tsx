import { getJson } from '../../api/http';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { Values } from '../../components/Values';

/** Watched PACS (GET /api/sources): progress, last poll, errors — as `imaging-bridge sources status`. */
export default function SourcesPage() {
  const [sources] = useAsync(
    () => getJson<{ sources: (Record<string, unknown> & { name: string })[] }>('/api/sources'),
    [],
  );
  return (
    <section>
      <h1>PACS sources</h1>
      <Loaded value={sources}>
        {({ sources: list }) =>
          list.length === 0 ? (
            <p>No watched PACS is configured (see docs/sources.md).</p>
          ) : (
            <div className="cards">
              {list.map((s) => (
                <section key={s.name} className="card">
                  <h2>{s.name}</h2>
                  <Values value={s} />
                </section>
              ))}
            </div>
          )
        }
      </Loaded>
    </section>
  );
}
