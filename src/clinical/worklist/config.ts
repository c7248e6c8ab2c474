/**
 * The `worklist` section of the config file (docs/worklist.md): weights, tiers and lists. The
 * defaults are shared/spec/clinical-rules.md §3. A section is merged over the defaults key by key
 * (lists replace); anything unknown or ill-typed stops start-up with the key named.
 */
import { ConfigError } from '../../core/errors.js';
import { PRIORITIES, TIERS, type OrderPriority, type Tier } from './types.js';

/** Flags matched by code (`system|code`) or by a case-insensitive pattern over their text. */
export interface Matcher {
  codes: string[];
  patterns: string[];
}

export interface ClinicalFlag extends Matcher {
  points: number;
  /** Counts only when the flag's period ends (the event it announces) within this many hours; 0 = any time. */
  withinHours: number;
}

export interface WorklistConfig {
  order: Record<OrderPriority, number> & { missingAcute: number };
  /** DICOM Requested Procedure Priority (0040,1003) → order priority. */
  dicomPriority: Map<string, OrderPriority>;
  setting: {
    encounterStatuses: string[];
    /** Encounter.class code (v3 ActCode) → points. */
    classes: Map<string, number>;
    /** Location.type code (v3 RoleCode) → points. */
    locationTypes: Map<string, number>;
    /** Class or location codes where a study without a priority still counts `order.missingAcute`. */
    acute: string[];
  };
  override: Matcher & { points: number; windowHours: number };
  ai: { category1: number; category2: number; missingConfidence: number };
  clinical: { esi: number; esiMax: number; esiHours: number; flags: Map<string, ClinicalFlag> };
  novelty: { followUp: number; priorMonths: number; newFinding: number };
  aging: { nonRoutineMinutes: number; routineMinutes: number; cap: number };
  /** Lowest score of each tier but the last. */
  tiers: Record<Exclude<Tier, 'routine'>, number>;
  /** With an external record server (context.fhirServer): how often its changes are polled, in seconds. */
  recordPollSeconds: number;
}

const FLAG_SYSTEM = 'http://hospital.example/fhir/CodeSystem/flag';

export const WORKLIST_DEFAULTS: WorklistConfig = {
  order: { stat: 40, asap: 30, urgent: 20, routine: 0, missingAcute: 10 },
  dicomPriority: new Map<string, OrderPriority>([
    ['STAT', 'stat'],
    ['HIGH', 'urgent'],
    ['MEDIUM', 'routine'],
    ['ROUTINE', 'routine'],
    ['LOW', 'routine'],
  ]),
  setting: {
    encounterStatuses: ['in-progress', 'arrived', 'triaged'],
    classes: new Map([
      ['EMER', 25],
      ['IMP', 10],
      ['ACUTE', 10],
      ['OBSENC', 10],
      ['AMB', 0],
    ]),
    locationTypes: new Map([
      ['ER', 25],
      ['ETU', 25],
      ['ICU', 25],
      ['PEDICU', 25],
      ['PEDNICU', 25],
      ['CCU', 25],
    ]),
    acute: ['EMER', 'ER', 'ETU', 'ICU', 'PEDICU', 'PEDNICU', 'CCU'],
  },
  override: {
    points: 100,
    windowHours: 6,
    codes: [`${FLAG_SYSTEM}|code-stroke`, `${FLAG_SYSTEM}|trauma-activation`],
    patterns: ['code stroke', 'stroke alert', 'trauma (team )?activation', 'trauma alert'],
  },
  ai: { category1: 40, category2: 15, missingConfidence: 1 },
  clinical: {
    esi: 10,
    esiMax: 2,
    esiHours: 24,
    flags: new Map([
      ['pre-op', { points: 10, withinHours: 0, codes: [`${FLAG_SYSTEM}|pre-op`], patterns: ['pre-?op(erative)?\\b'] }],
      [
        'pending-discharge',
        {
          points: 10,
          withinHours: 0,
          codes: [`${FLAG_SYSTEM}|pending-discharge`],
          patterns: ['pending discharge', 'discharge pending'],
        },
      ],
      [
        'tumor-board',
        { points: 8, withinHours: 48, codes: [`${FLAG_SYSTEM}|tumor-board`], patterns: ['tumou?r board'] },
      ],
    ]),
  },
  novelty: { followUp: -5, priorMonths: 24, newFinding: 10 },
  aging: { nonRoutineMinutes: 10, routineMinutes: 60, cap: 20 },
  tiers: { 'read-now': 90, 'within-1h': 60, 'this-shift': 30 },
  recordPollSeconds: 5,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

class Reader {
  constructor(
    private readonly value: Obj,
    private readonly path: string,
  ) {}

  static of(value: unknown, path: string, known: string[]): Reader {
    if (!isObj(value)) throw new ConfigError(`config "${path}" must be an object`);
    for (const key of Object.keys(value))
      if (!known.includes(key))
        throw new ConfigError(`config "${path}.${key}" is not known (known: ${known.join(', ')})`);
    return new Reader(value, path);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.value, key);
  }

  raw(key: string): unknown {
    return this.has(key) ? this.value[key] : undefined;
  }

  number(key: string, fallback: number, o: { min?: number; max?: number } = {}): number {
    if (!this.has(key)) return fallback;
    const v = this.value[key];
    const min = o.min ?? -1000;
    const max = o.max ?? 1000;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      throw new ConfigError(`config "${this.path}.${key}" must be a number from ${min} to ${max}`);
    return v;
  }

  strings(key: string, fallback: string[], check?: (s: string) => string | undefined): string[] {
    if (!this.has(key)) return fallback;
    const v = this.value[key];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== ''))
      throw new ConfigError(`config "${this.path}.${key}" must be a list of non-empty strings`);
    for (const s of v) {
      const problem = check?.(s);
      if (problem) throw new ConfigError(`config "${this.path}.${key}": ${JSON.stringify(s)} ${problem}`);
    }
    return v;
  }

  child(key: string, known: string[]): Reader | undefined {
    return this.has(key) ? Reader.of(this.value[key], `${this.path}.${key}`, known) : undefined;
  }
}

