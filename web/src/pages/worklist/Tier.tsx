/** Tier colours: white or dark text on each background at WCAG 2.1 AA contrast (≥ 4.5:1). */
const TIER_STYLE = new Map<string, { label: string; background: string; color: string }>([
  ['read-now', { label: 'Read now', background: '#a3141c', color: '#ffffff' }],
  ['within-1h', { label: 'Within 1 h', background: '#8a3b00', color: '#ffffff' }],
  ['this-shift', { label: 'This shift', background: '#0b5cad', color: '#ffffff' }],
  ['routine', { label: 'Routine', background: '#e4e8ec', color: '#1a1f24' }],
]);

export const TIERS = [...TIER_STYLE.keys()];

export function tierLabel(tier: string): string {
  return TIER_STYLE.get(tier)?.label ?? tier;
}

export function TierBadge({ tier }: { tier: string }) {
  const s = TIER_STYLE.get(tier) ?? { background: '#e4e8ec', color: '#1a1f24' };
  return (
    <span
      className="badge"
      data-tier={tier}
      style={{ background: s.background, color: s.color, padding: '0.1rem 0.5rem', borderRadius: '0.75rem' }}
    >
      {tierLabel(tier)}
    </span>
  );
}
