import { lesionLabel, type OncologySummary } from '../../api/oncology';
import { Link } from '../../app/router';

const signed = (v: number | null) => (v === null ? '—' : `${v > 0 ? '+' : ''}${v} %`);

/** Lesions × time points with sums, change vs baseline and nadir, and the RECIST 1.1 categories. */
export function ResponseTable({ s }: { s: OncologySummary }) {
  const tps = s.timepoints;
  const rows = new Map<string, { role: string; nodal: boolean; site?: string; cells: Map<number, string> }>();
  for (const tp of tps)
    for (const l of tp.lesions) {
      const row = rows.get(lesionLabel(l)) ?? { role: l.role, nodal: l.nodal, site: l.site?.text, cells: new Map() };
      row.cells.set(tp.index, l.status === 'not-measured' ? 'n/m' : String(l.valueMm));
      rows.set(lesionLabel(l), row);
    }
  const line = (name: string, f: (tp: (typeof tps)[number]) => React.ReactNode) => (
    <tr>
      <th scope="row">{name}</th>
      {tps.map((tp) => (
        <td key={tp.index} className="num">
          {f(tp)}
        </td>
      ))}
    </tr>
  );
  const cat = (v: string) => <span className={`cat cat-${v.replace('/', '-')}`}>{v}</span>;
  return (
    <div className="table-scroll">
      <table className="recist">
        <caption className="muted">Lesion size in mm; n/m: not measured at that time point.</caption>
        <thead>
          <tr>
            <th scope="col">Lesion</th>
            {tps.map((tp) => (
              <th scope="col" key={tp.index}>
                {tp.index === 0 ? 'Baseline' : `TP ${tp.index}`}
                <br />
                {tp.date}
                <br />
                {tp.studies.map((st) =>
                  st.studyInstanceUid ? (
                    <Link
                      key={st.imagingStudy}
                      to={`/studies/${encodeURIComponent(st.studyInstanceUid)}?patient=${encodeURIComponent(s.patient.id)}`}
                    >
                      {st.modality ?? 'study'}{' '}
                    </Link>
                  ) : null,
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {[...rows].map(([label, r]) => (
            <tr key={label}>
              <th scope="row">
                {label}
                {r.nodal ? ' (node)' : ''} <span className="muted">{[r.site, r.role].filter(Boolean).join(' · ')}</span>
              </th>
              {tps.map((tp) => (
                <td key={tp.index} className="num">
                  {r.cells.get(tp.index) ?? ''}
                </td>
              ))}
            </tr>
          ))}
          {line('Sum of targets', (tp) => tp.sumMm ?? '—')}
          {line('vs baseline', (tp) => signed(tp.changeFromBaselinePct))}
          {line('vs nadir', (tp) => (tp.index === 0 ? '—' : `${signed(tp.changeFromNadirPct)} (${tp.nadirMm ?? '—'})`))}
          {line('Targets', (tp) => cat(tp.targetResponse))}
          {line('Non-targets', (tp) => tp.nonTargetResponse)}
          {line('New lesions', (tp) => (tp.newLesions ? <strong>yes</strong> : 'no'))}
          {line('Overall', (tp) => cat(tp.overallResponse))}
        </tbody>
      </table>
    </div>
  );
}
