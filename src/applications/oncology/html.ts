/**
 * The printable tumor-board summary: one HTML document, one or two A4 pages, no script. Its one
 * style block is allowed by hash in the Content-Security-Policy sent with it.
 */
import { createHash } from 'node:crypto';
import type { OncologySummary } from './service.js';

const CSS = `
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.35 "Helvetica Neue", Arial, sans-serif; color: #111; margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm; border-bottom: 1px solid #999; padding-bottom: 0.5mm; }
p, ul { margin: 1mm 0; }
ul { padding-left: 5mm; }
.meta { color: #444; font-size: 9.5pt; }
.question { border-left: 3px solid #333; padding: 1mm 3mm; background: #f3f3f3; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cat { font-weight: bold; }
.PD { color: #a00000; } .PR, .CR { color: #005a1e; } .NE { color: #7a5b00; }
.warn li { color: #7a3b00; }
.disagree { color: #a00000; font-weight: bold; }
a { color: #003b8e; text-decoration: none; }
footer { margin-top: 6mm; font-size: 8.5pt; color: #555; }
@media print { a { color: inherit; } h2 { break-after: avoid; } table { break-inside: auto; } tr { break-inside: avoid; } }
`;

/** For the response header: the style block above, and nothing else, may run. */
export const SUMMARY_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined ? '—' : `${v}${unit}`);
const signed = (v: number | null): string => (v === null ? '—' : `${v > 0 ? '+' : ''}${v} %`);
const dateOf = (v: string | undefined): string => (v ? esc(v.slice(0, 10)) : '—');

