/** The text and Markdown renderings of an assessment (the same sections, two notations). */
import { statusHex } from '../core/dicom-status.js';
import type { Assessment, Check } from './types.js';

interface Notation {
  h1(s: string): string;
  h2(s: string): string;
  item(s: string): string;
  code(s: string): string;
  table(head: string[], rows: string[][]): string;
}

const TEXT: Notation = {
  h1: (s) => `${s}\n${'='.repeat(s.length)}`,
  h2: (s) => `\n${s}\n${'-'.repeat(s.length)}`,
  item: (s) => `  - ${s}`,
  code: (s) => s,
  table: (_h, rows) => rows.map((r) => `  ${r.join('  ')}`).join('\n'),
};

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const MD: Notation = {
  h1: (s) => `# ${s}`,
  h2: (s) => `\n## ${s}\n`,
  item: (s) => `- ${s}`,
  code: (s) => `\`${s}\``,
  table: (h, rows) =>
    [
      `| ${h.join(' | ')} |`,
      `|${h.map(() => '---').join('|')}|`,
      ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    ].join('\n'),
};

function checkRows(checks: Check[]): string[][] {
  return checks.map((c) => [
    c.status.toUpperCase(),
    c.name,
    c.request,
    c.httpStatus !== undefined ? `HTTP ${c.httpStatus}` : c.dimseStatus !== undefined ? statusHex(c.dimseStatus) : '',
    `${c.ms} ms`,
    c.detail,
  ]);
}

function render(a: Assessment, n: Notation): string {
  const out: string[] = [n.h1('ImagingBridge readiness assessment')];
  out.push(`Generated ${a.generatedAt}; data flow since ${a.since.slice(0, 10)}.`);
  out.push(
    a.wrote
      ? 'This assessment WROTE one synthetic test instance (--probe-stow) and deleted it again.'
      : 'This assessment wrote nothing to any system.',
  );
  out.push(n.h2('Verdict'));
  for (const v of a.verdict) out.push(n.item(v));
  out.push(n.h2('Next steps'));
  if (a.findings.length === 0) out.push(n.item('Nothing to do: every area assessed is ready.'));
  a.findings.forEach((f, i) => out.push(`${i + 1}. [${f.level}, ${f.area}] ${f.message}\n   → ${f.nextStep}`));
  const head = ['status', 'check', 'request', 'answer', 'time', 'detail'];
  if (a.fhir) {
    const f = a.fhir;
    out.push(n.h2(`FHIR — ${f.url}`));
    out.push(
      n.item(
        `reachable: ${f.reachable ? 'yes' : 'no'}; version ${f.fhirVersion ?? '?'} (${f.release ?? '?'}); software ${f.software ?? '?'}`,
      ),
    );
    if (f.tls)
      out.push(
        n.item(
          `TLS: ${f.tls.trusted ? 'trusted' : `NOT trusted (${f.tls.error})`}${f.tls.expires ? `, expires ${f.tls.expires.slice(0, 10)}` : ''}`,
        ),
      );
    out.push(
      n.item(
        `transaction: ${f.transaction ?? '?'}; batch: ${f.batch ?? '?'}; conditional update: ${f.conditionalUpdate ?? '?'}`,
      ),
    );
    out.push(
      n.item(`SMART: ${f.smart.status}${f.smart.grantTypes.length ? `; grants ${f.smart.grantTypes.join(', ')}` : ''}`),
    );
    for (const [type, r] of Object.entries(f.resources))
      out.push(
        n.item(
          `${type}: ${r ? `${r.interactions.join(', ') || 'no interactions'}; search ${r.searchParams.join(', ') || 'none'}${r.missingSearchParams.length ? ` (missing ${r.missingSearchParams.join(', ')})` : ''}` : 'not supported'}`,
        ),
      );
    out.push(n.table(head, checkRows(f.checks)));
  }
  if (a.dicomweb) {
    const d = a.dicomweb;
    out.push(n.h2(`DICOMweb — ${d.url}`));
    out.push(n.item(`reachable: ${d.reachable ? 'yes' : 'no'}; server ${d.server ?? 'unknown'}`));
    out.push(n.item(`QIDO ${d.qido}; WADO ${d.wado}; frames ${d.frames}; rendered ${d.rendered}; STOW ${d.stow}`));
    if (d.transferSyntaxes.length) out.push(n.item(`transfer syntaxes seen: ${d.transferSyntaxes.join(', ')}`));
    out.push(n.table(head, checkRows(d.checks)));
  }
  if (a.dimse) {
    const m = a.dimse;
    out.push(n.h2(`DIMSE — ${m.target}`));
    out.push(
      n.item(`association ${m.association}; C-ECHO ${m.echo}; C-FIND ${m.find}; C-GET ${m.get}; C-MOVE ${m.move}`),
    );
    for (const s of m.sopClasses) out.push(n.item(`${s.name}: ${s.transferSyntaxes.join(', ')}`));
    out.push(n.table(head, checkRows(m.checks)));
  }
  if (a.dataFlow) {
    const d = a.dataFlow;
    out.push(n.h2('Data flow'));
    out.push(
      n.item(
        `PACS studies (${d.pacsVia}): ${d.pacsStudies}; ImagingStudy resources: ${d.fhirStudies}; matched: ${d.matched}`,
      ),
    );
    out.push(
      n.item(
        `missing in FHIR: ${d.missingInFhir.length}; not in the PACS: ${d.notInPacs.length}; mismatched: ${d.mismatched.length}`,
      ),
    );
    if (d.lagSeconds)
      out.push(n.item(`lag study → FHIR: median ${d.lagSeconds.median} s, worst ${d.lagSeconds.max} s`));
    out.push(n.item(`studies with AI results: ${d.withResults}`));
    for (const uid of d.missingInFhir.slice(0, 20)) out.push(n.item(`missing in FHIR: ${n.code(uid)}`));
    for (const m of d.mismatched.slice(0, 20))
      out.push(n.item(`mismatched: ${n.code(m.studyInstanceUid)} (${m.fields.join(', ')})`));
    for (const uid of d.notInPacs.slice(0, 20)) out.push(n.item(`not in the PACS: ${n.code(uid)}`));
    out.push(n.table(head, checkRows(d.checks)));
  }
  return `${out.join('\n')}\n`;
}

export const renderText = (a: Assessment): string => render(a, TEXT);
export const renderMarkdown = (a: Assessment): string => render(a, MD);
