import type { Observation } from '../api/context';
import { conceptText, formatDate } from '../api/context';

const W = 220;
const H = 64;
const PAD = 6;

/** Values over time as a small SVG line, with the unit, the reference range band when known, and the latest value. */
export function TrendChart({ observation }: { observation: Observation }) {
  const points = (observation.trend ?? []).filter((p) => typeof p.value === 'number');
  const name = conceptText(observation.code);
  const unit = observation.latest.unit ?? points[0]?.unit ?? '';
  const range = observation.referenceRange;
  const values = [...points.map((p) => p.value), range?.low, range?.high].filter((v): v is number => v !== undefined);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const times = points.map((p) => Date.parse(p.effective ?? '') || 0);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t: number) => (t1 === t0 ? W / 2 : PAD + ((t - t0) / (t1 - t0)) * (W - 2 * PAD));
  const y = (v: number) => (hi === lo ? H / 2 : H - PAD - ((v - lo) / (hi - lo)) * (H - 2 * PAD));
  // An upper limit only (tumour markers) or a lower one only: the band runs to the chart's edge.
  const band =
    range && (range.low !== undefined || range.high !== undefined)
      ? { top: range.high !== undefined ? y(range.high) : 0, bottom: range.low !== undefined ? y(range.low) : H }
      : undefined;
  const summary = points.map((p) => `${formatDate(p.effective)}: ${p.value} ${p.unit ?? unit}`).join('; ');
  return (
    <figure className="trend">
      <figcaption>
        <span className="trend-name">{name}</span>{' '}
        <strong>
          {String(observation.latest.value ?? '')} {unit}
        </strong>
        {observation.latest.interpretation && <span className="flag"> {observation.latest.interpretation}</span>}
        <span className="muted"> {formatDate(observation.latest.effective)}</span>
        {range && (
          <span className="muted">
            {' '}
            · ref{' '}
            {range.low === undefined && range.high === undefined
              ? range.text
              : `${range.low ?? ''}–${range.high ?? ''} ${range.unit ?? unit}`}
          </span>
        )}
      </figcaption>
      {/* One value is drawn too when there is a range to set it against. */}
      {(points.length > 1 || (points.length === 1 && band)) && (
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`${name} trend: ${summary}`}>
          {band && (
            <rect className="range" x={0} width={W} y={band.top} height={Math.max(1, band.bottom - band.top)}>
              <title>{`reference range ${range?.low ?? ''}–${range?.high ?? ''} ${range?.unit ?? unit}`}</title>
            </rect>
          )}
          <polyline className="line" points={points.map((p, i) => `${x(times[i])},${y(p.value)}`).join(' ')} />
          {points.map((p, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: two values may share a time; the list never reorders
            <circle key={`${p.effective}-${i}`} className="dot" cx={x(times[i])} cy={y(p.value)} r={2.5}>
              <title>{`${formatDate(p.effective)}: ${p.value} ${p.unit ?? unit}`}</title>
            </circle>
          ))}
        </svg>
      )}
    </figure>
  );
}
