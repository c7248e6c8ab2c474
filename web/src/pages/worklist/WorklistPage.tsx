import { useEffect, useRef, useState } from 'react';
import { getJson } from '../../api/http';
import { Loaded } from '../../components/Status';
import { useAsync } from '../../components/useAsync';
import { followWorklist } from './events';
import { Explanation } from './Explanation';
import { TierBadge, TIERS, tierLabel } from './Tier';
import type { WorklistAnswer } from './types';

const PAGE = 500;

/** The radiology worklist: unread studies by clinical priority, every position explained, live. */
export default function WorklistPage() {
  const [modality, setModality] = useState('');
  const [tier, setTier] = useState('');
  const [selected, setSelected] = useState<string>();
  const [live, setLive] = useState(false);
  const [updated, setUpdated] = useState<string>();
  const modalities = modality
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter((m) => /^[A-Z0-9]{1,16}$/.test(m))
    .join(',');
  const [list, reload] = useAsync(
    () => getJson<WorklistAnswer>(`/api/worklist?limit=${PAGE}${modalities ? `&modality=${modalities}` : ''}`),
    [modalities],
  );
  // Events come in bursts (one write can move several studies): one reload per burst.
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(
    () =>
      followWorklist(() => {
        clearTimeout(pending.current);
        pending.current = setTimeout(() => {
          reload();
          setUpdated(new Date().toLocaleTimeString());
        }, 300);
      }, setLive),
    [reload],
  );
  return (
    <section>
      <h1>Worklist</h1>
      <p className="muted" role="status">
        {live ? 'Live: updates as studies, results, encounters and flags arrive' : 'Not connected to live updates'}
        {updated ? ` · last update ${updated}` : ''}
      </p>
      <form className="card" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Modality{' '}
          <input value={modality} onChange={(e) => setModality(e.target.value)} placeholder="CT,MR" size={10} />
        </label>{' '}
        <label>
          Tier{' '}
          <select value={tier} onChange={(e) => setTier(e.target.value)}>
            <option value="">All tiers</option>
            {TIERS.map((t) => (
              <option key={t} value={t}>
                {tierLabel(t)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Loaded value={list}>
        {(answer) => {
          const items = answer.items.filter((i) => !tier || i.tier === tier);
          const chosen = answer.items.find((i) => i.studyInstanceUid === selected);
          return (
            <>
              {chosen && <Explanation item={chosen} onClose={() => setSelected(undefined)} />}
              <table>
                <caption>
                  {items.length} of {answer.total} unread studies
                  {answer.total > PAGE ? ` (the first ${PAGE} by rank)` : ''}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Rank</th>
                    <th scope="col">Tier</th>
                    <th scope="col">Score</th>
                    <th scope="col">Patient</th>
                    <th scope="col">Study</th>
                    <th scope="col">Started</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((i) => (
                    <tr key={i.studyInstanceUid} data-study={i.studyInstanceUid}>
                      <td>{i.rank}</td>
                      <td>
                        <TierBadge tier={i.tier} />
                      </td>
                      <td>{i.score}</td>
                      <td>
                        {i.patient.name ?? '—'}{' '}
                        {i.patient.identifier && <span className="muted">{i.patient.identifier}</span>}
                      </td>
                      <td>
                        {i.modality.join('/')} {i.description}
                      </td>
                      <td>{i.started ? new Date(i.started).toLocaleString() : '—'}</td>
                      <td>
                        <button
                          type="button"
                          aria-pressed={selected === i.studyInstanceUid}
                          onClick={() => setSelected(i.studyInstanceUid)}
                        >
                          Explain #{i.rank}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
