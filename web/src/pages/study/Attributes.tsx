import { useState } from 'react';
import type { DicomJson } from '../../api/dicomweb';

/** The current instance's DICOM attributes (WADO-RS metadata, DICOM JSON), filterable by tag or value. */
export function Attributes({ instance }: { instance: DicomJson }) {
  const [filter, setFilter] = useState('');
  const f = filter.trim().toLowerCase();
  const rows = Object.entries(instance)
    .map(([tag, a]) => ({ tag, vr: a?.vr ?? '', value: show(a) }))
    .filter((r) => !f || r.tag.toLowerCase().includes(f) || r.value.toLowerCase().includes(f));
  return (
    <section className="attributes card" aria-labelledby="attributes-title">
      <h2 id="attributes-title">DICOM attributes</h2>
      <label>
        Filter <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </label>
      <div>
        <table>
          <thead>
            <tr>
              <th scope="col">Tag</th>
              <th scope="col">VR</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.tag}>
                <td>
                  <code>
                    ({r.tag.slice(0, 4)},{r.tag.slice(4)})
                  </code>
                </td>
                <td>{r.vr}</td>
                <td>{r.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function show(a: { vr: string; Value?: unknown[]; BulkDataURI?: string } | undefined): string {
  if (!a) return '';
  if (a.BulkDataURI) return '(bulk data)';
  if (a.vr === 'SQ') return `(${a.Value?.length ?? 0} item(s))`;
  return (a.Value ?? [])
    .map((v) =>
      typeof v === 'object' && v !== null
        ? ((v as { Alphabetic?: string }).Alphabetic ?? JSON.stringify(v))
        : String(v),
    )
    .join('\\')
    .slice(0, 200);
}
