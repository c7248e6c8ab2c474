/**
 * A seeded PRNG (mulberry32): the demo dataset and the benchmark datasets are pure functions of
 * their seed. Each patient or study draws from its own stream (seed + labels), so adding one does
 * not change the others, and any of them can be regenerated on its own, in any order.
 */

/** FNV-1a over `text`, mixed with the seed. */
function fnv1a(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A 32-bit stream id for several labels (each ended by `|`, so ('ab', 1) and ('a', 'b1') differ). */
export function streamSeed(seed: number, ...labels: (string | number)[]): number {
  return fnv1a(seed, labels.map((label) => `${label}|`).join(''));
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A stream of its own for `label` under `seed` (FNV-1a of the label mixed with the seed). */
  static for(seed: number, label: string): Rng {
    return new Rng(fnv1a(seed, label));
  }

  /**
   * A stream of its own for several labels (see `streamSeed`). The benchmark datasets use this
   * derivation and the demo dataset `for`: both are kept so that neither dataset changes.
   */
  static stream(seed: number, ...labels: (string | number)[]): Rng {
    return new Rng(streamSeed(seed, ...labels));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** In [min, max), rounded to `decimals`. */
  real(min: number, max: number, decimals: number): number {
    const f = 10 ** decimals;
    return Math.round((min + this.next() * (max - min)) * f) / f;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: entries are [item, weight]. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, w] of entries) {
      r -= w;
      if (r < 0) return item;
    }
    return entries[entries.length - 1]![0];
  }

  /** `count` random decimal digits. */
  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(this.int(0, 9));
    return out;
  }
}
