/** A plain object shown as a definition list (nested objects as compact JSON); for operators' status data. */
export function Values({ value }: { value: Record<string, unknown> }) {
  return (
    <dl className="values">
      {Object.entries(value).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{show(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number' && v > 1e12 && v < 1e13) return new Date(v).toISOString().replace('T', ' ').slice(0, 19);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export const when = (ms?: number | null) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '—');

export function bytes(n?: number): string {
  if (n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
