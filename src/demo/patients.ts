import type { Rng } from './prng.js';
import type { Cohort, DemoPatient } from './types.js';

// Common first and last names combined at random: synthetic people, not real ones.
const GIVEN = {
  F: [
    'Anna',
    'Maria',
    'Grace',
    'Amara',
    'Sofia',
    'Ingrid',
    'Leila',
    'Mei',
    'Olga',
    'Rosa',
    'Hannah',
    'Priya',
    'Chloe',
    'Yuki',
    'Elena',
  ],
  M: [
    'James',
    'Omar',
    'Lukas',
    'Ravi',
    'Mateo',
    'Tomasz',
    'Kwame',
    'Hiro',
    'Pierre',
    'Samuel',
    'Arjun',
    'Felix',
    'Diego',
    'Noah',
    'Ivan',
  ],
};
const FAMILY = [
  'Andersen',
  'Bakker',
  'Castillo',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ivanova',
  'Jansen',
  'Kowalski',
  'Lindgren',
  'Mensah',
  'Nakamura',
  'Olsen',
  'Petrov',
  'Quinn',
  'Rossi',
  'Schmidt',
  'Takahashi',
  'Uddin',
  'Varga',
  'Weber',
  'Yilmaz',
  'Zhang',
];

/** Ages (years at the anchor date) per cohort: stroke and oncology patients are older. */
const AGES: Record<Cohort, [number, number]> = { stroke: [52, 91], oncology: [41, 82], general: [19, 88] };

export function demoPatient(
  rng: Rng,
  o: { key: string; number: number; cohort: Cohort; anchor: number; sex?: 'M' | 'F' },
): DemoPatient {
  const sex = o.sex ?? (rng.next() < 0.5 ? 'F' : 'M');
  const [min, max] = AGES[o.cohort];
  const birth = new Date(o.anchor - rng.int(min * 365, max * 365 + 364) * 86_400_000);
  return {
    key: o.key,
    mrn: `IBD${100000 + o.number}`,
    cohort: o.cohort,
    family: rng.pick(FAMILY),
    given: rng.pick(GIVEN[sex]),
    sex,
    birthDate: birth.toISOString().slice(0, 10),
  };
}