export function summaryHtml(s: OncologySummary): string {
  const p = s.patient as {
    name?: string;
    birthDate?: string;
    gender?: string;
    id: string;
    identifiers?: { value?: string }[];
  };
  const lesions = lesionRows(s);
  const latest = s.timepoints.at(-1);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tumor board — ${esc(p.name ?? p.id)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<header><h1>Tumor board summary</h1>
<p class="meta"><strong>${esc(p.name ?? 'Patient')}</strong> · born ${esc(p.birthDate ?? '—')} · ${esc(p.gender ?? '')} · Patient/${esc(p.id)} · generated ${esc(s.generatedAt.slice(0, 16).replace('T', ' '))} UTC</p>
${s.question ? `<p class="question"><strong>Question:</strong> ${esc(s.question)}</p>` : ''}
${latest ? `<p>Latest computed response (RECIST 1.1): <span class="cat ${esc(latest.overallResponse)}">${esc(latest.overallResponse)}</span> on ${esc(latest.date)}. Computed, not a decision: the categories the rules give, with their working below.</p>` : ''}
</header>
<section><h2>Diagnosis</h2>${
    s.diagnosis.length
      ? `<ul>${s.diagnosis.map((d) => `<li><strong>${esc(d.code.text ?? d.code.coding?.[0]?.display ?? 'Cancer')}</strong>${d.histology ? ` — ${esc(d.histology)}` : ''}${d.stage ? `; ${esc(d.stage)}` : ''}${d.bodySite ? `; ${esc(d.bodySite)}` : ''}; diagnosed ${dateOf(d.onset)}</li>`).join('')}</ul>`
      : '<p>No cancer diagnosis recorded.</p>'
  }</section>
<section><h2>Treatment</h2>${
    s.treatment.length
      ? `<table><thead><tr><th>Line</th><th>Treatment</th><th>Start</th><th>End</th><th>Status</th><th>Reason stopped</th></tr></thead><tbody>${s.treatment
          .map(
            (t) =>
              `<tr><td>${esc(t.line ?? '')}</td><td>${esc(t.medication ?? t.procedure)}</td><td>${dateOf(t.start)}</td><td>${dateOf(t.end)}</td><td>${esc(t.status)}</td><td>${esc(t.reasonStopped ?? '')}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '<p>No cancer treatment recorded.</p>'
  }</section>
<section><h2>Lesions (RECIST 1.1)</h2>${s.timepoints.length ? responseTable(s, lesions) : '<p>No lesion measurements.</p>'}
${s.targetSelection ? `<p class="meta">Targets ${s.targetSelection.by === 'clinician' ? `chosen by ${esc(s.targetSelection.recordedBy ?? 'a clinician')} on ${dateOf(s.targetSelection.recordedAt)} (${esc(s.targetSelection.observation)})` : 'chosen by the rules (measurable, ≤ 5, ≤ 2 per organ, largest first)'}: ${esc(s.targetSelection.targets.join(', '))}.</p>` : ''}
</section>
<section><h2>Tumor markers and limiting labs</h2>${trendTable([...s.markers, ...s.labs])}</section>
<section><h2>Performance status</h2>${
    s.performanceStatus.length
      ? `<p>${s.performanceStatus.map((x) => `${esc(x.scale)} ${esc(x.value)} (${dateOf(x.effective)})`).join(' · ')}</p>`
      : '<p>None recorded.</p>'
  }</section>
<section><h2>Clinician's disease status vs computed</h2>${
    s.clinicianStatus.length
      ? `<table><thead><tr><th>Date</th><th>Clinician (mCODE)</th><th>Computed</th><th>Agrees</th></tr></thead><tbody>${s.clinicianStatus
          .map(
            (c) =>
              `<tr><td>${dateOf(c.effective)}</td><td>${esc(c.value)}</td><td>${esc(c.computed ?? '—')}</td><td${c.agreesWithComputed === false ? ' class="disagree"' : ''}>${c.agreesWithComputed === null ? '—' : c.agreesWithComputed ? 'yes' : 'NO'}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '<p>None recorded.</p>'
  }</section>
<section class="warn"><h2>Warnings</h2>${s.warnings.length ? `<ul>${s.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '<p>None.</p>'}</section>
<footer>ImagingBridge · RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228) computed from the recorded measurements; ${s.complete ? 'every source answered' : '<strong>some sources did not answer: incomplete</strong>'}.</footer>
</body></html>
`;
}

type Row = {
  label: string;
  nodal: boolean;
  site?: string;
  cells: Map<number, { value: number | null; role: string; status: string }>;
};

function lesionRows(s: OncologySummary): Row[] {
  const rows = new Map<string, Row>();
  for (const tp of s.timepoints)
    for (const l of tp.lesions) {
      const label = l.trackingId ?? l.trackingUid ?? l.bodyStructure ?? '?';
      const row = rows.get(label) ?? {
        label,
        nodal: l.nodal,
        ...(l.site?.text ? { site: l.site.text } : {}),
        cells: new Map(),
      };
      row.cells.set(tp.index, { value: l.valueMm, role: l.role, status: l.status });
      rows.set(label, row);
    }
  return [...rows.values()];
}

function responseTable(s: OncologySummary, rows: Row[]): string {
  const tps = s.timepoints;
  const head = tps
    .map(
      (tp) =>
        `<th>${tp.index === 0 ? 'Baseline' : `TP ${tp.index}`}<br>${esc(tp.date)}<br>${tp.studies
          .map((st) => `<a href="${esc((st as { url?: string }).url ?? '#')}">${esc(st.modality ?? 'study')}</a>`)
          .join(' ')}</th>`,
    )
    .join('');
  const role = (r: Row) => [...r.cells.values()][0]?.role ?? '';
  const body = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.label)}${r.nodal ? ' (node)' : ''}<br><span class="meta">${esc(r.site ?? '')} · ${esc(role(r))}</span></td>${tps
          .map((tp) => {
            const c = r.cells.get(tp.index);
            return `<td class="num">${c ? (c.status === 'not-measured' ? 'n/m' : num(c.value)) : ''}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  const line = (name: string, f: (tp: (typeof tps)[number]) => string) =>
    `<tr><th>${name}</th>${tps.map((tp) => `<td class="num">${f(tp)}</td>`).join('')}</tr>`;
  const cat = (v: string) => `<span class="cat ${esc(v)}">${esc(v)}</span>`;
  return `<table><thead><tr><th>Lesion (mm)</th>${head}</tr></thead><tbody>${body}
${line('Sum of targets', (tp) => num(tp.sumMm))}
${line('vs baseline', (tp) => signed(tp.changeFromBaselinePct))}
${line('vs nadir', (tp) => (tp.index === 0 ? '—' : `${signed(tp.changeFromNadirPct)} (${num(tp.nadirMm)})`))}
${line('Targets', (tp) => cat(tp.targetResponse))}
${line('Non-targets', (tp) => esc(tp.nonTargetResponse))}
${line('New lesions', (tp) => (tp.newLesions ? '<strong>yes</strong>' : 'no'))}
${line('Overall', (tp) => cat(tp.overallResponse))}
</tbody></table>
<ul class="meta">${tps.map((tp) => `<li>${tp.index === 0 ? 'Baseline' : `TP ${tp.index}`}: ${esc(tp.reasons.join('; '))}</li>`).join('')}</ul>`;
}

function trendTable(trends: OncologySummary['markers']): string {
  if (!trends.length) return '<p>None recorded.</p>';
  return `<table><thead><tr><th>Test</th><th>Values (oldest → latest)</th></tr></thead><tbody>${trends
    .map(
      (t) =>
        `<tr><td>${esc(t.code.display)}</td><td>${t.trend
          .slice(-8)
          .map(
            (v) =>
              `${esc(v.value)}${v.unit ? ` ${esc(v.unit)}` : ''} <span class="meta">(${dateOf(v.effective)})</span>`,
          )
          .join(' → ')}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}
