import { Link } from '../../app/router';
import { TierBadge } from './Tier';
import type { WorklistItem } from './types';

/** Why a study is where it is: every term with its points, reason and the resources it read. */
export function Explanation({ item, onClose }: { item: WorklistItem; onClose: () => void }) {
  return (
    <section className="card" aria-labelledby="worklist-why">
      <h2 id="worklist-why">
        #{item.rank} · {item.description ?? 'Study'} · score {item.score} <TierBadge tier={item.tier} />
      </h2>
      <p>
        {item.patient.id ? (
          <Link to={`/patients/${encodeURIComponent(item.patient.recordId ?? item.patient.id)}`}>
            Open the patient view{item.patient.name ? ` of ${item.patient.name}` : ''}
          </Link>
        ) : (
          'No patient linked'
        )}{' '}
        · <Link to={`/studies/${encodeURIComponent(item.studyInstanceUid)}`}>Open the study</Link>
      </p>
      <table>
        <caption>Terms of the score (they add up to {item.score})</caption>
        <thead>
          <tr>
            <th scope="col">Term</th>
            <th scope="col">Points</th>
            <th scope="col">Why</th>
            <th scope="col">Read from</th>
          </tr>
        </thead>
        <tbody>
          {item.terms.length === 0 && (
            <tr>
              <td colSpan={4}>No signal: first in, first out.</td>
            </tr>
          )}
          {item.terms.map((t) => (
            <tr key={`${t.term} ${t.reason}`}>
              <td>{t.term}</td>
              <td>{t.points > 0 ? `+${t.points}` : t.points}</td>
              <td>{t.reason}</td>
              <td>
                {t.evidence.map((e) => (
                  <code key={e} style={{ display: 'block' }}>
                    {e}
                  </code>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </section>
  );
}
