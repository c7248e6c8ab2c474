/** observations section: the latest value per code, and the trend of each lab and vital sign. */
import type { Observation } from '@medplum/fhirtypes';
import type { FhirResource } from '../fhir/types.js';
import { asArray, concept, conceptKey, firstCode, str, time, type Typed } from './fhir-read.js';
import type { CodingOut, ObservationSummary, ObservationValue, ReferenceRange } from './summaries.js';
import { normalizeQuantity } from './units.js';

const LOINC = 'http://loinc.org';
const TRENDED = new Set(['laboratory', 'vital-signs']);
const EXCLUDED = new Set(['entered-in-error', 'cancelled']);

const effectiveOf = (o: Observation): string | undefined =>
  str(o.effectiveDateTime) ?? str(o.effectiveInstant) ?? str(o.effectivePeriod?.start) ?? str(o.issued);

/** Each value[x] is checked for its JSON type: an external EHR's Observation is not validated. */
function observedValue(
  o: Observation,
  code: CodingOut | undefined,
): Omit<ObservationValue, 'id' | 'effective' | 'status'> {
  const q = o.valueQuantity;
  if (q && typeof q.value === 'number') {
    const n = normalizeQuantity(code?.system, code?.code, q.value, str(q.code) ?? str(q.unit));
    return {
      value: n.value,
      ...(n.unit !== undefined ? { unit: n.unit } : {}),
      ...(n.original
        ? { original: { value: n.original.value, ...(n.original.unit !== undefined ? { unit: n.original.unit } : {}) } }
        : {}),
    };
  }
  if (typeof o.valueInteger === 'number') return { value: o.valueInteger };
  if (typeof o.valueBoolean === 'boolean') return { value: o.valueBoolean };
  const text = concept(o.valueCodeableConcept)?.text ?? str(o.valueString);
  if (text !== undefined) return { value: text };
  const absent = concept(o.dataAbsentReason)?.text;
  return absent ? { value: `absent: ${absent}` } : {};
}

export function buildObservations(
  resources: Typed<Observation>[],
  o: { since?: number },
): { items: ObservationSummary[]; used: FhirResource[] } {
  const groups = new Map<string, Typed<Observation>[]>();
  for (const r of resources) {
    if (EXCLUDED.has(String(r.status))) continue;
    const at = time(effectiveOf(r));
    if (o.since !== undefined && (at ?? Infinity) < o.since) continue;
    const k = conceptKey(concept(r.code), LOINC);
    if (!k) continue;
    const group = groups.get(k);
    if (group) group.push(r);
    else groups.set(k, [r]);
  }
  const used: FhirResource[] = [];
  const items: ObservationSummary[] = [];
  for (const group of groups.values()) {
    // Oldest first; same time → by id, so the same data always gives the same answer.
    group.sort((a, b) => (time(effectiveOf(a)) ?? 0) - (time(effectiveOf(b)) ?? 0) || a.id!.localeCompare(b.id!));
    const last = group[group.length - 1]!;
    const c = concept(last.code)!;
    const primary = c.coding.find((x) => x.system === LOINC && x.code) ?? c.coding[0] ?? {};
    const category = [
      ...new Set(group.flatMap((r) => asArray(r.category).map(firstCode)).filter((x): x is string => !!x)),
    ].sort();
    const value = (r: Observation): ObservationValue => {
      const out: ObservationValue = { id: r.id!, ...observedValue(r, primary) };
      const eff = effectiveOf(r);
      if (eff) out.effective = eff;
      const status = str(r.status);
      if (status) out.status = status;
      const interp = firstCode(asArray(r.interpretation)[0]);
      if (interp) out.interpretation = interp;
      return reorderValue(out);
    };
    const summary: ObservationSummary = {
      code: { ...primary, ...(c.text ? { text: c.text } : {}) },
      category,
      latest: value(last),
    };
    const range = latestRange(group, primary);
    if (range) summary.referenceRange = range;
    if (category.some((x) => TRENDED.has(x))) {
      const points = group.map(value).filter((v) => typeof v.value === 'number');
      if (points.length)
        summary.trend = points.map((p) => ({
          ...(p.effective ? { effective: p.effective } : {}),
          value: p.value as number,
          ...(p.unit !== undefined ? { unit: p.unit } : {}),
          ...(p.status ? { status: p.status } : {}),
        }));
      used.push(...group);
    } else {
      used.push(last);
    }
    items.push(summary);
  }
  items.sort(
    (a, b) =>
      (a.code.text ?? a.code.display ?? a.code.code ?? '').localeCompare(
        b.code.text ?? b.code.display ?? b.code.code ?? '',
      ) || (a.code.code ?? '').localeCompare(b.code.code ?? ''),
  );
  return { items, used };
}

/**
 * The reference range of the newest Observation of the group that has one: its first range
 * meant for everyone (no `appliesTo` or `age`) else its first, with low and high normalized like
 * the values so that they can be drawn on the same axis.
 */
function latestRange(group: Typed<Observation>[], code: CodingOut): ReferenceRange | undefined {
  for (let i = group.length - 1; i >= 0; i--) {
    const ranges = asArray(group[i]!.referenceRange);
    const r = ranges.find((x) => x && !x.appliesTo && !x.age) ?? ranges[0];
    if (!r || typeof r !== 'object') continue;
    const [low, high] = [r.low, r.high].map((q) =>
      q && typeof q.value === 'number'
        ? normalizeQuantity(code.system, code.code, q.value, str(q.code) ?? str(q.unit))
        : undefined,
    );
    const unit = low?.unit ?? high?.unit;
    const text = str(r.text);
    if (!low && !high && text === undefined) continue;
    return {
      ...(low ? { low: low.value } : {}),
      ...(high ? { high: high.value } : {}),
      ...(unit !== undefined ? { unit } : {}),
      ...(text !== undefined ? { text } : {}),
    };
  }
  return undefined;
}

function reorderValue(v: ObservationValue): ObservationValue {
  const { id, effective, status, ...rest } = v;
  return { id, ...(effective ? { effective } : {}), ...(status ? { status } : {}), ...rest };
}
