/**
 * The thrombolysis contraindication check: (record, reference time, assessment time, guideline)
 * → the sixteen factors in order. Pure: no clock, no configuration, no I/O. It never decides;
 * missing data is unknown, never absent.
 */
import { doac, lmwh } from './anticoagulants.js';
import {
  aorticDissection,
  endocarditis,
  giBleedOrMalignancy,
  headTrauma,
  intracranialNeoplasm,
  intracranialSurgery,
  priorIch,
  recentIschemicStroke,
} from './conditions.js';
import { FACTORS, tierOf } from './guidelines.js';
import { currentHemorrhage } from './hemorrhage.js';
import { coagulation, glucose, platelets } from './labs.js';
import { pregnancy } from './pregnancy.js';
import { FACTOR_IDS, type Assessment, type FactorId, type Guideline, type Rule, type RuleContext } from './types.js';
import { bloodPressure } from './vitals.js';

const RULES: Record<FactorId, Rule> = {
  'blood-pressure': bloodPressure,
  platelets,
  coagulation,
  glucose,
  doac,
  lmwh,
  'prior-ich': priorIch,
  'recent-ischemic-stroke': recentIschemicStroke,
  'head-trauma': headTrauma,
  'intracranial-surgery': intracranialSurgery,
  'gi-bleed-or-malignancy': giBleedOrMalignancy,
  'aortic-dissection': aorticDissection,
  endocarditis,
  'intracranial-neoplasm': intracranialNeoplasm,
  pregnancy,
  'current-hemorrhage': currentHemorrhage,
};

export function assessStroke(context: RuleContext, guideline: Guideline): Assessment {
  const factors = FACTOR_IDS.map((id) => {
    const { variant, ...finding } = RULES[id](context);
    return {
      id,
      label: FACTORS.get(id)!.label,
      status: finding.status,
      tier: tierOf(id, guideline, variant),
      reason: finding.reason,
      evidence: finding.evidence,
    };
  });
  return {
    guideline,
    factors,
    present: factors.filter((f) => f.status === 'present').map((f) => f.id),
    unknown: factors.filter((f) => f.status === 'unknown').map((f) => f.id),
  };
}