const isPattern = (s: string): string | undefined => {
  try {
    new RegExp(s, 'i');
    return undefined;
  } catch {
    return 'is not a regular expression';
  }
};
const isCode = (s: string): string | undefined => (/^[^|\s]+\|[^|\s]+$/.test(s) ? undefined : 'must be "system|code"');

function pointsMap(r: Reader, key: string, fallback: Map<string, number>): Map<string, number> {
  if (!r.has(key)) return fallback;
  const v = r.raw(key);
  if (!isObj(v)) throw new ConfigError(`config "worklist.setting.${key}" must be an object of code → points`);
  const sub = Reader.of(v, `worklist.setting.${key}`, Object.keys(v));
  return new Map(Object.keys(v).map((code) => [code, sub.number(code, 0)]));
}

function matcher(r: Reader | undefined, fallback: Matcher): Matcher {
  return {
    codes: r ? r.strings('codes', fallback.codes, isCode) : fallback.codes,
    patterns: r ? r.strings('patterns', fallback.patterns, isPattern) : fallback.patterns,
  };
}

export function parseWorklistConfig(section: unknown): WorklistConfig {
  if (section === undefined) return WORKLIST_DEFAULTS;
  const D = WORKLIST_DEFAULTS;
  const top = Reader.of(section, 'worklist', [
    'order',
    'dicomPriority',
    'setting',
    'override',
    'ai',
    'clinical',
    'novelty',
    'aging',
    'tiers',
    'recordPollSeconds',
  ]);
  const order = top.child('order', [...PRIORITIES, 'missingAcute']);
  const setting = top.child('setting', ['encounterStatuses', 'classes', 'locationTypes', 'acute']);
  const override = top.child('override', ['points', 'windowHours', 'codes', 'patterns']);
  const ai = top.child('ai', ['category1', 'category2', 'missingConfidence']);
  const clinical = top.child('clinical', ['esi', 'esiMax', 'esiHours', 'flags']);
  const novelty = top.child('novelty', ['followUp', 'priorMonths', 'newFinding']);
  const aging = top.child('aging', ['nonRoutineMinutes', 'routineMinutes', 'cap']);
  const tiers = top.child('tiers', ['read-now', 'within-1h', 'this-shift']);
  const out: WorklistConfig = {
    order: {
      stat: order?.number('stat', D.order.stat) ?? D.order.stat,
      asap: order?.number('asap', D.order.asap) ?? D.order.asap,
      urgent: order?.number('urgent', D.order.urgent) ?? D.order.urgent,
      routine: order?.number('routine', D.order.routine) ?? D.order.routine,
      missingAcute: order?.number('missingAcute', D.order.missingAcute) ?? D.order.missingAcute,
    },
    dicomPriority: dicomPriorities(top.raw('dicomPriority')) ?? D.dicomPriority,
    setting: {
      encounterStatuses:
        setting?.strings('encounterStatuses', D.setting.encounterStatuses) ?? D.setting.encounterStatuses,
      classes: setting ? pointsMap(setting, 'classes', D.setting.classes) : D.setting.classes,
      locationTypes: setting ? pointsMap(setting, 'locationTypes', D.setting.locationTypes) : D.setting.locationTypes,
      acute: setting?.strings('acute', D.setting.acute) ?? D.setting.acute,
    },
    override: {
      ...matcher(override, D.override),
      points: override?.number('points', D.override.points, { min: 0 }) ?? D.override.points,
      windowHours: override?.number('windowHours', D.override.windowHours, { min: 0 }) ?? D.override.windowHours,
    },
    ai: {
      category1: ai?.number('category1', D.ai.category1, { min: 0 }) ?? D.ai.category1,
      category2: ai?.number('category2', D.ai.category2, { min: 0 }) ?? D.ai.category2,
      missingConfidence:
        ai?.number('missingConfidence', D.ai.missingConfidence, { min: 0, max: 1 }) ?? D.ai.missingConfidence,
    },
    clinical: {
      esi: clinical?.number('esi', D.clinical.esi) ?? D.clinical.esi,
      esiMax: clinical?.number('esiMax', D.clinical.esiMax, { min: 1, max: 5 }) ?? D.clinical.esiMax,
      esiHours: clinical?.number('esiHours', D.clinical.esiHours, { min: 1 }) ?? D.clinical.esiHours,
      flags: clinicalFlags(clinical?.raw('flags')) ?? D.clinical.flags,
    },
    novelty: {
      followUp: novelty?.number('followUp', D.novelty.followUp, { max: 0 }) ?? D.novelty.followUp,
      priorMonths: novelty?.number('priorMonths', D.novelty.priorMonths, { min: 0 }) ?? D.novelty.priorMonths,
      newFinding: novelty?.number('newFinding', D.novelty.newFinding, { min: 0 }) ?? D.novelty.newFinding,
    },
    aging: {
      nonRoutineMinutes:
        aging?.number('nonRoutineMinutes', D.aging.nonRoutineMinutes, { min: 1 }) ?? D.aging.nonRoutineMinutes,
      routineMinutes: aging?.number('routineMinutes', D.aging.routineMinutes, { min: 1 }) ?? D.aging.routineMinutes,
      cap: aging?.number('cap', D.aging.cap, { min: 0 }) ?? D.aging.cap,
    },
    tiers: {
      'read-now': tiers?.number('read-now', D.tiers['read-now']) ?? D.tiers['read-now'],
      'within-1h': tiers?.number('within-1h', D.tiers['within-1h']) ?? D.tiers['within-1h'],
      'this-shift': tiers?.number('this-shift', D.tiers['this-shift']) ?? D.tiers['this-shift'],
    },
    recordPollSeconds: top.number('recordPollSeconds', D.recordPollSeconds, { min: 1, max: 3600 }),
  };
  const [a, b, c] = TIERS.slice(0, 3).map((t) => out.tiers[t as Exclude<Tier, 'routine'>]);
  if (!(a > b && b > c))
    throw new ConfigError('config "worklist.tiers" must descend: read-now > within-1h > this-shift');
  return out;
}

function dicomPriorities(v: unknown): Map<string, OrderPriority> | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) throw new ConfigError('config "worklist.dicomPriority" must be an object of DICOM value → priority');
  return new Map(
    Object.entries(v).map(([k, p]) => {
      if (!PRIORITIES.includes(p as OrderPriority))
        throw new ConfigError(`config "worklist.dicomPriority.${k}" must be one of ${PRIORITIES.join(', ')}`);
      return [k.toUpperCase(), p as OrderPriority];
    }),
  );
}

function clinicalFlags(v: unknown): Map<string, ClinicalFlag> | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) throw new ConfigError('config "worklist.clinical.flags" must be an object of name → flag rule');
  return new Map(
    Object.entries(v).map(([name, rule]) => {
      const r = Reader.of(rule, `worklist.clinical.flags.${name}`, ['points', 'withinHours', 'codes', 'patterns']);
      const m = matcher(r, { codes: [], patterns: [] });
      if (!m.codes.length && !m.patterns.length)
        throw new ConfigError(`config "worklist.clinical.flags.${name}" needs codes or patterns`);
      return [name, { ...m, points: r.number('points', 0), withinHours: r.number('withinHours', 0, { min: 0 }) }];
    }),
  );
}
