/**
 * The sixteen factors in answer order, their labels and each guideline's own word for them (its
 * tier). AHA/ASA 2019 (Powers et al., Table 8); AHA/ASA 2026 (Prabhakaran et al.) tiers items as
 * absolute / relative / benefit-greater-than-risk. Tiers marked ◐ in clinical-rules.md are
 * listed in docs/stroke.md as not confirmed against the 2026 text.
 */
import type { FactorId, Guideline } from './types.js';

interface FactorDefinition {
  label: string;
  tiers: Record<Guideline, string>;
  /** Variant tiers (`extra-axial`, `recent`): per guideline, replacing the default. */
  variants?: Record<string, Partial<Record<Guideline, string>>>;
}

const t = (aha2019: string, aha2026: string): Record<Guideline, string> => ({
  'aha-2019': aha2019,
  'aha-2026': aha2026,
});

export const FACTORS = new Map<FactorId, FactorDefinition>([
  ['blood-pressure', { label: 'Blood pressure > 185/110 mmHg', tiers: t('warning', 'relative') }],
  ['platelets', { label: 'Platelets < 100,000/mm³', tiers: t('contraindicated', 'absolute') }],
  ['coagulation', { label: 'INR > 1.7, PT > 15 s or aPTT > 40 s', tiers: t('contraindicated', 'absolute') }],
  ['glucose', { label: 'Glucose < 50 mg/dL (2.7 mmol/L)', tiers: t('warning', 'relative') }],
  ['doac', { label: 'DOAC within 48 h', tiers: t('contraindicated', 'relative') }],
  ['lmwh', { label: 'Full-dose LMWH within 24 h', tiers: t('contraindicated', 'relative') }],
  ['prior-ich', { label: 'Prior intracranial hemorrhage', tiers: t('harmful', 'relative') }],
  ['recent-ischemic-stroke', { label: 'Ischemic stroke within 90 days', tiers: t('harmful', 'relative') }],
  [
    'head-trauma',
    {
      label: 'Severe head trauma within 90 days',
      tiers: t('contraindicated', 'relative'),
      variants: { recent: { 'aha-2026': 'absolute' } },
    },
  ],
  [
    'intracranial-surgery',
    {
      label: 'Intracranial or intraspinal surgery within 90 days',
      tiers: t('harmful', 'relative'),
      variants: { recent: { 'aha-2026': 'absolute' } },
    },
  ],
  [
    'gi-bleed-or-malignancy',
    { label: 'GI bleed within 21 days or active GI malignancy', tiers: t('harmful', 'relative') },
  ],
  ['aortic-dissection', { label: 'Aortic arch dissection', tiers: t('harmful', 'absolute') }],
  ['endocarditis', { label: 'Infective endocarditis', tiers: t('contraindicated', 'absolute') }],
  [
    'intracranial-neoplasm',
    {
      label: 'Intracranial neoplasm (intra-axial)',
      tiers: t('harmful', 'absolute'),
      variants: { 'extra-axial': { 'aha-2019': 'probably-recommended', 'aha-2026': 'benefit-greater-than-risk' } },
    },
  ],
  ['pregnancy', { label: 'Pregnancy', tiers: t('relative', 'relative') }],
  ['current-hemorrhage', { label: 'Hemorrhage on the current CT/MR', tiers: t('contraindicated', 'absolute') }],
]);

export function tierOf(id: FactorId, guideline: Guideline, variant?: string): string {
  const f = FACTORS.get(id)!;
  return (variant && f.variants?.[variant]?.[guideline]) ?? f.tiers[guideline];
}
