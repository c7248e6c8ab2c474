import { lesionLabel, type Timepoint } from '../../api/oncology';

const W = 560;
const H = 220;
const PAD = { left: 40, right: 70, top: 12, bottom: 28 };

/**
 * Each lesion's size (mm) across the time points, one line per lesion, and the sum of targets
 * dashed; the time axis is real dates. A text alternative lists the values.
 */
export function LesionChart({ timepoints }: { timepoints: Timepoint[] }) {
  const times = timepoints.map((tp) => Date.parse(tp.date));
  const lesions = new Map<string, { x: number; y: number }[]>();
  timepoints.forEach((tp, i) => {
    for (const l of tp.lesions) {
      if (l.valueMm === null) continue;
      const list = lesions.get(lesionLabel(l)) ?? [];
      list.push({ x: times[i], y: l.valueMm });
      lesions.set(lesionLabel(l), list);
    }
  });
  const sums = timepoints.flatMap((tp, i) => (tp.sumMm === null ? [] : [{ x: times[i], y: tp.sumMm }]));
  const values = [...[...lesions.values()].flat().map((p) => p.y), ...sums.map((p) => p.y), 0];
  const hi = Math.max(...values, 10);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t: number) =>
    t1 === t0 ? (PAD.left + W - PAD.right) / 2 : PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / hi) * (H - PAD.top - PAD.bottom);
  const line = (points: { x: number; y: number }[]) => points.map((p) => `${x(p.x)},${y(p.y)}`).join(' ');
  const text = [
    ...[...lesions].map(([name, p]) => `${name}: ${p.map((v) => `${v.y} mm`).join(' → ')}`),
    `sum of targets: ${sums.map((s) => `${s.y} mm`).join(' → ')}`,
  ].join('; ');
  return (
    <figure className="lesion-chart">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`Lesion sizes over time: ${text}`}>
        <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
        <line className="axis" x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={y(0)} />
        <text x={PAD.left - 4} y={y(hi) + 4} textAnchor="end">
          {Math.round(hi)}
        </text>
        <text x={PAD.left - 4} y={y(0) + 4} textAnchor="end">
          0
        </text>
        {timepoints.map((tp, i) => (
          <text key={tp.index} x={x(times[i])} y={H - 8} textAnchor="middle">
            {tp.date}
          </text>
        ))}
        {[...lesions].map(([name, points], i) => (
          <g key={name} className={`series s${i % 6}`}>
            <polyline points={line(points)} />
            <text x={x(points.at(-1)!.x) + 6} y={y(points.at(-1)!.y) + 4}>
              {name}
            </text>
          </g>
        ))}
        {sums.length > 0 && (
          <g className="series sum">
            <polyline points={line(sums)} />
            <text x={x(sums.at(-1)!.x) + 6} y={y(sums.at(-1)!.y) + 4}>
              sum
            </text>
          </g>
        )}
      </svg>
      <figcaption className="muted">Lesion size (mm) per time point; dashed: sum of targets.</figcaption>
    </figure>
  );
}
