/**
 * The HTML report: one self-contained page (inline style, no script, no external resource) a
 * technology leader can read and forward.
 */
import { statusHex } from '../core/dicom-status.js';
import type { Assessment, Check, Readiness } from './types.js';

const esc = (s: unknown): string =>
  String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const COLOURS: Record<Readiness, string> = {
  ready: '#1b7a3d',
  partial: '#9a6700',
  blocked: '#b42318',
  'not-assessed': '#5f6b7a',
};
const STYLE = `body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}table{border-collapse:collapse;width:100%;font-size:.85rem}
td,th{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
.areas{display:flex;gap:1rem;flex-wrap:wrap}.area{border-radius:.5rem;padding:.6rem 1rem;color:#fff;min-width:10rem}
.blocker{color:#b42318;font-weight:600}.warning{color:#9a6700;font-weight:600}.info{color:#5f6b7a}
.ok{color:#1b7a3d}.failed{color:#b42318}.off,.not-probed{color:#5f6b7a}code{word-break:break-all}
@media print{body{margin:0}}`;

function checks(list: Check[]): string {
  const rows = list
    .map(
      (c) =>
        `<tr><td class="${esc(c.status)}">${esc(c.status)}</td><td>${esc(c.name)}</td><td><code>${esc(c.request)}</code></td><td>${
          c.httpStatus !== undefined
            ? `HTTP ${c.httpStatus}`
            : c.dimseStatus !== undefined
              ? statusHex(c.dimseStatus)
              : ''
        }</td><td>${c.ms} ms</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Status</th><th>Check</th><th>Request</th><th>Answer</th><th>Time</th><th>Detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const dl = (pairs: [string, unknown][]) =>
  `<table><tbody>${pairs.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;

export function renderHtml(a: Assessment): string {
  const areas = (['fhir', 'dicomweb', 'dimse', 'dataFlow'] as const)
    .map(
      (k, i) =>
        `<div class="area" style="background:${COLOURS[a.readiness[k]]}"><strong>${['FHIR', 'DICOMweb', 'DIMSE', 'Data flow'][i]}</strong><br>${esc(a.readiness[k])}</div>`,
    )
    .join('');
  const findings = a.findings.length
    ? `<ol>${a.findings.map((f) => `<li><span class="${f.level}">${esc(f.level)}</span> (${esc(f.area)}): ${esc(f.message)}<br>Next step: ${esc(f.nextStep)}</li>`).join('')}</ol>`
    : '<p>Nothing to do: every area assessed is ready.</p>';
  const parts: string[] = [];
  if (a.fhir) {
    const f = a.fhir;
    const res = Object.entries(f.resources).map(([t, r]): [string, unknown] => [
      t,
      r
        ? `${r.interactions.join(', ') || 'no interactions'}; search: ${r.searchParams.join(', ') || 'none'}${r.missingSearchParams.length ? `; missing: ${r.missingSearchParams.join(', ')}` : ''}`
        : 'not supported',
    ]);
    parts.push(
      `<h2>FHIR — ${esc(f.url)}</h2>${dl([
        ['Reachable', f.reachable ? 'yes' : 'no'],
        ['FHIR version', `${f.fhirVersion ?? '?'} (${f.release ?? '?'})`],
        ['Software', f.software ?? 'unknown'],
        ...(f.tls
          ? [
              [
                'TLS',
                `${f.tls.trusted ? 'trusted' : `not trusted: ${f.tls.error}`}${f.tls.expires ? `, expires ${f.tls.expires.slice(0, 10)}` : ''}`,
              ] as [string, unknown],
            ]
          : []),
        ['Transaction / batch', `${f.transaction ?? '?'} / ${f.batch ?? '?'}`],
        ['SMART', `${f.smart.status}${f.smart.grantTypes.length ? ` — ${f.smart.grantTypes.join(', ')}` : ''}`],
        ...res,
      ])}<h3>Evidence</h3>${checks(f.checks)}`,
    );
  }
  if (a.dicomweb) {
    const d = a.dicomweb;
    parts.push(
      `<h2>DICOMweb — ${esc(d.url)}</h2>${dl([
        ['Reachable', d.reachable ? 'yes' : 'no'],
        ['Server', d.server ?? 'unknown'],
        ['QIDO-RS', d.qido],
        ['WADO-RS', d.wado],
        ['Frames', d.frames],
        ['Rendered', d.rendered],
        ['STOW-RS', d.stow],
        ['Transfer syntaxes seen', d.transferSyntaxes.join(', ') || '—'],
      ])}<h3>Evidence</h3>${checks(d.checks)}`,
    );
  }
  if (a.dimse) {
    const m = a.dimse;
    parts.push(
      `<h2>DIMSE — ${esc(m.target)}</h2>${dl([
        ['Association', m.association],
        ['C-ECHO', m.echo],
        ['C-FIND', m.find],
        ['C-GET / C-MOVE (negotiation only)', `${m.get} / ${m.move}`],
        ...m.sopClasses.map((s): [string, unknown] => [s.name, s.transferSyntaxes.join(', ')]),
      ])}<h3>Evidence</h3>${checks(m.checks)}`,
    );
  }
  if (a.dataFlow) {
    const d = a.dataFlow;
    parts.push(
      `<h2>Data flow</h2>${dl([
        ['PACS studies', `${d.pacsStudies} (via ${d.pacsVia})`],
        ['ImagingStudy resources', d.fhirStudies],
        ['Matched', d.matched],
        ['Missing in FHIR', d.missingInFhir.length],
        ['In FHIR, not in the PACS', d.notInPacs.length],
        ['Mismatched', d.mismatched.length],
        ['Lag (median / worst)', d.lagSeconds ? `${d.lagSeconds.median} s / ${d.lagSeconds.max} s` : '—'],
        ['Studies with AI results', d.withResults],
      ])}<h3>Evidence</h3>${checks(d.checks)}`,
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Readiness assessment ${esc(a.generatedAt.slice(0, 10))}</title><style>${STYLE}</style></head>
<body><main><h1>Imaging readiness assessment</h1>
<p>Generated ${esc(a.generatedAt)}; data flow since ${esc(a.since.slice(0, 10))}. ${a.wrote ? '<strong>This assessment wrote one synthetic test instance (--probe-stow) and deleted it again.</strong>' : 'This assessment wrote nothing to any system.'}</p>
<section aria-label="Readiness per area" class="areas">${areas}</section>
<h2>Verdict</h2><ul>${a.verdict.map((v) => `<li>${esc(v)}</li>`).join('')}</ul>
<h2>Next steps</h2>${findings}
${parts.join('\n')}
</main></body></html>
`;
}
