/**
 * current-hemorrhage: present when an AI result or report on this study has an intracranial
 * hemorrhage finding (preliminary or final); absent when one says there is none (a coded absence,
 * or text such as "no hemorrhage" / "no intracranial hemorrhage" / "no bleed"); unknown until a
 * result exists.
 */
import type { CodeableConcept, DiagnosticReport, Observation } from '@medplum/fhirtypes';
import { CODE_SETS } from './code-sets.js';
import { codings, conceptText, evidence, failed, refersTo } from './read.js';
import type { Evidence, Finding, RuleContext } from './types.js';

const BLEED = /\b(h(a)?emorrhag\w*|bleed(ing)?|h(a)?ematoma)\b/i;
const NEGATED =
  /\b(no|without|negative for|absence of|no evidence of|no sign of)\s+(\w+\s+){0,3}?(h(a)?emorrhag\w*|bleed(ing)?|h(a)?ematoma)\b/i;
/** SNOMED "Absent" / "Not detected" ◐ and v3 interpretation NEG. */
const ABSENT = new Set(['2667000', '260415000', 'NEG']);
const IGNORED = new Set(['entered-in-error', 'cancelled']);

type Verdict = 'positive' | 'negative' | undefined;

function fromText(text: string | undefined): Verdict {
  if (!text || !BLEED.test(text)) return undefined;
  // Every mention negated → negative; one plain mention is enough for positive.
  const mentions = text.split(/[.;\n]+/).filter((s) => BLEED.test(s));
  return mentions.every((s) => NEGATED.test(s)) ? 'negative' : 'positive';
}

function fromObservation(o: Observation): Verdict {
  const coded = CODE_SETS.intracranialHemorrhage.matches(o.code);
  if (coded) {
    const absent =
      o.valueBoolean === false ||
      [
        ...codings(o.valueCodeableConcept),
        ...(o.interpretation ?? []).flatMap((i: CodeableConcept) => codings(i)),
      ].some((c) => !!c.code && ABSENT.has(c.code));
    return absent ? 'negative' : 'positive';
  }
  return fromText(conceptText(o.code)) ?? fromText(o.valueString) ?? fromText(conceptText(o.valueCodeableConcept));
}

function fromReport(r: DiagnosticReport): Verdict {
  const coded = (r.conclusionCode ?? []).map(fromConcept).find((v) => v);
  return coded ?? fromText(r.conclusion);
}

const fromConcept = (c: CodeableConcept): Verdict =>
  CODE_SETS.intracranialHemorrhage.matches(c) ? 'positive' : fromText(conceptText(c));

export function currentHemorrhage(c: RuleContext): Finding {
  const study = c.record.study;
  if (!study) return { status: 'unknown', reason: 'no study assessed', evidence: [] };
  const results = c.record.results;
  if (!results) return { status: 'unknown', reason: failed(c.record.failures, 'results'), evidence: [] };
  const reports = results.reports.filter(
    (r) => !IGNORED.has(r.status) && (r.imagingStudy ?? []).some((x) => refersTo(x, study)),
  );
  const inReports = new Set(reports.flatMap((r) => (r.result ?? []).map((x) => x.reference ?? '')));
  const observations = results.observations.filter(
    (o) =>
      !IGNORED.has(o.status) &&
      ([...(o.partOf ?? []), ...(o.derivedFrom ?? [])].some((x) => refersTo(x, study)) ||
        [...inReports].some((r) => r === `Observation/${o.id}` || r.endsWith(`/Observation/${o.id}`))),
  );
  const verdicts: { v: Verdict; e: Evidence }[] = [
    ...observations.map((o) => ({
      v: fromObservation(o),
      e: evidence(o, {
        display: conceptText(o.code) ?? 'finding',
        ...(o.effectiveDateTime ? { effective: o.effectiveDateTime } : {}),
      }),
    })),
    ...reports.map((r) => ({
      v: fromReport(r),
      e: evidence(r, {
        display: r.conclusion ?? conceptText(r.code) ?? 'report',
        ...(r.issued ? { effective: r.issued } : {}),
      }),
    })),
  ];
  const positive = verdicts.filter((x) => x.v === 'positive');
  if (positive.length)
    return {
      status: 'present',
      reason: `intracranial hemorrhage reported on this study: ${positive.map((x) => `${x.e.display} (${x.e.status})`).join('; ')}`,
      evidence: positive.map((x) => x.e),
    };
  const negative = verdicts.filter((x) => x.v === 'negative');
  if (negative.length)
    return {
      status: 'absent',
      reason: `a result on this study says no hemorrhage: ${negative.map((x) => `${x.e.display} (${x.e.status})`).join('; ')}`,
      evidence: negative.map((x) => x.e),
    };
  return {
    status: 'unknown',
    reason:
      reports.length + observations.length
        ? 'the results on this study say nothing of hemorrhage'
        : 'no AI result or report on this study yet',
    evidence: [],
  };
}
